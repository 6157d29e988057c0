package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/cooldown"
	"github.com/switchyard/switchyard/internal/fake"
	"github.com/switchyard/switchyard/internal/redisx/redistest"
)

// redisRouter is router_settings lines pointing at Redis on 127.0.0.1:port (password optional).
func redisRouter(port int, password string) string {
	s := fmt.Sprintf("  redis_host: 127.0.0.1\n  redis_port: %d\n", port)
	if password != "" {
		s += "  redis_password: " + password + "\n"
	}
	return s
}

// startRedisGateway is startGateway whose server is closed (Redis connections too) at cleanup.
func startRedisGateway(t testing.TB, yaml string, opts Options) *gateway {
	t.Helper()
	g := startGateway(t, yaml, opts)
	t.Cleanup(func() { g.srv.Close() })
	return g
}

// readiness returns /health/readiness's status code and decoded body.
func (g *gateway) readiness(t *testing.T) (int, map[string]any) {
	t.Helper()
	resp, b := g.get(t, "/health/readiness")
	var body map[string]any
	if err := json.Unmarshal(b, &body); err != nil {
		t.Fatalf("readiness body %q: %v", b, err)
	}
	return resp.StatusCode, body
}

// redisDirect is a plain client on srv for inspecting keys.
func redisDirect(t *testing.T, srv *redistest.Server, password string) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), Password: password})
	t.Cleanup(func() { c.Close() })
	return c
}

func TestRedisWiredIntoServer(t *testing.T) {
	srv := redistest.Start(t, "--requirepass", "pw-123456")
	up := startUpstream(t, fake.Options{})
	g := startRedisGateway(t, groupOf([]string{up.URL}, []string{"rpm: 100"}, redisRouter(srv.Port, "pw-123456")), Options{})

	for i := range 3 {
		if resp, b := g.post(t, "/v1/chat/completions", fmt.Sprintf(chat, "m")); resp.StatusCode != http.StatusOK {
			t.Fatalf("request %d: %d %s", i, resp.StatusCode, b)
		}
	}
	code, body := g.readiness(t)
	if code != http.StatusOK || body["redis"] != "up" {
		t.Errorf("readiness: %d %v, want 200 with redis: up", code, body)
	}
	if configured, healthy := g.srv.RedisHealthy(); !configured || !healthy {
		t.Errorf("RedisHealthy() = %v, %v; want true, true", configured, healthy)
	}
	// The requests were counted in Redis, under the model group's hash tag.
	keys, err := redisDirect(t, srv, "pw-123456").Keys(context.Background(), "switchyard:usage:{m}:*").Result()
	if err != nil || len(keys) != 1 || keys[0] != "switchyard:usage:{m}:d0" {
		t.Errorf("usage keys in Redis: %v (err %v), want [switchyard:usage:{m}:d0]", keys, err)
	}
	if n := g.srv.usage.Used("d0").Requests; n != 3 {
		t.Errorf("Used(d0).Requests = %d, want 3", n)
	}
	if strings.Contains(g.logs.String(), "level=WARN") {
		t.Errorf("warnings with a healthy Redis:\n%s", g.logs)
	}
}

func TestNoRedisReadinessUnchanged(t *testing.T) {
	up := startUpstream(t, fake.Options{})
	g := startRedisGateway(t, groupOf([]string{up.URL}, []string{"rpm: 100"}, ""), Options{})
	if _, body := g.readiness(t); body["redis"] != nil {
		t.Errorf("readiness without Redis: %v, want no redis field", body)
	}
	if configured, _ := g.srv.RedisHealthy(); configured {
		t.Error("RedisHealthy reports a Redis that is not configured")
	}
}

// TestRedisBadAtStartup: a Redis that cannot be used at startup gives a degraded start with one
// clear warning, never a hang or an exit; requests are served under the fallback.
func TestRedisBadAtStartup(t *testing.T) {
	srv := redistest.Start(t, "--requirepass", "right-password")
	tests := []struct {
		name, router, want string
	}{
		{"unreachable host", redisRouter(redistest.FreePort(t), ""), "connection refused"},
		// redis_timeout 1 s: on a loaded machine the 50 ms default can time out before WRONGPASS.
		{"wrong password", "  redis_timeout: 1\n" + redisRouter(srv.Port, "wrong-password"), "WRONGPASS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := startUpstream(t, fake.Options{})
			start := time.Now()
			g := startRedisGateway(t, groupOf([]string{up.URL}, []string{"rpm: 100"}, tt.router), Options{})
			if d := time.Since(start); d > time.Second {
				t.Errorf("server.New took %v with a bad Redis, want no wait", d)
			}
			eventually(t, 2*time.Second, func() bool {
				code, body := g.readiness(t)
				return code == http.StatusOK && body["redis"] == "degraded"
			}, "readiness never said redis: degraded")
			for i := range 5 {
				if resp, b := g.post(t, "/v1/chat/completions", fmt.Sprintf(chat, "m")); resp.StatusCode != http.StatusOK {
					t.Fatalf("request %d with a bad Redis: %d %s", i, resp.StatusCode, b)
				}
			}
			if _, healthy := g.srv.RedisHealthy(); healthy {
				t.Error("RedisHealthy says up with a bad Redis")
			}
			logs := g.logs.String()
			if n := strings.Count(logs, "level=WARN"); n != 1 {
				t.Errorf("got %d warnings, want exactly 1:\n%s", n, logs)
			}
			if !strings.Contains(logs, "redis unusable") || !strings.Contains(logs, tt.want) || !strings.Contains(logs, "127.0.0.1:") {
				t.Errorf("warning does not name the problem (%q) and address:\n%s", tt.want, logs)
			}
			if strings.Contains(logs, "right-password") || strings.Contains(logs, "wrong-password") {
				t.Errorf("logs show a password:\n%s", logs)
			}
		})
	}
}

// reloadYAML parses yaml and reloads g with it.
func reloadYAML(t *testing.T, g *gateway, yaml string) {
	t.Helper()
	cfg, err := config.Parse("test.yaml", []byte(yaml), noEnv)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	if err := g.srv.Reload(cfg); err != nil {
		t.Fatalf("Reload: %v", err)
	}
}

// TestRedisAcrossReloads: a reload keeps the Redis usage store; a new cooldown policy gets a new
// Redis-backed tracker (the old one's refresh loop stops), which still shares cooldowns; Redis
// settings changed in the file are logged as needing a restart.
func TestRedisAcrossReloads(t *testing.T) {
	srv := redistest.Start(t)
	bad, good := startUpstream(t, fake.Options{FailRate: 1, FailStatus: 500}), startUpstream(t, fake.Options{})
	yaml := func(extra string) string {
		return twoDeployments(bad.URL, good.URL, extra+"  redis_timeout: 1\n"+redisRouter(srv.Port, ""))
	}
	a := startRedisGateway(t, yaml("  cooldown_time: 30\n"), Options{Rand: first})
	b := startRedisGateway(t, yaml("  cooldown_time: 30\n"), Options{Rand: first})
	store, tracker := a.srv.usage, a.srv.current().cooldowns

	reloadYAML(t, a, yaml("  cooldown_time: 30\n  num_retries: 3\n"))
	if a.srv.usage != store || a.srv.current().cooldowns != tracker {
		t.Error("a reload with the same cooldown policy replaced the usage store or the cooldown tracker")
	}
	goroutines := runtime.NumGoroutine()
	for i := range 10 {
		reloadYAML(t, a, yaml(fmt.Sprintf("  cooldown_time: %d\n", 20+i%2)))
	}
	if a.srv.usage != store {
		t.Error("a reload replaced the Redis usage store")
	}
	if _, ok := a.srv.current().cooldowns.(*cooldown.Redis); !ok {
		t.Errorf("tracker after a policy change is %T, want *cooldown.Redis", a.srv.current().cooldowns)
	}
	eventually(t, 2*time.Second, func() bool { return runtime.NumGoroutine() < goroutines+5 },
		"goroutines keep growing over 10 reloads: replaced cooldown trackers are not closed")

	// The reloaded tracker still shares: b cools the bad deployment, a hears of it.
	badID := a.srv.Table().All()[0].ID
	a.post(t, "/v1/chat/completions", fmt.Sprintf(chat, "m")) // a learns the deployment
	for i := 0; b.srv.current().cooldowns.Until(badID).IsZero(); i++ {
		if i == 10 {
			t.Fatal("instance b never cooled the failing deployment")
		}
		b.post(t, "/v1/chat/completions", fmt.Sprintf(chat, "m"))
	}
	eventually(t, 2500*time.Millisecond, func() bool { return !a.srv.current().cooldowns.Until(badID).IsZero() },
		"after reloads, a no longer hears of b's cooldowns")

	reloadYAML(t, a, twoDeployments(bad.URL, good.URL, "  cooldown_time: 21\n  redis_timeout: 0.2\n"+redisRouter(srv.Port, "")))
	if !strings.Contains(a.logs.String(), "settings that need a restart are not applied") {
		t.Errorf("changing redis_timeout on reload was not logged as needing a restart:\n%s", a.logs)
	}
}

// TestRedisClose: Close stops the background work and leaves the heartbeat set, so the other
// instances' share grows back; a second Close does nothing.
func TestRedisClose(t *testing.T) {
	srv := redistest.Start(t)
	up := startUpstream(t, fake.Options{})
	g := startGateway(t, groupOf([]string{up.URL}, []string{"rpm: 100"}, redisRouter(srv.Port, "")), Options{})
	rdb := redisDirect(t, srv, "")
	ctx := context.Background()
	eventually(t, 2*time.Second, func() bool { return rdb.ZCard(ctx, "switchyard:usage:instances").Val() == 1 },
		"the instance never joined the heartbeat set")
	if err := g.srv.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if n := rdb.ZCard(ctx, "switchyard:usage:instances").Val(); n != 0 {
		t.Errorf("heartbeat set holds %d instances after Close, want 0", n)
	}
	if err := g.srv.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestRedisFallbackModes: with Redis unusable, redis_fallback decides what quotas do — share
// (the default) enforces quota ÷ live instances (1 known here), open admits past the quota,
// closed refuses every deployment with a quota (429, Retry-After).
func TestRedisFallbackModes(t *testing.T) {
	dead := redisRouter(redistest.FreePort(t), "")
	for _, tt := range []struct {
		mode     string
		ok, r429 int
	}{
		{"share", 2, 3},
		{"open", 5, 0},
		{"closed", 0, 5},
	} {
		t.Run(tt.mode, func(t *testing.T) {
			up := startUpstream(t, fake.Options{})
			g := startRedisGateway(t, groupOf([]string{up.URL}, []string{"rpm: 2"}, dead+"  redis_fallback: "+tt.mode+"\n"), Options{})
			eventually(t, 2*time.Second, func() bool { _, up := g.srv.RedisHealthy(); return !up }, "Redis never seen as down")
			got := map[int]int{}
			for range 5 {
				resp, _ := g.post(t, "/v1/chat/completions", fmt.Sprintf(chat, "m"))
				got[resp.StatusCode]++
				if resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") == "" {
					t.Error("429 without Retry-After")
				}
			}
			if got[200] != tt.ok || got[429] != tt.r429 {
				t.Errorf("redis_fallback %s, rpm 2, 5 requests: statuses %v, want %d × 200 and %d × 429", tt.mode, got, tt.ok, tt.r429)
			}
		})
	}
}
