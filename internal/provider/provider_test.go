package provider_test

import (
	"context"
	"io"
	"testing"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/provider/all"
)

func TestJoinURL(t *testing.T) {
	for _, tt := range []struct{ base, path, want string }{
		{"https://x.openai.azure.com/", "/openai/deployments/d", "https://x.openai.azure.com/openai/deployments/d"},
		{"https://x.openai.azure.com", "openai", "https://x.openai.azure.com/openai"},
		{"http://h/v1//", "//chat/completions", "http://h/v1/chat/completions"},
	} {
		if got := provider.JoinURL(tt.base, tt.path); got != tt.want {
			t.Errorf("JoinURL(%q, %q): got %q, want %q", tt.base, tt.path, got, tt.want)
		}
	}
}

func TestNewRequest(t *testing.T) {
	env := map[string]string{"OPENAI_API_KEY": "sk-from-env", "AZURE_API_KEY": "az-env-key",
		"AZURE_API_VERSION": "2025-01-01-preview", "AZURE_API_BASE": "https://env.openai.azure.com"}
	penv := &provider.Env{
		Transports: provider.NewTransports(provider.TransportOptions{}),
		LookupEnv:  func(k string) (string, bool) { v, ok := env[k]; return v, ok },
	}
	tests := []struct {
		name       string
		d          config.Deployment
		op         provider.Op
		url        string
		authHeader string
		auth       string
		extra      [2]string
	}{
		{"openai default base and env key", config.Deployment{Provider: "openai", UpstreamModel: "gpt-4o"}, provider.Chat,
			"https://api.openai.com/v1/chat/completions", "Authorization", "Bearer sk-from-env", [2]string{}},
		{"openai own base and key, embeddings", config.Deployment{Provider: "openai", APIBase: "http://127.0.0.1:9/v1/", APIKey: "sk-own",
			Organization: "org-1"}, provider.Embedding,
			"http://127.0.0.1:9/v1/embeddings", "Authorization", "Bearer sk-own", [2]string{"OpenAI-Organization", "org-1"}},
		{"hosted_vllm with extra headers", config.Deployment{Provider: "hosted_vllm", APIBase: "http://vllm:8000/v1",
			ExtraHeaders: map[string]string{"X-Team": "a"}}, provider.Completion,
			"http://vllm:8000/v1/completions", "Authorization", "", [2]string{"X-Team", "a"}},
		{"azure with version", config.Deployment{Provider: "azure", UpstreamModel: "gpt-turbo-small-ca",
			APIBase: "https://my-endpoint-canada-berri992.openai.azure.com/", APIKey: "az-key", APIVersion: "2024-02-01"}, provider.Chat,
			"https://my-endpoint-canada-berri992.openai.azure.com/openai/deployments/gpt-turbo-small-ca/chat/completions?api-version=2024-02-01",
			"Api-Key", "az-key", [2]string{}},
		{"azure from environment", config.Deployment{Provider: "azure", UpstreamModel: "d1"}, provider.Embedding,
			"https://env.openai.azure.com/openai/deployments/d1/embeddings?api-version=2025-01-01-preview", "Api-Key", "az-env-key", [2]string{}},
	}
	reg := all.Registry()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := reg.New(&tt.d, penv)
			if err != nil {
				t.Fatal(err)
			}
			req, err := p.NewRequest(context.Background(), tt.op, []byte(`{"model":"x"}`))
			if err != nil {
				t.Fatal(err)
			}
			if req.URL.String() != tt.url || req.Method != "POST" {
				t.Errorf("got %s %s, want POST %s", req.Method, req.URL, tt.url)
			}
			if got := req.Header.Get(tt.authHeader); got != tt.auth {
				t.Errorf("%s: got %q, want %q", tt.authHeader, got, tt.auth)
			}
			if tt.extra[0] != "" && req.Header.Get(tt.extra[0]) != tt.extra[1] {
				t.Errorf("%s: got %q, want %q", tt.extra[0], req.Header.Get(tt.extra[0]), tt.extra[1])
			}
			if req.Header.Get("Content-Type") != "application/json" {
				t.Errorf("Content-Type %q, want application/json", req.Header.Get("Content-Type"))
			}
			if b, _ := io.ReadAll(req.Body); string(b) != `{"model":"x"}` {
				t.Errorf("body %s, want the given bytes", b)
			}
		})
	}
	// api_base required where there is no default.
	if _, err := reg.New(&config.Deployment{Provider: "hosted_vllm", UpstreamModel: "m"}, penv); err == nil {
		t.Error("hosted_vllm without api_base: got nil error, want one")
	}
	// One transport per host.
	a := penv.Transports.For("https://h.example/v1", false)
	b := penv.Transports.For("https://h.example/other", false)
	if a != b || a == penv.Transports.For("https://other.example", false) {
		t.Error("transports are not pooled per host")
	}
}

func TestRedacted(t *testing.T) {
	if got := provider.Redacted("https://user:hunter2@h.example/v1"); got != "https://user:xxxxx@h.example/v1" {
		t.Errorf("got %q, want the password masked", got)
	}
	if got := provider.Redacted("https://h.example/v1"); got != "https://h.example/v1" {
		t.Errorf("got %q, want it unchanged", got)
	}
}
