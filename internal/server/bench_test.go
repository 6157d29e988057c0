package server

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/fake"
)

// BenchmarkFullPath measures one non-streaming chat request through the full HTTP path
// (client → gateway → fake upstream, all on loopback in this process) against the floor: the
// same request through a plain, well-tuned httputil.ReverseProxy. Compare ns/op and allocs/op.
//
//	go test -run '^$' -bench FullPath -benchmem ./internal/server/
func BenchmarkFullPath(b *testing.B) {
	up := httptest.NewServer(fake.NewHandler(fake.Options{RecordLimit: 1}))
	defer up.Close()
	body := `{"model":"gpt-3.5-turbo","messages":[{"role":"user","content":"what llm are you"}]}`
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

	gw := startBenchGateway(b, up.URL)

	target, _ := url.Parse(up.URL + "/v1")
	floor := httputil.NewSingleHostReverseProxy(target)
	floor.Transport = &http.Transport{MaxIdleConnsPerHost: 64, ForceAttemptHTTP2: true}
	fl := httptest.NewServer(http.StripPrefix("/v1", floor))
	defer fl.Close()

	for _, tc := range []struct{ name, url string }{
		{"switchyard", gw.URL + "/v1/chat/completions"},
		{"floor-reverseproxy", fl.URL + "/v1/chat/completions"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				resp, err := client.Post(tc.url, "application/json", strings.NewReader(body))
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
		})
	}
}

func startBenchGateway(b *testing.B, upstream string) *gateway {
	b.Helper()
	cfg := fmt.Sprintf(`model_list:
  - model_name: gpt-3.5-turbo
    litellm_params: {model: openai/gpt-3.5-turbo, api_base: %s/v1, api_key: sk-bench, rpm: 1000000}
  - model_name: gpt-3.5-turbo
    litellm_params: {model: openai/gpt-3.5-turbo-b, api_base: %s/v1, api_key: sk-bench, rpm: 1000000}
  - model_name: gpt-3.5-turbo
    litellm_params: {model: openai/gpt-3.5-turbo-c, api_base: %s/v1, api_key: sk-bench, rpm: 1000000}
`, upstream, upstream, upstream)
	// Access lines are logged as in production (info level), to nowhere.
	return startGateway(b, cfg, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
}
