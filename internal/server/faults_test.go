package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"

	"github.com/switchyard/switchyard/internal/fake"
)

// script is an upstream whose behaviour a test writes as a handler; it counts requests and
// records whether each was cancelled.
type script struct {
	hits      atomic.Int64
	cancelled atomic.Int64
	fn        func(w http.ResponseWriter, r *http.Request, n int64)
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := s.hits.Add(1)
	s.fn(w, r, n)
	if r.Context().Err() != nil {
		s.cancelled.Add(1)
	}
}

func startScript(t *testing.T, fn func(w http.ResponseWriter, r *http.Request, n int64)) (*script, string) {
	s := &script{fn: fn}
	return s, startUpstreamHandler(t, s)
}

// sse writes one chunk event carrying content (or a finish reason when content is "").
func sse(w http.ResponseWriter, content string) {
	if content == "" {
		fmt.Fprint(w, `data: {"id":"x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`+"\n\n")
	} else {
		fmt.Fprintf(w, `data: {"id":"x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":%q},"finish_reason":null}]}`+"\n\n", content)
	}
	w.(http.Flusher).Flush()
}

func sseHeaders(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(200)
	w.(http.Flusher).Flush()
}

// wait blocks until the request is cancelled, or 5 s at most so a test can always clean up.
func wait(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(5 * time.Second):
	}
}

const streamBody = `{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}`

// streamFaults are upstream faults on a streaming call, each served with a healthy second
// deployment behind it (tried second: Rand first).
func TestStreamFaults(t *testing.T) {
	tests := []struct {
		name string
		bad  func(w http.ResponseWriter, r *http.Request, n int64)
		// committed: the fault comes after the first chunk, so the client sees the failure.
		committed bool
		code      string // the error event's code when committed
	}{
		{"hangs before headers (U2)", func(w http.ResponseWriter, r *http.Request, n int64) {
			wait(r)
		}, false, ""},
		{"headers then silence (U3)", func(w http.ResponseWriter, r *http.Request, n int64) {
			sseHeaders(w)
			wait(r)
		}, false, ""},
		{"role chunk then silence (U3)", func(w http.ResponseWriter, r *http.Request, n int64) {
			sseHeaders(w)
			fmt.Fprint(w, `data: {"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}`+"\n\n")
			w.(http.Flusher).Flush()
			wait(r)
		}, false, ""},
		{"error event first (U4)", func(w http.ResponseWriter, r *http.Request, n int64) {
			sseHeaders(w)
			fmt.Fprint(w, `data: {"error":{"message":"overloaded","type":"server_error"}}`+"\n\n")
		}, false, ""},
		{"three chunks then reset (M1)", func(w http.ResponseWriter, r *http.Request, n int64) {
			sseHeaders(w)
			for i := range 3 {
				sse(w, fmt.Sprint("part", i))
			}
			panic(http.ErrAbortHandler)
		}, true, "upstream_disconnected"},
		{"stall after commit (M2)", func(w http.ResponseWriter, r *http.Request, n int64) {
			sseHeaders(w)
			sse(w, "part")
			wait(r)
		}, true, "timeout"},
		{"error event mid-stream (M4)", func(w http.ResponseWriter, r *http.Request, n int64) {
			sseHeaders(w)
			sse(w, "part")
			fmt.Fprint(w, `data: {"error":{"message":"upstream broke","type":"server_error","param":null,"code":"boom"}}`+"\n\n")
		}, true, "boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad, badURL := startScript(t, tt.bad)
			good := startUpstream(t, fake.Options{Chunks: 3})
			g := startGateway(t, twoDeployments(badURL, good.URL, "  stream_timeout: 0.3\n  stream_idle_timeout: 0.3\n"), Options{Rand: first})
			start := time.Now()
			resp, b := g.post(t, "/v1/chat/completions", streamBody)
			body := string(b)
			if elapsed := time.Since(start); elapsed > 5*time.Second {
				t.Errorf("took %v, want about the 0.3 s timeout", elapsed)
			}
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			if tt.committed {
				if strings.Contains(body, "[DONE]") || !strings.Contains(body, `"code":"`+tt.code+`"`) || !strings.Contains(body, `data: {"error"`) {
					t.Errorf("got %q, want an error event with code %q and no [DONE]", body, tt.code)
				}
				if good.h.Count() != 0 {
					t.Errorf("good deployment got %d requests: no failover after commit", good.h.Count())
				}
				return
			}
			if !strings.HasSuffix(body, "data: [DONE]\n\n") || strings.Contains(body, "error") || strings.Contains(body, "part") {
				t.Errorf("got %q, want only the healthy deployment's stream", body)
			}
			if resp.Header.Get("x-litellm-attempted-retries") != "1" || good.h.Count() != 1 {
				t.Errorf("retries %q, good hits %d: want 1 and 1", resp.Header.Get("x-litellm-attempted-retries"), good.h.Count())
			}
			if n := bad.hits.Load(); n != 1 {
				t.Errorf("bad upstream got %d attempts, want 1", n)
			}
		})
	}
}

// A committed stream that breaks is an error for the OpenAI SDK, never a clean end.
func TestBrokenStreamIsAnSDKError(t *testing.T) {
	_, badURL := startScript(t, func(w http.ResponseWriter, r *http.Request, n int64) {
		sseHeaders(w)
		for i := range 3 {
			sse(w, fmt.Sprint("part", i))
		}
		panic(http.ErrAbortHandler)
	})
	g := startGateway(t, fmt.Sprintf("model_list:\n  - model_name: gpt-3.5-turbo\n    litellm_params: {model: openai/x, api_base: %s/v1}\n", badURL), Options{})
	client := sdkClient(g)
	stream := client.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{
		Model: "gpt-3.5-turbo", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
	chunks := 0
	for stream.Next() {
		chunks++
	}
	if stream.Err() == nil {
		t.Errorf("after %d chunks the stream ended cleanly; want an SDK error", chunks)
	}
	if chunks != 3 {
		t.Errorf("got %d chunks before the error, want 3", chunks)
	}
}

func TestRateLimitedDeploymentCoolsThenProbes(t *testing.T) {
	bad, badURL := startScript(t, func(w http.ResponseWriter, r *http.Request, n int64) {
		if n == 1 {
			w.Header().Set("Retry-After", "2")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(429)
			fmt.Fprint(w, `{"error":{"message":"slow down","type":"rate_limit_error"}}`)
			return
		}
		fake.NewHandler(fake.Options{}).ServeHTTP(w, r)
	})
	good := startUpstream(t, fake.Options{})
	g := startGateway(t, twoDeployments(badURL, good.URL, ""), Options{Rand: first})
	body := fmt.Sprintf(chat, "m")
	start := time.Now()
	for time.Since(start) < 1500*time.Millisecond {
		if resp, b := g.post(t, "/v1/chat/completions", body); resp.StatusCode != 200 {
			t.Fatalf("status %d: %s", resp.StatusCode, b)
		}
	}
	if n := bad.hits.Load(); n != 1 {
		t.Fatalf("the 429 deployment got %d requests during its 2 s cooldown, want 1", n)
	}
	// After the cooldown: one probe, which succeeds, then full traffic again.
	waitFor(t, func() bool {
		g.post(t, "/v1/chat/completions", body)
		return bad.hits.Load() >= 3
	}, "traffic back on the recovered deployment")
	if since := time.Since(start); since < 2*time.Second {
		t.Errorf("the deployment got traffic again after %v, want ≥ 2 s (Retry-After)", since)
	}
}

func TestAllCoolingFailsFast(t *testing.T) {
	a := startUpstream(t, fake.Options{FailRate: 1, FailStatus: 503})
	b := startUpstream(t, fake.Options{FailRate: 1, FailStatus: 503})
	g := startGateway(t, twoDeployments(a.URL, b.URL, "  allowed_fails: 0\n  cooldown_time: 30\n  num_retries: 1\n"), Options{})
	resp, body := g.post(t, "/v1/chat/completions", fmt.Sprintf(chat, "m"))
	if resp.StatusCode != 503 {
		t.Fatalf("first request: got %d, want the upstreams' 503: %s", resp.StatusCode, body)
	}
	hits := a.h.Count() + b.h.Count()
	start := time.Now()
	resp, body = g.post(t, "/v1/chat/completions", fmt.Sprintf(chat, "m"))
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("all cooling: got %d Retry-After %q, want 429 with Retry-After: %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if msg := checkEnvelope(t, resp, body); !strings.Contains(msg, "cooling down") {
		t.Errorf("message %q, want it to say the deployments are cooling down", msg)
	}
	if time.Since(start) > 500*time.Millisecond {
		t.Errorf("took %v, want a fast answer", time.Since(start))
	}
	if n := a.h.Count() + b.h.Count(); n != hits {
		t.Errorf("upstreams got %d more requests while cooling, want 0", n-hits)
	}
}

func TestRetryBudgetCapsAnOutage(t *testing.T) {
	up := startUpstream(t, fake.Options{FailRate: 1, FailStatus: 503, Latency: 20 * time.Millisecond})
	g := startGateway(t, fmt.Sprintf("model_list:\n  - model_name: m\n    litellm_params: {model: openai/x, api_base: %s/v1}\nrouter_settings: {num_retries: 3, disable_cooldowns: true}\n", up.URL), Options{})
	got := burst(t, g, 30, 30, fmt.Sprintf(chat, "m"))
	if got[503] != 30 {
		t.Errorf("statuses %v, want 30 × 503", got)
	}
	// Without a budget: 30 × (1 + 3) = 120. With it at most max(3, 20 % of 30) = 6 retries are
	// in flight, each retrying at most 3 times while the rest fail at once.
	if n := up.h.Count(); n < 30 || n > 30+6*3 {
		t.Errorf("upstream got %d requests, want 30..48 (the retry budget)", n)
	}
}

func TestClientGoneDuringBackoff(t *testing.T) {
	up := startUpstream(t, fake.Options{FailRate: 1, FailStatus: 503})
	g := startGateway(t, fmt.Sprintf("model_list:\n  - model_name: m\n    litellm_params: {model: openai/x, api_base: %s/v1}\nrouter_settings: {num_retries: 3, disable_cooldowns: true}\n", up.URL), Options{})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", g.URL+"/v1/chat/completions", strings.NewReader(fmt.Sprintf(chat, "m")))
	done := make(chan struct{})
	go func() {
		defer close(done)
		if resp, err := g.Client().Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	waitFor(t, func() bool { return up.h.Count() == 1 }, "the first attempt")
	cancel() // during the ≥ 375 ms backoff before the second attempt
	<-done
	time.Sleep(1500 * time.Millisecond) // longer than any backoff it could have been in
	if n := up.h.Count(); n != 1 {
		t.Errorf("upstream got %d attempts, want 1: no attempt after the client left", n)
	}
}

func TestGarbage200IsNotRetried(t *testing.T) {
	bad, badURL := startScript(t, func(w http.ResponseWriter, r *http.Request, n int64) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html>oops</html>")
	})
	good := startUpstream(t, fake.Options{})
	g := startGateway(t, twoDeployments(badURL, good.URL, ""), Options{Rand: first})
	resp, b := g.post(t, "/v1/chat/completions", fmt.Sprintf(chat, "m"))
	if resp.StatusCode != 502 || bad.hits.Load() != 1 || good.h.Count() != 0 {
		t.Errorf("got %d with %d/%d attempts, want 502 and 1/0 (a 200 may be billed: not retried): %s",
			resp.StatusCode, bad.hits.Load(), good.h.Count(), b)
	}
	checkEnvelope(t, resp, b)
}

func TestSlowFirstTokenThenKeepAlives(t *testing.T) {
	_, url := startScript(t, func(w http.ResponseWriter, r *http.Request, n int64) {
		sseHeaders(w)
		time.Sleep(300 * time.Millisecond) // slow first token, within stream_timeout
		sse(w, "hello")
		time.Sleep(500 * time.Millisecond) // a gap after commit
		sse(w, "")
		fmt.Fprint(w, "data: [DONE]\n\n")
		fmt.Fprint(w, "data: {\"after\":\"done\"}\n\n") // M7: nothing after [DONE] reaches the client
	})
	g := startGateway(t, fmt.Sprintf("model_list:\n  - model_name: m\n    litellm_params: {model: openai/x, api_base: %s/v1}\nrouter_settings: {stream_timeout: 2, stream_keepalive: 0.1}\n", url), Options{})
	resp, b := g.post(t, "/v1/chat/completions", streamBody)
	body := string(b)
	if resp.StatusCode != 200 || !strings.HasSuffix(body, "data: [DONE]\n\n") {
		t.Fatalf("got %d %q, want a complete stream", resp.StatusCode, body)
	}
	if !strings.HasPrefix(body, "data: ") {
		t.Errorf("stream starts %q: nothing may precede the first content event", body[:min(20, len(body))])
	}
	if !strings.Contains(body, ": keep-alive\n\n") {
		t.Errorf("no keep-alive comment in a 500 ms gap with stream_keepalive 0.1 s: %q", body)
	}
	if strings.Contains(body, "after") {
		t.Errorf("data after [DONE] reached the client: %q", body)
	}
}

func TestFallbacks(t *testing.T) {
	down := startUpstream(t, fake.Options{FailRate: 1, FailStatus: 500})
	long, longURL := startScript(t, func(w http.ResponseWriter, r *http.Request, n int64) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		fmt.Fprint(w, `{"error":{"message":"This model's maximum context length is 8192 tokens","type":"invalid_request_error","code":"context_length_exceeded"}}`)
	})
	up := startUpstream(t, fake.Options{})
	cfg := fmt.Sprintf(`model_list:
  - model_name: primary
    litellm_params: {model: openai/a, api_base: %s/v1}
  - model_name: short
    litellm_params: {model: openai/s, api_base: %s/v1}
  - model_name: backup
    litellm_params: {model: openai/b, api_base: %s/v1}
  - model_name: big
    litellm_params: {model: openai/big, api_base: %s/v1}
router_settings:
  num_retries: 0
  fallbacks: [{"primary": ["backup"]}]
  context_window_fallbacks: [{"short": ["big"]}]
`, down.URL, longURL, up.URL, up.URL)
	g := startGateway(t, cfg, Options{})
	tests := []struct {
		name, body, group string
		status            int
	}{
		{"router fallbacks", fmt.Sprintf(chat, "primary"), "backup", 200},
		{"context window fallbacks", fmt.Sprintf(chat, "short"), "big", 200},
		{"request-body fallbacks", `{"model":"primary","fallbacks":["big"],"messages":[]}`, "big", 200},
		{"disable_fallbacks", `{"model":"primary","disable_fallbacks":true,"messages":[]}`, "primary", 500},
	}
	for _, tt := range tests {
		resp, b := g.post(t, "/v1/chat/completions", tt.body)
		if resp.StatusCode != tt.status {
			t.Errorf("%s: status %d, want %d: %s", tt.name, resp.StatusCode, tt.status, b)
			continue
		}
		if tt.status == 200 {
			if got := resp.Header.Get("x-litellm-model-group"); got != tt.group {
				t.Errorf("%s: served by group %q, want %q", tt.name, got, tt.group)
			}
			if got := resp.Header.Get("x-litellm-attempted-fallbacks"); got != "1" {
				t.Errorf("%s: x-litellm-attempted-fallbacks %q, want 1", tt.name, got)
			}
		}
	}
	if long.hits.Load() != 1 {
		t.Errorf("context-window error retried: %d attempts, want 1", long.hits.Load())
	}
}

func TestRetryPolicyPerErrorKind(t *testing.T) {
	up := startUpstream(t, fake.Options{FailRate: 1, FailStatus: 429})
	g := startGateway(t, fmt.Sprintf(`model_list:
  - model_name: m
    litellm_params: {model: openai/x, api_base: %s/v1}
router_settings:
  num_retries: 3
  disable_cooldowns: true
  retry_policy: {"RateLimitErrorRetries": 0}
`, up.URL), Options{})
	resp, _ := g.post(t, "/v1/chat/completions", fmt.Sprintf(chat, "m"))
	if resp.StatusCode != 429 || up.h.Count() != 1 {
		t.Errorf("got %d after %d attempts, want 429 after 1 (RateLimitErrorRetries: 0)", resp.StatusCode, up.h.Count())
	}
}

func TestContextWindowPreCallCheck(t *testing.T) {
	small := startUpstream(t, fake.Options{})
	big := startUpstream(t, fake.Options{})
	g := startGateway(t, fmt.Sprintf(`model_list:
  - model_name: small
    litellm_params: {model: openai/s, api_base: %s/v1}
    model_info: {max_input_tokens: 100}
  - model_name: big
    litellm_params: {model: openai/b, api_base: %s/v1}
    model_info: {max_input_tokens: 100000}
router_settings:
  enable_pre_call_checks: true
`, small.URL, big.URL), Options{})
	long := fmt.Sprintf(`{"model":"small","messages":[{"role":"user","content":%q}]}`, strings.Repeat("word ", 500))
	resp, b := g.post(t, "/v1/chat/completions", long)
	if msg := checkEnvelope(t, resp, b); resp.StatusCode != 400 || !strings.Contains(string(b), "context_length_exceeded") || !strings.Contains(msg, "100 tokens") {
		t.Errorf("got %d %s, want 400 context_length_exceeded naming the limit", resp.StatusCode, b)
	}
	if small.h.Count() != 0 {
		t.Errorf("the too-small deployment was called %d times, want 0 (pre-call check)", small.h.Count())
	}
	// A short prompt fits and is served.
	if resp, _ := g.post(t, "/v1/chat/completions", fmt.Sprintf(chat, "small")); resp.StatusCode != 200 {
		t.Errorf("short prompt: status %d, want 200", resp.StatusCode)
	}
	// With context_window_fallbacks the long prompt goes to the bigger group.
	g2 := startGateway(t, fmt.Sprintf(`model_list:
  - model_name: small
    litellm_params: {model: openai/s, api_base: %s/v1}
    model_info: {max_input_tokens: 100}
  - model_name: big
    litellm_params: {model: openai/b, api_base: %s/v1}
router_settings:
  enable_pre_call_checks: true
  context_window_fallbacks: [{"small": ["big"]}]
`, small.URL, big.URL), Options{})
	resp, b = g2.post(t, "/v1/chat/completions", long)
	if resp.StatusCode != 200 || resp.Header.Get("x-litellm-model-group") != "big" {
		t.Errorf("got %d from %q, want 200 from the fallback group big: %s", resp.StatusCode, resp.Header.Get("x-litellm-model-group"), b)
	}
}
