package proxy

import (
	"context"
	"net/http"
	"time"

	"github.com/switchyard/switchyard/internal/deployment"
)

// Hooks let observers (metrics, traces) follow a call through the proxy. Any field may be nil,
// and so may the *Hooks itself: every call site costs one nil check when nothing observes.
// Hooks run on the request path and must be cheap and non-blocking.
type Hooks struct {
	// Attempt is called when an attempt's upstream request is built, before it is sent; it may
	// add headers to req (trace context). The function it returns, if not nil, is called once
	// when the attempt ends, with res (its usage, commit state and TTFT) and the attempt's error
	// (nil on success).
	Attempt func(ctx context.Context, c *Call, d *deployment.Deployment, req *http.Request) func(res *Result, err error)
	// Retry is called when a failed attempt on d (err) is about to be retried.
	Retry func(c *Call, d *deployment.Deployment, err error)
	// Fallback is called when the call leaves c.Route for the fallback route to.
	Fallback func(c *Call, to deployment.Route)
}

// attempt runs the Attempt hook; the returned function ends it (see Hooks.Attempt). Used as
// `defer p.hooks.attempt(ctx, c, d, req, res)(&err)`.
func (h *Hooks) attempt(ctx context.Context, c *Call, d *deployment.Deployment, req *http.Request, res *Result) func(*error) {
	if h == nil || h.Attempt == nil {
		return noEnd
	}
	end := h.Attempt(ctx, c, d, req)
	if end == nil {
		return noEnd
	}
	return func(err *error) { end(res, *err) }
}

func noEnd(*error) {}

func (h *Hooks) retry(c *Call, d *deployment.Deployment, err error) {
	if h != nil && h.Retry != nil {
		h.Retry(c, d, err)
	}
}

func (h *Hooks) fallback(c *Call, to deployment.Route) {
	if h != nil && h.Fallback != nil {
		h.Fallback(c, to)
	}
}

// TTFT is the last attempt's time from its start to its stream's commit point (the first
// content, tool call or finish reason); 0 for an answer that was not streamed.
func (r *Result) TTFT() time.Duration { return r.ttft }
