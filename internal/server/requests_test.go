package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/fake"
)

func TestBadRequests(t *testing.T) {
	up := startUpstream(t, fake.Options{})
	g := startGateway(t, fmt.Sprintf(`model_list:
  - model_name: m
    litellm_params: {model: openai/gpt-4o, api_base: %s/v1, api_key: sk-upstream-secret}
general_settings:
  max_request_size_mb: 0.01
`, up.URL), Options{})
	tests := []struct {
		name, method, path, body string
		status                   int
		msg                      string // a fragment the message must contain
	}{
		{"bad JSON", "POST", "/v1/chat/completions", `{"model": "m", "messages": [}`, 400, "invalid JSON"},
		{"not an object", "POST", "/v1/chat/completions", `["m"]`, 400, "JSON object"},
		{"missing model", "POST", "/v1/chat/completions", `{"messages": []}`, 400, `"model"`},
		{"model not a string", "POST", "/v1/chat/completions", `{"model": 4}`, 400, "model"},
		{"unknown model", "POST", "/v1/chat/completions", `{"model": "gpt-9"}`, 400, "gpt-9"},
		{"unknown model points at /v1/models", "POST", "/v1/embeddings", `{"model": "gpt-9"}`, 400, "/v1/models"},
		{"body over max_request_size_mb", "POST", "/v1/chat/completions",
			`{"model":"m","messages":[{"role":"user","content":"` + strings.Repeat("x", 20000) + `"}]}`, 413, "max_request_size_mb"},
		{"wrong method", "GET", "/v1/chat/completions", ``, 405, "method"},
		{"not supported yet", "POST", "/v1/responses", `{}`, 404, "not supported by Switchyard yet"},
		{"audio not supported yet", "POST", "/v1/audio/speech", `{}`, 404, "not supported by Switchyard yet"},
		{"unknown route", "GET", "/nope", ``, 404, "no route"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, g.URL+tt.path, strings.NewReader(tt.body))
			resp, err := g.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var b strings.Builder
			fmt.Fprint(&b, readAll(resp))
			if resp.StatusCode != tt.status {
				t.Errorf("got status %d, want %d: %s", resp.StatusCode, tt.status, b.String())
			}
			if msg := checkEnvelope(t, resp, []byte(b.String())); !strings.Contains(msg, tt.msg) {
				t.Errorf("got message %q, want it to contain %q", msg, tt.msg)
			}
			// The gateway keeps serving.
			if resp, body := g.post(t, "/v1/chat/completions", fmt.Sprintf(chat, "m")); resp.StatusCode != 200 {
				t.Errorf("good request after it: status %d: %s", resp.StatusCode, body)
			}
		})
	}
	if n := up.h.Count(); n != len(tests) {
		t.Errorf("upstream saw %d requests, want %d (only the good ones)", n, len(tests))
	}
}

func readAll(resp *http.Response) string {
	var sb strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			return sb.String()
		}
	}
}

func TestMasterKey(t *testing.T) {
	up := startUpstream(t, fake.Options{})
	g := startGateway(t, fmt.Sprintf(`model_list:
  - model_name: m
    litellm_params: {model: openai/gpt-4o, api_base: %s/v1, api_key: sk-upstream-secret}
general_settings:
  master_key: sk-master-1234
`, up.URL), Options{})
	body := fmt.Sprintf(chat, "m")
	for _, h := range [][]string{nil, {"Authorization", "Bearer wrong"}, {"x-api-key", "sk-master-12345"}} {
		resp, b := g.post(t, "/v1/chat/completions", body, h...)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("key %v: got status %d, want 401", h, resp.StatusCode)
		}
		if msg := checkEnvelope(t, resp, b); strings.Contains(msg, "sk-master") {
			t.Errorf("401 message leaks the key: %q", msg)
		}
	}
	for _, h := range []string{"Authorization", "API-Key", "x-api-key", "x-goog-api-key", "x-litellm-api-key"} {
		v := "sk-master-1234"
		if h == "Authorization" {
			v = "Bearer " + v
		}
		resp, b := g.post(t, "/v1/chat/completions", body, h, v, "OpenAI-Organization", "org-client")
		if resp.StatusCode != http.StatusOK {
			t.Errorf("key in %s: got status %d, want 200: %s", h, resp.StatusCode, b)
		}
	}
	for _, r := range up.h.Requests() {
		if got := r.Header.Get("Authorization"); got != "Bearer sk-upstream-secret" {
			t.Errorf("upstream got Authorization %q, want the deployment's key", got)
		}
		for _, h := range []string{"Api-Key", "X-Api-Key", "X-Goog-Api-Key", "X-Litellm-Api-Key", "Openai-Organization"} {
			if v := r.Header.Get(h); v != "" {
				t.Errorf("client header %s forwarded upstream: %q", h, v)
			}
		}
	}
	for _, path := range []string{"/health/liveliness", "/health/readiness"} {
		if resp, b := g.get(t, path); resp.StatusCode != http.StatusOK {
			t.Errorf("%s without a key: status %d, want 200: %s", path, resp.StatusCode, b)
		}
	}
	if resp, _ := g.get(t, "/v1/models"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("/v1/models without a key: status %d, want 401", resp.StatusCode)
	}
	if resp, _ := g.get(t, "/v1/models", "Authorization", "Bearer sk-master-1234"); resp.StatusCode != http.StatusOK {
		t.Errorf("/v1/models with the key: status %d, want 200", resp.StatusCode)
	}
}

func TestBodyPatching(t *testing.T) {
	up := startUpstream(t, fake.Options{})
	g := startGateway(t, fmt.Sprintf(`model_list:
  - model_name: m
    litellm_params:
      model: openai/gpt-4o
      api_base: %s/v1
      temperature: 0.2
      max_tokens: 20
      extra_headers: {"X-Team": "search"}
`, up.URL), Options{})
	resp, b := g.post(t, "/v1/chat/completions",
		`{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0.9,"fallbacks":["x"],"num_retries":1,"api_base":"http://169.254.169.254","metadata":{"a":1},"user":"u1"}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	r := up.h.Requests()[0]
	var got map[string]json.RawMessage
	if err := json.Unmarshal(r.Body, &got); err != nil {
		t.Fatalf("upstream body is not JSON: %v: %s", err, r.Body)
	}
	want := map[string]string{"model": `"gpt-4o"`, "temperature": `0.9`, "max_tokens": `20`, "user": `"u1"`,
		"messages": `[{"role":"user","content":"hi"}]`}
	for k, v := range want {
		if string(got[k]) != v {
			t.Errorf("upstream body %s: got %s, want %s", k, got[k], v)
		}
	}
	for _, k := range []string{"fallbacks", "num_retries", "api_base", "metadata"} {
		if _, ok := got[k]; ok {
			t.Errorf("upstream body has LiteLLM-only field %q", k)
		}
	}
	if h := r.Header.Get("X-Team"); h != "search" {
		t.Errorf("extra_headers: got X-Team %q, want search", h)
	}
}

func TestHealthAndModels(t *testing.T) {
	up := startUpstream(t, fake.Options{})
	g := startGateway(t, oneDeployment(up.URL), Options{})
	resp, b := g.get(t, "/health/liveliness")
	if resp.StatusCode != 200 || strings.TrimSpace(string(b)) != `"I'm alive!"` {
		t.Errorf("liveliness: got %d %s, want 200 \"I'm alive!\"", resp.StatusCode, b)
	}
	resp, b = g.get(t, "/health/readiness")
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"healthy"`) {
		t.Errorf("readiness: got %d %s, want 200 healthy", resp.StatusCode, b)
	}
	if up.h.Count() != 0 {
		t.Errorf("health probes sent %d requests upstream, want 0", up.h.Count())
	}
}
