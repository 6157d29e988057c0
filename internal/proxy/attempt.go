package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/switchyard/switchyard/internal/bufpool"
	"github.com/switchyard/switchyard/internal/deployment"
	"github.com/switchyard/switchyard/internal/openai"
	"github.com/switchyard/switchyard/internal/provider"
	oaiprovider "github.com/switchyard/switchyard/internal/provider/openai"
)

const (
	// maxErrorBody bounds how much of an upstream error body is kept (1 MiB).
	maxErrorBody = 1 << 20
	// maxResponseBody bounds a non-streaming upstream answer (64 MiB).
	maxResponseBody = 64 << 20
	// netHTTPHolds is the most net/http buffers before it must choose between Content-Length
	// and chunked encoding (2 KiB): an answer no larger, written whole, gets its Content-Length
	// from net/http, and the header map (which grows past 8 and 14 entries) one entry fewer.
	netHTTPHolds = 2048
	// maxHeld bounds the stream events held before the commit point (16 KiB); past it the
	// stream commits.
	maxHeld = 16 << 10
	// drainWait and maxDrain bound what is read of an upstream stream after its end ([DONE]):
	// 250 ms and 64 KiB.
	drainWait = 250 * time.Millisecond
	maxDrain  = 64 << 10
)

// attempt makes one upstream call on the admitted deployment. limit bounds the whole attempt
// (non-streaming) or the time to commit (streams, via stream_timeout). It writes to w only when
// the call commits. It releases the admission on every path: the slot back, the token estimate
// settled to the upstream's usage (or the streamed estimate), refunded when nothing was sent.
func (p *Proxy) attempt(ctx context.Context, w http.ResponseWriter, c *Call, a *admission, limit time.Duration, est int64, res *Result) (err error) {
	d := a.d
	res.HasUsage, res.Usage, res.streamed = false, openai.Usage{}, 0
	start := time.Now()
	defer func() { p.finish(ctx, a, c, est, res, err, start) }()
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	timeoutErr := &TimeoutError{Limit: "timeout", After: limit}
	if c.Req.Stream {
		timeoutErr = &TimeoutError{Limit: "stream_timeout", After: p.streamTimeout(c, d, limit)}
	}
	timer := time.AfterFunc(timeoutErr.After, func() { cancel(errAttemptTimeout) })
	defer timer.Stop()

	prov := p.providers[d.Index]
	model := c.Route.UpstreamModel(d)
	askUsage := prov.StreamUsage()
	var shared *sharedBody
	var dst []byte
	if n := c.Req.PatchedLen(model, d.Defaults); n >= bufpool.MinPooled {
		buf := bufpool.Get(n)
		shared, dst = newSharedBody(buf), *buf
		defer shared.release()
	} else {
		dst = make([]byte, 0, n)
	}
	body := c.Req.Patch(dst, model, d.Defaults, askUsage)
	req, err := prov.NewRequest(actx, c.Op, body)
	if err != nil {
		var pe *provider.ParamError
		if errors.As(err, &pe) {
			return pe
		}
		return &TransportError{Err: fmt.Errorf("%w: %w", errNotSent, err)}
	}
	if shared != nil {
		// The transport may read the body after RoundTrip returns: the buffer goes back to
		// the pool only once it has closed every copy it was given.
		if _, verbatim := prov.(*oaiprovider.Provider); verbatim && req.ContentLength == int64(len(body)) {
			// It sends body byte for byte (an embedding type such as Azure's may not).
			req.Body = shared.reader(body)
			req.GetBody = func() (io.ReadCloser, error) { return shared.reader(body), nil }
		} else {
			if req.Body != nil {
				req.Body = shared.track(req.Body)
			}
			if getBody := req.GetBody; getBody != nil {
				req.GetBody = func() (io.ReadCloser, error) {
					rc, err := getBody()
					if err != nil {
						return nil, err
					}
					return shared.track(rc), nil
				}
			}
		}
	}
	defer p.hooks.attempt(ctx, c, d, req, res)(&err)
	tr, _ := prov.(provider.Translator)
	d.InFlight.Add(1)
	defer d.InFlight.Add(-1)
	sent := time.Now()
	upstreamBefore := res.Upstream
	defer func() { res.Upstream = upstreamBefore + time.Since(sent) }()
	resp, err := prov.Transport().RoundTrip(req)
	if err != nil {
		return p.failure(actx, err, timeoutErr)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		status := resp.StatusCode
		if tr != nil {
			status, b = tr.Error(status, b)
		}
		return &UpstreamError{Status: status, Body: b, RetryAfter: parseRetryAfter(resp.Header)}
	}
	if c.Req.Stream && (tr != nil || isEventStream(resp.Header)) {
		// A translated stream always ends with a usage chunk; strip it as one asked for.
		strip := (askUsage || tr != nil) && !c.Req.IncludeUsage
		var src provider.EventSource
		if tr != nil {
			src = tr.Stream(resp.Body)
			resp.Header.Set("Content-Type", "text/event-stream")
		} else {
			src = openai.NewEventReader(resp.Body, 0)
		}
		return p.stream(actx, w, resp, src, c, d, timer, timeoutErr, res, strip, func() {
			res.Upstream = upstreamBefore + time.Since(sent)
			res.ttft = time.Since(start)
		})
	}
	buf, err := readAnswer(resp.Body, resp.ContentLength, maxResponseBody)
	defer bufpool.Put(buf)
	if errors.Is(err, errTooLarge) {
		return &BadResponseError{Reason: "answer larger than 64 MiB"}
	}
	if err != nil {
		return p.failure(actx, err, timeoutErr)
	}
	b := *buf
	res.Upstream = upstreamBefore + time.Since(sent)
	if tr != nil {
		if b, err = tr.Response(c.Op, b); err != nil {
			return &BadResponseError{Reason: err.Error()}
		}
		resp.Header.Set("Content-Type", "application/json")
	}
	if res.Usage, res.HasUsage = openai.ResponseUsage(b); !res.HasUsage && !isJSON(b) {
		return &BadResponseError{Reason: "answer is not JSON"}
	}
	h := w.Header()
	copyHeaders(h, resp.Header)
	if len(b) > netHTTPHolds {
		h.Set("Content-Length", strconv.Itoa(len(b)))
	}
	p.setGatewayHeaders(h, c, d, res)
	res.Committed = true
	w.WriteHeader(resp.StatusCode)
	if _, err := w.Write(b); err != nil {
		return ErrClientGone
	}
	return nil
}

// failure turns an error from the transport or the body into the error to classify: the client
// going away, the attempt's timeout, or a transport failure.
func (p *Proxy) failure(actx context.Context, err error, timeoutErr *TimeoutError) error {
	switch cause := context.Cause(actx); {
	case errors.Is(cause, errAttemptTimeout):
		return timeoutErr
	case errors.Is(cause, ErrShutdown):
		return ErrShutdown
	case cause != nil:
		return ErrClientGone
	}
	return &TransportError{Err: err}
}

// stream forwards an SSE answer. Events before the commit point are held (at most maxHeld) and
// an error event among them fails the attempt, so it can be retried; the first event that
// carries content, a tool call or a finish reason commits: headers and held events go out,
// then every event is written and flushed as it arrives, with ": keep-alive" comments filling
// gaps. A committed stream that breaks ends with an OpenAI-shaped error event and no [DONE];
// an upstream's own error event is forwarded and ends it the same way. After [DONE] the
// upstream body is only drained (drainEnd).
func (p *Proxy) stream(actx context.Context, w http.ResponseWriter, resp *http.Response, er provider.EventSource, c *Call, d *deployment.Deployment, timer *time.Timer, timeoutErr *TimeoutError, res *Result, strip bool, markUpstream func()) error {
	sw := newStreamWriter(w)
	defer sw.close()
	var held []byte
	idle := p.router.StreamIdleTimeout
	if idle <= 0 {
		idle = 300 * time.Second
	}
	commit := func() error {
		markUpstream()
		timeoutErr.Limit, timeoutErr.After = "stream_idle_timeout", idle
		timer.Reset(idle)
		h := w.Header()
		copyHeaders(h, resp.Header)
		h.Del("Content-Length")
		h.Set("Cache-Control", "no-cache")
		p.setGatewayHeaders(h, c, d, res)
		res.Committed = true
		w.WriteHeader(resp.StatusCode)
		err := sw.write(held)
		sw.keepAlive(p.keepAlive)
		return err
	}
	for {
		ev, err := er.Next()
		if err != nil {
			if !res.Committed {
				if errors.Is(err, io.EOF) {
					err = io.ErrUnexpectedEOF
				}
				return p.failure(actx, err, timeoutErr)
			}
			return p.breakStream(actx, sw, err, timeoutErr)
		}
		if !res.Committed {
			held = append(held, ev.Raw...)
			kind := openai.ChunkHold
			if ev.Done {
				kind = openai.ChunkCommit
			} else if ev.Data != nil {
				var u openai.Usage
				var ok bool
				if kind, u, ok = openai.ClassifyChunk(ev.Data); ok {
					res.Usage, res.HasUsage = u, true
				}
			}
			if kind == openai.ChunkCommit && !ev.Done {
				res.streamed++
			}
			if kind == openai.ChunkError {
				return &UpstreamError{Status: http.StatusBadGateway, Body: append([]byte(nil), ev.Data...)}
			}
			if kind != openai.ChunkCommit && len(held) < maxHeld {
				continue
			}
			if err := commit(); err != nil {
				return ErrClientGone
			}
		} else {
			timer.Reset(idle)
			out := ev.Raw
			if ev.Data != nil && !ev.Done {
				res.streamed++
				if u, usageOnly, ok := openai.ChunkUsage(ev.Data); ok {
					res.Usage, res.HasUsage = u, true
					if strip && usageOnly {
						out = nil
					}
				}
				if openai.IsErrorEvent(ev.Data) {
					if sw.write(out) != nil {
						panic(http.ErrAbortHandler)
					}
					return &StreamBrokenError{Err: &UpstreamError{Status: http.StatusBadGateway, Body: append([]byte(nil), ev.Data...)}}
				}
			}
			if out != nil {
				write := sw.write
				if r, ok := er.(readySource); ok && !ev.Done && r.Ready() {
					// The next event is already here: one flush for both.
					write = sw.writeBuffered
				}
				if err := write(out); err != nil {
					return ErrClientGone
				}
			}
		}
		if ev.Done {
			drainEnd(resp.Body, timer)
			return nil
		}
	}
}

// drainEnd reads what follows [DONE] in an upstream stream, normally just the end of the
// chunked body already on its way, so the upstream connection is reused: net/http closes a
// connection whose response body is closed before its end. An upstream that sends more than
// maxDrain, or keeps the stream open past drainWait (timer then cancels the attempt), loses
// its connection instead. The client has [DONE] already; only its response's end waits.
func drainEnd(body io.Reader, timer *time.Timer) {
	timer.Reset(drainWait)
	io.CopyN(io.Discard, body, maxDrain)
}

// readySource is an event source that can tell whether its next event is already buffered
// (openai.EventReader).
type readySource interface{ Ready() bool }

// breakStream ends a committed stream that failed: an OpenAI-shaped error event and no [DONE].
// If even that cannot be written, the connection is aborted so the client cannot mistake the
// truncated stream for a complete one.
func (p *Proxy) breakStream(actx context.Context, sw *streamWriter, err error, timeoutErr *TimeoutError) error {
	cause := p.failure(actx, err, timeoutErr)
	if errors.Is(cause, ErrClientGone) {
		return ErrClientGone
	}
	code, msg := "upstream_disconnected", "upstream stream ended before completion: "+err.Error()
	var te *TimeoutError
	switch {
	case errors.As(cause, &te):
		code, msg = "timeout", te.Error()
	case errors.Is(cause, ErrShutdown):
		code, msg = "server_shutdown", "the gateway is shutting down; the stream was cut off"
	}
	if sw.write(openai.ErrorEvent(msg, "api_error", code)) != nil {
		panic(http.ErrAbortHandler)
	}
	return &StreamBrokenError{Err: cause}
}

func isEventStream(h http.Header) bool {
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	return mt == "text/event-stream"
}

func isJSON(b []byte) bool {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{', '[':
			return true
		}
		return false
	}
	return false
}
