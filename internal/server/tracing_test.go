package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	collectorpb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/switchyard/switchyard/internal/fake"
	"github.com/switchyard/switchyard/internal/tracing"
)

// collector is a fake OTLP/HTTP collector on loopback: it decodes every export request.
type collector struct {
	*httptest.Server
	mu    sync.Mutex
	spans []*tracepb.Span
}

func startCollector(t *testing.T) *collector {
	c := &collector{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
			t.Errorf("collector got %s %s (%s), want POST /v1/traces in protobuf", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
		}
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				t.Errorf("gzip: %v", err)
				return
			}
			body = zr
		}
		b, _ := io.ReadAll(body)
		var req collectorpb.ExportTraceServiceRequest
		if err := proto.Unmarshal(b, &req); err != nil {
			t.Errorf("export request does not decode: %v", err)
		}
		c.mu.Lock()
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				c.spans = append(c.spans, ss.Spans...)
			}
		}
		c.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		out, _ := proto.Marshal(&collectorpb.ExportTraceServiceResponse{})
		w.Write(out)
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *collector) all() []*tracepb.Span {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*tracepb.Span(nil), c.spans...)
}

func attrs(s *tracepb.Span) map[string]string {
	m := map[string]string{}
	for _, kv := range s.Attributes {
		v := kv.Value
		switch {
		case v.GetStringValue() != "":
			m[kv.Key] = v.GetStringValue()
		default:
			m[kv.Key] = fmt.Sprint(v.GetIntValue())
		}
	}
	return m
}

// TestTraceExported: a request with a client traceparent, retried once, is exported to a fake
// OTLP collector as one server span (continuing the client's trace) with two client spans
// under it, carrying GenAI attributes; the upstream receives traceparent naming its attempt's span.
func TestTraceExported(t *testing.T) {
	col := startCollector(t)
	tracer, err := tracing.FromEnv(envOf(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": col.URL}))
	if err != nil || tracer == nil {
		t.Fatalf("FromEnv: %v %v", tracer, err)
	}
	t.Cleanup(func() { tracer.Shutdown(context.Background()) })
	var mu sync.Mutex
	var upstreamTP []string
	record := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			upstreamTP = append(upstreamTP, r.Header.Get("traceparent"))
			mu.Unlock()
			h.ServeHTTP(w, r)
		})
	}
	bad := startUpstreamHandler(t, record(fake.NewHandler(fake.Options{FailRate: 1, FailStatus: 500})))
	good := startUpstreamHandler(t, record(fake.NewHandler(fake.Options{})))
	g := startGateway(t, fmt.Sprintf(`model_list:
  - model_name: m
    litellm_params: {model: openai/bad-model, api_base: %s/v1}
    model_info: {id: bad}
  - model_name: m
    litellm_params: {model: openai/good-model, api_base: %s/v1}
    model_info: {id: good}
router_settings:
  num_retries: 1
`, bad, good), Options{Rand: first, Tracer: tracer})

	const traceID, clientSpan = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	resp, b := g.post(t, "/v1/chat/completions", fmt.Sprintf(chat, "m"), "traceparent", "00-"+traceID+"-"+clientSpan+"-01")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	if err := tracer.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	spans := col.all()
	if len(spans) != 3 {
		t.Fatalf("%d spans exported, want 3 (request + 2 attempts)", len(spans))
	}
	var server *tracepb.Span
	var attempts []*tracepb.Span
	for _, s := range spans {
		if got := hex.EncodeToString(s.TraceId); got != traceID {
			t.Errorf("span %q trace id %s, want the client's %s", s.Name, got, traceID)
		}
		switch s.Kind {
		case tracepb.Span_SPAN_KIND_SERVER:
			server = s
		case tracepb.Span_SPAN_KIND_CLIENT:
			attempts = append(attempts, s)
		}
	}
	if server == nil || len(attempts) != 2 {
		t.Fatalf("got %d server and %d client spans, want 1 and 2", btoi(server != nil), len(attempts))
	}
	if got := hex.EncodeToString(server.ParentSpanId); got != clientSpan {
		t.Errorf("request span's parent %s, want the client's span %s", got, clientSpan)
	}
	sa := attrs(server)
	for k, v := range map[string]string{"gen_ai.operation.name": "chat", "gen_ai.request.model": "m", "gen_ai.system": "openai",
		"switchyard.model_group": "m", "switchyard.deployment": "good", "switchyard.attempts": "2",
		"http.response.status_code": "200", "gen_ai.usage.output_tokens": fmt.Sprint(fake.DefaultOutputTokens)} {
		if sa[k] != v {
			t.Errorf("request span %s = %q, want %q", k, sa[k], v)
		}
	}
	if server.Name != "chat m" {
		t.Errorf("request span name %q, want \"chat m\"", server.Name)
	}
	want := []struct{ name, deployment, status, errType string }{
		{"chat bad-model", "bad", "500", "InternalServerError"},
		{"chat good-model", "good", "200", ""},
	}
	if attempts[0].StartTimeUnixNano > attempts[1].StartTimeUnixNano {
		attempts[0], attempts[1] = attempts[1], attempts[0]
	}
	for i, a := range attempts {
		if !bytes.Equal(a.ParentSpanId, server.SpanId) {
			t.Errorf("attempt %d is not a child of the request span", i)
		}
		aa := attrs(a)
		if a.Name != want[i].name || aa["switchyard.deployment"] != want[i].deployment ||
			aa["http.response.status_code"] != want[i].status || aa["error.type"] != want[i].errType ||
			aa["gen_ai.provider.name"] != "openai" || aa["gen_ai.request.model"] != strings.TrimPrefix(want[i].name, "chat ") {
			t.Errorf("attempt %d: name %q attrs %v, want %+v", i, a.Name, aa, want[i])
		}
		if i == 1 && aa["gen_ai.usage.input_tokens"] == "0" {
			t.Errorf("successful attempt lacks gen_ai.usage.input_tokens: %v", aa)
		}
		// The upstream of attempt i got a traceparent naming attempt i's span.
		mu.Lock()
		tp := upstreamTP[i]
		mu.Unlock()
		if wantTP := "00-" + traceID + "-" + hex.EncodeToString(a.SpanId) + "-01"; tp != wantTP {
			t.Errorf("upstream %d got traceparent %q, want %q", i, tp, wantTP)
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestTraceparentPassedThroughWhenTracingOff: with no OTLP endpoint, nothing is exported and
// the client's traceparent reaches the upstream unchanged; without one, none is invented.
func TestTraceparentPassedThroughWhenTracingOff(t *testing.T) {
	if tr, err := tracing.FromEnv(noEnv); tr != nil || err != nil {
		t.Fatalf("FromEnv with no endpoint: %v %v, want nil (off)", tr, err)
	}
	if _, err := tracing.FromEnv(envOf(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"})); err == nil ||
		!strings.Contains(err.Error(), "OTEL_EXPORTER_OTLP_ENDPOINT") {
		t.Errorf("endpoint without scheme: got %v, want an error naming the variable", err)
	}
	got := make(chan string, 2)
	up := startUpstreamHandler(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("traceparent")
		fake.NewHandler(fake.Options{}).ServeHTTP(w, r)
	}))
	g := startGateway(t, fmt.Sprintf("model_list:\n  - model_name: m\n    litellm_params: {model: openai/m, api_base: %s/v1}\n", up), Options{})
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	g.post(t, "/v1/chat/completions", fmt.Sprintf(chat, "m"), "traceparent", tp)
	if v := <-got; v != tp {
		t.Errorf("upstream got traceparent %q, want the client's %q", v, tp)
	}
	g.post(t, "/v1/chat/completions", fmt.Sprintf(chat, "m"))
	select {
	case v := <-got:
		if v != "" {
			t.Errorf("upstream got traceparent %q with tracing off and none from the client", v)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("upstream not called")
	}
}

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}
