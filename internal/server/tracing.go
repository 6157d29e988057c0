package server

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/switchyard/switchyard/internal/deployment"
	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/proxy"
	"github.com/switchyard/switchyard/internal/tracing"
)

// Spans follow OpenTelemetry's GenAI semantic conventions: one SERVER span per client request
// and one CLIENT span per upstream attempt, named "{operation} {model}". Attributes never
// carry a key, a body or an error message (only its class).

// opName is gen_ai.operation.name for an op.
func opName(op provider.Op) string {
	switch op {
	case provider.Completion:
		return "text_completion"
	case provider.Embedding:
		return "embeddings"
	}
	return "chat"
}

func noSpanEnd(proxy.Result, int, error) {}

// traceRequest continues the client's W3C trace context (traceparent) and, with tracing on,
// starts the request's span. It returns r with that context and the function that ends the
// span once the request is answered.
func (s *Server) traceRequest(r *http.Request, c *proxy.Call) (*http.Request, func(proxy.Result, int, error)) {
	ctx := tracing.Extract(r.Context(), r.Header)
	t := s.opts.Tracer
	if t == nil {
		if ctx != r.Context() {
			r = r.WithContext(ctx)
		}
		return r, noSpanEnd
	}
	op := opName(c.Op)
	ctx, span := t.Start(ctx, op, trace.SpanKindServer, attribute.String("gen_ai.operation.name", op),
		attribute.String("switchyard.call_id", c.ID), attribute.String("http.route", r.URL.Path))
	return r.WithContext(ctx), func(res proxy.Result, status int, err error) {
		if c.Req != nil {
			span.SetName(op + " " + c.Req.Model)
			span.SetAttributes(attribute.String("gen_ai.request.model", c.Req.Model))
		}
		span.SetAttributes(attribute.Int("http.response.status_code", status))
		if g := labels(nil, c.Route).Group; g != "" {
			span.SetAttributes(attribute.String("switchyard.model_group", g))
		}
		if d := res.Deployment; d != nil {
			span.SetAttributes(attribute.String("gen_ai.system", d.Provider), attribute.String("switchyard.deployment", d.ID),
				attribute.Int("switchyard.attempts", res.Attempts), attribute.Int("switchyard.fallbacks", c.Fallbacks))
		}
		usageAttrs(span, &res)
		if err != nil && !errors.Is(err, proxy.ErrClientGone) {
			class := strconv.Itoa(status)
			span.SetAttributes(attribute.String("error.type", class))
			span.SetStatus(codes.Error, class)
		}
		span.End()
	}
}

// traceAttempt passes the trace context on to the upstream in req's headers: the attempt's own
// span, started here when tracing is on, else the client's traceparent unchanged. span is nil
// when tracing is off.
func (s *Server) traceAttempt(ctx context.Context, c *proxy.Call, d *deployment.Deployment, req *http.Request) trace.Span {
	t := s.opts.Tracer
	if t == nil {
		tracing.Inject(ctx, req.Header)
		return nil
	}
	op, model := opName(c.Op), c.Route.UpstreamModel(d)
	ctx, span := t.Start(ctx, op+" "+model, trace.SpanKindClient,
		attribute.String("gen_ai.operation.name", op), attribute.String("gen_ai.system", d.Provider),
		attribute.String("gen_ai.provider.name", d.Provider), attribute.String("gen_ai.request.model", model),
		attribute.String("server.address", req.URL.Hostname()), attribute.String("switchyard.call_id", c.ID),
		attribute.String("switchyard.model_group", d.ModelName), attribute.String("switchyard.deployment", d.ID))
	tracing.Inject(ctx, req.Header)
	return span
}

// endAttemptSpan records how the attempt went (errClass "" on success) and ends span.
func endAttemptSpan(span trace.Span, res *proxy.Result, err error, errClass string) {
	if span == nil {
		return
	}
	span.SetAttributes(attribute.Int("switchyard.attempt", res.Attempts))
	var ue *proxy.UpstreamError
	switch {
	case errors.As(err, &ue):
		span.SetAttributes(attribute.Int("http.response.status_code", ue.Status))
	case err == nil:
		span.SetAttributes(attribute.Int("http.response.status_code", http.StatusOK))
	}
	if ttft := res.TTFT(); ttft > 0 {
		span.SetAttributes(attribute.Float64("switchyard.time_to_first_token_ms", float64(ttft.Microseconds())/1000))
	}
	usageAttrs(span, res)
	if errClass != "" {
		span.SetAttributes(attribute.String("error.type", errClass))
		span.SetStatus(codes.Error, errClass)
	}
	span.End()
}

func usageAttrs(span trace.Span, res *proxy.Result) {
	if res.HasUsage {
		span.SetAttributes(attribute.Int("gen_ai.usage.input_tokens", res.Usage.PromptTokens),
			attribute.Int("gen_ai.usage.output_tokens", res.Usage.CompletionTokens))
	}
}
