package proxy

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/switchyard/switchyard/internal/balancer"
)

// errNotSent marks a failure that happened before any byte went upstream.
var errNotSent = errors.New("request not sent")

// finish releases an attempt's admission and tells a learning strategy how it went.
// Tokens: a committed call settles to the upstream's usage; a stream without usage settles to
// its prompt estimate plus one token per streamed event (marked estimated); an upstream error
// answer settles to zero tokens (the request still counts); a timeout keeps the estimate (the
// upstream may have spent it); nothing sent refunds the request entirely.
func (p *Proxy) finish(ctx context.Context, a *admission, c *Call, est int64, res *Result, err error, start time.Time) {
	switch {
	case err == nil || res.Committed:
		tokens := est
		switch {
		case res.HasUsage:
			tokens = int64(res.Usage.TotalTokens)
		case c.Req.Stream:
			tokens = int64((len(c.Req.Body)+3)/4 + res.streamed)
			res.TokensEstimated = true
		}
		p.release(ctx, a, settleTokens, tokens)
	case notSent(err):
		p.release(ctx, a, refund)
	case isUpstreamError(err):
		p.release(ctx, a, settleTokens, 0)
	default:
		p.release(ctx, a, keepEstimate)
	}
	if p.observer == nil || errors.Is(err, ErrClientGone) {
		return
	}
	o := balancer.Outcome{Stream: c.Req.Stream, OutputTokens: res.Usage.CompletionTokens}
	switch {
	case err == nil || res.Committed:
		o.Latency = time.Since(start)
		if c.Req.Stream {
			o.Latency = res.ttft
		}
	case isTimeout(err):
		o.TimedOut, o.Latency = true, time.Since(start)
	default:
		o.Failed = true
	}
	p.observer.Observe(a.d, o)
}

// isUpstreamError reports whether err is an upstream's error answer. (A helper, so the target
// of errors.As is allocated only on failures, not on every finish.)
func isUpstreamError(err error) bool {
	var ue *UpstreamError
	return errors.As(err, &ue)
}

func isTimeout(err error) bool {
	var te *TimeoutError
	return errors.As(err, &te)
}

// notSent reports whether err happened before any byte reached the upstream: the request could
// not be built, or the connection could not be made.
func notSent(err error) bool {
	if errors.Is(err, errNotSent) {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}
