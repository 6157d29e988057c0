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
	"syscall"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/fake"
)

// BenchmarkFullPath measures one chat request through the full HTTP path (client → gateway →
// fake upstream, all on loopback in this process) against the floor: the same request through
// a plain, well-tuned httputil.ReverseProxy. "chat" is non-streaming; "stream" is a stream of
// 20 content chunks sent without pauses. Compare ns/op and allocs/op.
//
//	go test -run '^$' -bench FullPath -benchmem ./internal/server/
func BenchmarkFullPath(b *testing.B) {
	up := httptest.NewServer(fake.NewHandler(fake.Options{RecordLimit: 1, Chunks: 20}))
	defer up.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

	gw := startBenchGateway(b, up.URL)

	target, _ := url.Parse(up.URL + "/v1")
	floor := httputil.NewSingleHostReverseProxy(target)
	floor.Transport = &http.Transport{MaxIdleConnsPerHost: 64, ForceAttemptHTTP2: true}
	fl := httptest.NewServer(http.StripPrefix("/v1", floor))
	defer fl.Close()

	for _, call := range []struct{ name, body string }{
		{"chat", `{"model":"gpt-3.5-turbo","messages":[{"role":"user","content":"what llm are you"}]}`},
		{"stream", `{"model":"gpt-3.5-turbo","stream":true,"messages":[{"role":"user","content":"what llm are you"}]}`},
	} {
		for _, tc := range []struct{ name, url string }{
			{"switchyard", gw.URL + "/v1/chat/completions"},
			{"floor-reverseproxy", fl.URL + "/v1/chat/completions"},
		} {
			b.Run(call.name+"/"+tc.name, func(b *testing.B) {
				b.ReportAllocs()
				defer reportCPU(b)()
				for b.Loop() {
					resp, err := client.Post(tc.url, "application/json", strings.NewReader(call.body))
					if err != nil {
						b.Fatal(err)
					}
					n, _ := io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 || n < 100 {
						b.Fatalf("status %d, %d bytes", resp.StatusCode, n)
					}
				}
			})
		}
	}
}

// reportCPU reports the process's CPU time (user+system: client, gateway and upstream
// together) per iteration as cpu-ns/op, which a shared machine disturbs far less than wall
// time. Call it before the loop and its result after: defer reportCPU(b)().
func reportCPU(b *testing.B) func() {
	start := processCPU()
	return func() { b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op") }
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
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

// BenchmarkQuotas measures the full request path under usage-based routing with quotas off
// (no rpm/tpm) and on (rpm/tpm set high enough never to bind), with a short and a 16 KiB prompt.
//
//	go test -run '^$' -bench Quotas -benchmem ./internal/server/
func BenchmarkQuotas(b *testing.B) {
	up := httptest.NewServer(fake.NewHandler(fake.Options{RecordLimit: -1}))
	defer up.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	quiet := Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	gateways := map[string]*gateway{}
	for name, limits := range map[string]string{"off": "", "on": ", rpm: 1000000000, tpm: 1000000000000"} {
		var cfg strings.Builder
		cfg.WriteString("model_list:\n")
		for i := range 3 {
			fmt.Fprintf(&cfg, "  - model_name: m\n    litellm_params: {model: openai/d%d, api_base: %s/v1%s}\n", i, up.URL, limits)
		}
		cfg.WriteString("router_settings: {routing_strategy: usage-based-routing}\n")
		gateways[name] = startGateway(b, cfg.String(), quiet)
	}
	prompts := map[string]string{"short": "what llm are you", "16KiB": strings.Repeat("lorem ipsum ", 16<<10/12)}
	for _, p := range []string{"short", "16KiB"} {
		body := fmt.Sprintf(`{"model":"m","messages":[{"role":"user","content":%q}]}`, prompts[p])
		for _, q := range []string{"off", "on"} {
			url := gateways[q].URL + "/v1/chat/completions"
			b.Run(p+"/quotas-"+q, func(b *testing.B) {
				b.ReportAllocs()
				defer reportCPU(b)()
				for b.Loop() {
					resp, err := client.Post(url, "application/json", strings.NewReader(body))
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
}
