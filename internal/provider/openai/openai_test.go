package openai

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/provider"
)

func TestNewRequestURLAndHeaders(t *testing.T) {
	p := &Provider{Base: "http://127.0.0.1:9/v1/", Key: "sk-test", Header: http.Header{"X-Extra": {"1"}}}
	for op, want := range map[provider.Op]string{
		provider.Chat:       "http://127.0.0.1:9/v1/chat/completions",
		provider.Completion: "http://127.0.0.1:9/v1/completions",
		provider.Embedding:  "http://127.0.0.1:9/v1/embeddings",
	} {
		req, err := p.NewRequest(context.Background(), op, []byte(`{"a":1}`))
		if err != nil {
			t.Fatal(err)
		}
		if req.URL.String() != want || req.Host != "127.0.0.1:9" || req.Method != http.MethodPost {
			t.Errorf("%v: %s %s (host %q), want POST %s", op, req.Method, req.URL, req.Host, want)
		}
		if got := req.Header.Get("Authorization"); got != "Bearer sk-test" {
			t.Errorf("Authorization %q", got)
		}
		if got := req.Header.Get("Content-Type"); got != "application/json" {
			t.Errorf("Content-Type %q", got)
		}
		if req.ContentLength != 7 || req.GetBody == nil {
			t.Errorf("ContentLength %d, GetBody set %v", req.ContentLength, req.GetBody != nil)
		}
		b, _ := io.ReadAll(req.Body)
		if string(b) != `{"a":1}` {
			t.Errorf("body %q", b)
		}
		// Headers are per request: changing one request's leaves the next one's alone.
		req.Header.Add("Authorization", "other")
		req.Header.Add("Content-Type", "other")
		req.Header.Add("X-Extra", "2")
		req.URL.Path = "/changed"
	}
	req, _ := p.NewRequest(context.Background(), provider.Chat, nil)
	if len(req.Header["Authorization"]) != 1 || len(req.Header["Content-Type"]) != 1 ||
		len(req.Header["X-Extra"]) != 1 || req.URL.Path != "/v1/chat/completions" {
		t.Errorf("a request saw another's changes: %v %s", req.Header, req.URL)
	}
}

func TestNewRequestNoKey(t *testing.T) {
	for _, key := range []string{"", "none"} {
		p := &Provider{Base: "http://127.0.0.1:9/v1", Key: config.Secret(key)}
		req, err := p.NewRequest(context.Background(), provider.Chat, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := req.Header["Authorization"]; ok {
			t.Errorf("key %q: Authorization sent", key)
		}
	}
}

func TestNewRequestBadBase(t *testing.T) {
	p := &Provider{Base: "http://bad host/v1"}
	if _, err := p.NewRequest(context.Background(), provider.Chat, nil); err == nil {
		t.Error("a base URL with a space in the host built a request")
	}
}

func BenchmarkNewRequest(b *testing.B) {
	p := &Provider{Base: "http://127.0.0.1:9/v1", Key: "sk-bench", Header: http.Header{}}
	body := []byte(`{"model":"m","messages":[]}`)
	b.Run("cached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p.NewRequest(context.Background(), provider.Chat, body)
		}
	})
	b.Run("parse-per-request", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			req, _ := NewJSONRequest(context.Background(), provider.JoinURL(p.Base, provider.Chat.Path()), body, p.Header)
			req.Header.Set("Authorization", "Bearer "+p.Key.Reveal())
		}
	})
}
