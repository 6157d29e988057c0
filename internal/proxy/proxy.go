// Package proxy runs one client request through the gateway: pick a deployment, call it, and on a
// failure before the commit point retry elsewhere; after the commit point stream the answer.
package proxy

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/switchyard/switchyard/internal/balancer"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/cooldown"
	"github.com/switchyard/switchyard/internal/deployment"
	"github.com/switchyard/switchyard/internal/openai"
	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/usage"
)

// Proxy forwards calls to deployments. Safe for concurrent use; immutable after New.
type Proxy struct {
	providers []provider.Provider // by Deployment.Index
	strategy  balancer.Strategy
	observer  balancer.Observer // the strategy, when it learns from outcomes; else nil
	router    config.RouterSettings
	log       *slog.Logger
	usage     usage.Store
	slots     *usage.Slots // nil when no deployment has a parallel cap
	cooldowns cooldown.Tracker
	resolve   func(model string) (deployment.Route, bool)
	// requests and retries count calls in Forward and retry attempts in flight, for the retry
	// budget.
	requests, retries atomic.Int64
	// jitter draws the backoff jitter factor's random part, in [0, 1).
	jitter func() float64
}

// Options are what New needs.
type Options struct {
	// Providers are indexed by Deployment.Index.
	Providers []provider.Provider
	Strategy  balancer.Strategy
	Router    config.RouterSettings
	Log       *slog.Logger
	// Usage accounts rpm/tpm; required.
	Usage usage.Store
	// Slots enforces max_parallel_requests; nil when no cap is configured anywhere.
	Slots *usage.Slots
	// Cooldowns tracks failing deployments; required.
	Cooldowns cooldown.Tracker
	// Resolve finds a fallback group by name; nil disables fallbacks.
	Resolve func(model string) (deployment.Route, bool)
}

// New returns a Proxy.
func New(o Options) *Proxy {
	p := &Proxy{providers: o.Providers, strategy: o.Strategy, router: o.Router, log: o.Log,
		usage: o.Usage, slots: o.Slots, cooldowns: o.Cooldowns, resolve: o.Resolve, jitter: rand.Float64}
	p.observer, _ = o.Strategy.(balancer.Observer)
	return p
}

// Provider returns the provider of d.
func (p *Proxy) Provider(d *deployment.Deployment) provider.Provider { return p.providers[d.Index] }

// Call is one client request on its way through the gateway.
type Call struct {
	Op  provider.Op
	Req *openai.Request
	// Route is where the request's model resolved to.
	Route deployment.Route
	// ID is the call id (x-litellm-call-id).
	ID string
	// Start is when the gateway received the request.
	Start time.Time
}

// Result describes how a call went.
type Result struct {
	// Deployment served the call (the last one tried when it failed); nil if none was tried.
	Deployment *deployment.Deployment
	// Attempts is the number of upstream attempts made.
	Attempts int
	// Committed is true once anything was written to the client.
	Committed bool
	// Usage is the upstream's reported usage, when it reported one.
	Usage    openai.Usage
	HasUsage bool
	// Upstream is the time spent waiting on upstreams (for x-litellm-overhead-duration-ms).
	Upstream time.Duration
	// TokensEstimated is true when the tokens counted for the call are an estimate (a stream
	// whose upstream reported no usage).
	TokensEstimated bool
	// streamed counts the data events of the last attempt's stream.
	streamed int
	// ttft is the last attempt's time to its stream's commit point.
	ttft time.Duration
}

// Forward serves c, writing the answer to w. When it returns an error with Result.Committed
// false, nothing was written and the caller renders the error.
func (p *Proxy) Forward(ctx context.Context, w http.ResponseWriter, c *Call) (Result, error) {
	var res Result
	retries := p.router.NumRetries
	if c.Req.NumRetries != nil {
		retries = *c.Req.NumRetries
	}
	est := estimateTokens(c)
	var failed []*deployment.Deployment
	var lastErr error
	var deadline time.Time
	for attempt := 0; attempt <= retries; attempt++ {
		cands := c.Route.Candidates
		if len(failed) > 0 {
			cands = without(cands, failed)
		}
		limit := p.attemptTimeout(c, cands[0])
		a, err := p.admit(ctx, c, cands, est, limit)
		if err != nil {
			return res, err
		}
		d := a.d
		if attempt > 0 && contains(failed, d) {
			// Nothing else left: retry the same deployment after backoff.
			wait := p.backoff(attempt, lastErr)
			if err := sleep(ctx, wait); err != nil {
				p.release(ctx, &a, refund)
				return res, ErrClientGone
			}
			deadline = deadline.Add(wait)
		}
		limit = p.attemptTimeout(c, d)
		if attempt == 0 {
			deadline = c.Start.Add(limit * time.Duration(1+retries))
		} else if time.Now().After(deadline) {
			p.release(ctx, &a, refund)
			break
		}
		res.Deployment, res.Attempts = d, attempt+1
		err = p.attempt(ctx, w, c, &a, limit, est, &res)
		if err == nil {
			return res, nil
		}
		if ctx.Err() != nil {
			return res, ErrClientGone
		}
		if res.Committed || !Retryable(err) {
			return res, err
		}
		lastErr = err
		p.log.LogAttrs(ctx, slog.LevelWarn, "attempt failed, retrying",
			slog.String("call_id", c.ID), slog.String("model_group", c.Route.Group),
			slog.String("deployment", d.ID), slog.Int("attempt", attempt+1), slog.String("error", err.Error()))
		if !contains(failed, d) {
			failed = append(failed, d)
		}
	}
	return res, lastErr
}

// attemptTimeout is the request's timeout, else the deployment's, else the router's.
func (p *Proxy) attemptTimeout(c *Call, d *deployment.Deployment) time.Duration {
	switch {
	case c.Req.Timeout > 0:
		return time.Duration(c.Req.Timeout * float64(time.Second))
	case d.Timeout > 0:
		return d.Timeout
	case p.router.Timeout > 0:
		return p.router.Timeout
	}
	return 600 * time.Second
}

// streamTimeout bounds the time to a stream's commit point; unset, it equals the attempt timeout.
func (p *Proxy) streamTimeout(c *Call, d *deployment.Deployment, attempt time.Duration) time.Duration {
	switch {
	case d.StreamTimeout > 0:
		return d.StreamTimeout
	case p.router.StreamTimeout > 0:
		return p.router.StreamTimeout
	}
	return attempt
}

// backoff is the wait before retrying the same deployment: the upstream's Retry-After when it
// is at most 60 s, else 0.5 s × 2ⁿ capped at 8 s, times a jitter in [0.75, 1); at least retry_after.
func (p *Proxy) backoff(attempt int, lastErr error) time.Duration {
	var ue *UpstreamError
	if errors.As(lastErr, &ue) && ue.RetryAfter > 0 && ue.RetryAfter <= 60*time.Second {
		return max(ue.RetryAfter, p.router.RetryAfter)
	}
	d := 500 * time.Millisecond << min(attempt-1, 4)
	d = min(d, 8*time.Second)
	d = time.Duration(float64(d) * (0.75 + 0.25*p.jitter()))
	return max(d, p.router.RetryAfter)
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func contains(ds []*deployment.Deployment, d *deployment.Deployment) bool {
	for _, x := range ds {
		if x == d {
			return true
		}
	}
	return false
}

// without returns cands minus excluded; all of cands when that would leave none.
func without(cands, excluded []*deployment.Deployment) []*deployment.Deployment {
	out := make([]*deployment.Deployment, 0, len(cands))
	for _, d := range cands {
		if !contains(excluded, d) {
			out = append(out, d)
		}
	}
	if len(out) == 0 {
		return cands
	}
	return out
}
