// Package tracing exports OpenTelemetry traces over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT
// (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set, and is off — a nil *Tracer, nothing started,
// nothing sent — otherwise. It also carries W3C trace context (traceparent, tracestate) from a
// client's request to the upstream's, tracing on or off.
package tracing

import (
	"context"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Tracer starts Switchyard's spans. A nil *Tracer is valid and off.
type Tracer struct {
	provider *sdktrace.TracerProvider
	tracer   trace.Tracer
}

// propagator reads and writes W3C traceparent and tracestate.
var propagator = propagation.TraceContext{}

// FromEnv returns a Tracer exporting to the OTLP/HTTP endpoint the environment names, or nil
// when OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_EXPORTER_OTLP_TRACES_ENDPOINT are both unset or
// empty. The base endpoint gets "/v1/traces" appended; the traces endpoint is used as is. Other
// OTEL_* variables (OTEL_EXPORTER_OTLP_HEADERS, OTEL_SERVICE_NAME, …) are honoured by the SDK.
// service.name defaults to "switchyard". An error names the variable at fault.
func FromEnv(lookupEnv func(string) (string, bool)) (*Tracer, error) {
	get := func(k string) string { v, _ := lookupEnv(k); return strings.TrimSpace(v) }
	url, name := get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"), "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
	if url == "" {
		base := get("OTEL_EXPORTER_OTLP_ENDPOINT")
		if base == "" {
			return nil, nil
		}
		url, name = strings.TrimRight(base, "/")+"/v1/traces", "OTEL_EXPORTER_OTLP_ENDPOINT"
	}
	if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		return nil, &EnvError{Name: name, Reason: "must be an http:// or https:// URL (OTLP/HTTP)"}
	}
	exp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpointURL(url))
	if err != nil {
		return nil, &EnvError{Name: name, Reason: err.Error()}
	}
	res := resource.Default()
	if get("OTEL_SERVICE_NAME") == "" {
		res, _ = resource.Merge(res, resource.NewSchemaless(attribute.String("service.name", "switchyard")))
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp, sdktrace.WithBatchTimeout(time.Second)),
		sdktrace.WithResource(res))
	return &Tracer{provider: tp, tracer: tp.Tracer("github.com/switchyard/switchyard")}, nil
}

// EnvError is a bad tracing variable in the environment.
type EnvError struct{ Name, Reason string }

func (e *EnvError) Error() string { return "environment variable " + e.Name + ": " + e.Reason }

// Shutdown exports the spans still buffered (within ctx) and stops the exporter.
func (t *Tracer) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	return t.provider.Shutdown(ctx)
}

// ForceFlush exports the spans buffered so far.
func (t *Tracer) ForceFlush(ctx context.Context) error {
	if t == nil {
		return nil
	}
	return t.provider.ForceFlush(ctx)
}

// Extract returns ctx carrying the client's trace context from h, if h has a traceparent;
// else ctx itself.
func Extract(ctx context.Context, h http.Header) context.Context {
	if h.Get("traceparent") == "" {
		return ctx
	}
	return propagator.Extract(ctx, propagation.HeaderCarrier(h))
}

// Inject writes the trace context of ctx (the current span, or the client's as extracted) to h.
func Inject(ctx context.Context, h http.Header) {
	if trace.SpanContextFromContext(ctx).IsValid() {
		propagator.Inject(ctx, propagation.HeaderCarrier(h))
	}
}

// Start starts a span named name of the given kind as a child of ctx's span (or of the
// client's trace context). With t nil it returns ctx and a span that records nothing.
func (t *Tracer) Start(ctx context.Context, name string, kind trace.SpanKind, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	if t == nil {
		return ctx, trace.SpanFromContext(ctx)
	}
	return t.tracer.Start(ctx, name, trace.WithSpanKind(kind), trace.WithAttributes(attrs...))
}
