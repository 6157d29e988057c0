package server

import (
	"bufio"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/fake"
)

// TestAccessLogLine: one JSON access line per request, with what an operator needs to find
// out why a request went the way it did.
func TestAccessLogLine(t *testing.T) {
	good := startUpstream(t, fake.Options{})
	down := startUpstream(t, fake.Options{FailRate: 1, FailStatus: 503})
	logs := &syncBuffer{}
	g := startGateway(t, fmt.Sprintf(`model_list:
  - model_name: m
    litellm_params: {model: openai/good, api_base: %s/v1}
    model_info: {id: good}
  - model_name: down
    litellm_params: {model: openai/down, api_base: %s/v1}
    model_info: {id: down1}
router_settings:
  fallbacks: [{down: [m]}]
`, good.URL, down.URL), Options{Logger: slog.New(slog.NewJSONHandler(logs, nil))})

	resp, b := g.post(t, "/v1/chat/completions", `{"model":"down","stream":true,"num_retries":0,"messages":[{"role":"user","content":"hi"}]}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	id := resp.Header.Get("x-litellm-call-id")
	resp, _ = g.post(t, "/v1/chat/completions", fmt.Sprintf(chat, "nope"))
	badID := resp.Header.Get("x-litellm-call-id")

	lines := map[string]map[string]any{}
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	for sc.Scan() {
		var l map[string]any
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("log line is not JSON: %v: %s", err, sc.Text())
		}
		if l["msg"] == "request" {
			lines[l["call_id"].(string)] = l
		}
	}
	if len(lines) != 2 {
		t.Fatalf("%d access lines, want 2: %s", len(lines), logs.String())
	}
	l := lines[id]
	if l == nil {
		t.Fatalf("no access line for call id %q: %s", id, logs.String())
	}
	want := map[string]any{"path": "/v1/chat/completions", "status": 200.0, "model": "down", "model_group": "m",
		"deployment": "good", "attempts": 2.0, "fallbacks": 1.0, "stream": true, "completion_tokens": float64(fake.DefaultChunks)}
	for k, v := range want {
		if l[k] != v {
			t.Errorf("%s: got %v, want %v (line %v)", k, l[k], v, l)
		}
	}
	for _, k := range []string{"latency_ms", "ttft_ms", "prompt_tokens"} {
		if v, ok := l[k].(float64); !ok || v <= 0 {
			t.Errorf("%s: got %v, want a positive number", k, l[k])
		}
	}
	if bad := lines[badID]; bad == nil || bad["status"] != 400.0 || bad["model_group"] != nil {
		t.Errorf("unknown model: got %v, want status 400 and no model group", bad)
	}
}
