package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/switchyard/switchyard/internal/fake"
	"github.com/switchyard/switchyard/internal/redisx/redistest"
)

// BenchmarkRedisStore measures the full request path (client → gateway → fake upstream, all on
// loopback in this process) with quotas counted in a real redis-server against the same with
// the in-memory store, in one run. Three deployments with rpm and tpm, usage-based-routing;
// requests from parallel clients (RunParallel, GOMAXPROCS×4 of them). Throughput ratio =
// memory ns/op ÷ redis ns/op.
//
//	go test -run '^$' -bench RedisStore -benchtime 1s ./internal/server/
func BenchmarkRedisStore(b *testing.B) {
	srv := redistest.Start(b)
	up := httptest.NewServer(fake.NewHandler(fake.Options{RecordLimit: -1}))
	defer up.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	quiet := Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	var cfg strings.Builder
	cfg.WriteString("model_list:\n")
	for i := range 3 {
		fmt.Fprintf(&cfg, "  - model_name: m\n    litellm_params: {model: openai/d%d, api_base: %s/v1, rpm: 1000000000, tpm: 1000000000000}\n", i, up.URL)
	}
	cfg.WriteString("router_settings:\n  routing_strategy: usage-based-routing\n")
	gateways := []struct {
		name string
		g    *gateway
	}{
		{"memory", startRedisGateway(b, cfg.String(), quiet)},
		{"redis", startRedisGateway(b, cfg.String()+redisRouter(srv.Port, ""), quiet)},
	}
	body := `{"model":"m","messages":[{"role":"user","content":"what llm are you"}]}`
	// Interleaved rounds, so both modes see the same machine load (it is shared and noisy):
	// compare memory#k with redis#k.
	for range 5 {
		for _, gw := range gateways {
			runParallelPosts(b, gw.name, client, gw.g.URL+"/v1/chat/completions", body)
		}
	}
	// Redis's own CPU per script (it shares the cores with everything else here).
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rdb.Close()
	if info, err := rdb.Info(context.Background(), "commandstats").Result(); err == nil {
		for _, line := range strings.Split(info, "\n") {
			if strings.HasPrefix(line, "cmdstat_evalsha:") || strings.HasPrefix(line, "cmdstat_eval:") {
				b.Log(strings.TrimSpace(line))
			}
		}
	}
	if st := gateways[1].g.srv.redis.usage.Stats(); st.Fallbacks > 0 {
		b.Logf("redis: %d of %d reservations answered by the fallback (timeouts on a loaded machine)", st.Fallbacks, st.Reserves+st.Fallbacks)
	}
}

// runParallelPosts is a sub-benchmark posting body to url from parallel clients.
func runParallelPosts(b *testing.B, name string, client *http.Client, url, body string) {
	b.Run(name, func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				resp, err := client.Post(url, "application/json", strings.NewReader(body))
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
			}
		})
	})
}
