package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/switchyard/switchyard/internal/deployment"
	"github.com/switchyard/switchyard/internal/proxy"
)

// hooks are the proxy's observers: metrics and debug lines always, spans when tracing is on
// (and the client's traceparent passed upstream when it is off).
func (s *Server) hooks() *proxy.Hooks {
	m := s.metrics
	return &proxy.Hooks{
		Attempt: func(ctx context.Context, c *proxy.Call, d *deployment.Deployment, req *http.Request) func(*proxy.Result, error) {
			start := time.Now()
			span := s.traceAttempt(ctx, c, d, req)
			return func(res *proxy.Result, err error) {
				class := ""
				if err != nil {
					class = proxy.Classify(err, len(c.Route.Candidates)).Kind.String()
					if errors.Is(err, proxy.ErrClientGone) {
						class = "ClientGone"
					}
				}
				var in, out int
				if res.HasUsage {
					in, out = res.Usage.PromptTokens, res.Usage.CompletionTokens
				}
				took := time.Since(start)
				m.Attempt(labels(d, c.Route), class, res.TTFT(), took, in, out)
				s.debugAttempt(ctx, c, d, took, err)
				endAttemptSpan(span, res, err, class)
			}
		},
		Retry: func(c *proxy.Call, d *deployment.Deployment, err error) { m.Retry(labels(d, c.Route)) },
		Fallback: func(c *proxy.Call, to deployment.Route) {
			m.Fallback(labels(nil, c.Route).Group, labels(nil, to).Group)
		},
	}
}

// debugAttempt logs one line per upstream attempt at debug level (--debug, set_verbose): which
// deployment, how long, and the scrubbed error.
func (s *Server) debugAttempt(ctx context.Context, c *proxy.Call, d *deployment.Deployment, took time.Duration, err error) {
	if !s.log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{slog.String("call_id", c.ID), slog.String("model_group", d.ModelName),
		slog.String("deployment", d.ID), slog.Float64("took_ms", float64(took.Microseconds())/1000)}
	if err != nil {
		attrs = append(attrs, slog.String("error", s.scrub(err.Error())))
	}
	s.log.LogAttrs(ctx, slog.LevelDebug, "upstream attempt", attrs...)
}
