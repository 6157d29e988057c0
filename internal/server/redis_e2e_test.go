package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/fake"
	"github.com/switchyard/switchyard/internal/redisx/redistest"
)

// End-to-end tests of several gateway instances sharing one real redis-server (issue 5): each
// instance is a full Server on its own loopback port, the upstreams are fake LLM servers, and
// the assertions are about what the upstreams saw and what the clients got.

// sharedGroup is a config of group "shared-group" with a small-quota deployment d0 (limit, e.g.
// "rpm: 10") on small and a large-quota one d1 on large, plus router settings. Equal weights
// make simple-shuffle pick both alike (it would otherwise weigh them by rpm). The group name is
// longer than the upstream model names, so a request's body shrinks on its way upstream and
// the gateway's token estimate is never below what the upstream counts.
func sharedGroup(small, large, limit, router string) string {
	return fmt.Sprintf(`model_list:
  - model_name: shared-group
    litellm_params: {model: openai/d0, api_base: %s/v1, weight: 1, %s}
    model_info: {id: d0}
  - model_name: shared-group
    litellm_params: {model: openai/d1, api_base: %s/v1, weight: 1, rpm: 1000000, tpm: 1000000000}
    model_info: {id: d1}
router_settings:
%s`, small, limit, large, router)
}

const sharedChat = `{"model":"shared-group","messages":[{"role":"user","content":"what llm are you"}],"max_tokens":10}`

// startFleet starts n gateways serving yaml against one Redis, opts(i) giving instance i's
// options (nil: defaults), and waits until each has seen all n heartbeats (what
// redis_fallback: share divides by).
func startFleet(t *testing.T, n int, yaml string, opts func(i int) Options) []*gateway {
	t.Helper()
	gws := make([]*gateway, n)
	for i := range gws {
		var o Options
		if opts != nil {
			o = opts(i)
		}
		gws[i] = startRedisGateway(t, yaml, o)
	}
	eventually(t, 5*time.Second, func() bool {
		for _, g := range gws {
			if g.srv.redis.usage.Stats().Instances != int64(n) {
				return false
			}
		}
		return true
	}, "instances never saw each other's heartbeats")
	return gws
}

// result is one answer seen by a client.
type result struct {
	instance int
	status   int
	model    string // x-litellm-model-id: the deployment that answered
	took     time.Duration
}

// fanOut sends n requests (body) from conc concurrent clients, request i to gateway i mod
// len(gws), and returns every answer. Transport errors are test errors.
func fanOut(t *testing.T, gws []*gateway, n, conc int, body string) []result {
	t.Helper()
	var mu sync.Mutex
	var out []result
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range conc {
		wg.Go(func() {
			for i := range jobs {
				g := gws[i%len(gws)]
				start := time.Now()
				resp, err := g.Client().Post(g.URL+"/v1/chat/completions", "application/json", strings.NewReader(body))
				if err != nil {
					t.Errorf("request %d to instance %d: %v", i, i%len(gws), err)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				r := result{instance: i % len(gws), status: resp.StatusCode, model: resp.Header.Get("x-litellm-model-id"), took: time.Since(start)}
				mu.Lock()
				out = append(out, r)
				mu.Unlock()
			}
		})
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return out
}

// statuses counts results by status.
func statuses(rs []result) map[int]int {
	m := map[int]int{}
	for _, r := range rs {
		m[r.status]++
	}
	return m
}

// upstreamTokens is what a fake upstream counted for every request it got: ceil(body/4)
// prompt tokens plus the completion (out tokens each).
func upstreamTokens(u *upstream, out int) int {
	n := 0
	for _, r := range u.h.Requests() {
		n += (len(r.Body)+3)/4 + out
	}
	return n
}

// slowOK is redis_timeout for tests that assert exact shared counting: this machine runs the
// race detector on shared cores, where a 50 ms call sometimes times out, and a timed-out call
// is Redis trouble, answered by the fallback (tested in TestRedisFrozen).
const slowOK = "  redis_timeout: 1\n"

// TestRedisQuotasHoldAcrossInstances: three instances, one Redis, a deployment with rpm 10 (or
// tpm 600) and one with a large quota; 90 concurrent requests spread over the instances. The
// small deployment's upstream sees at most its quota in the minute, in every strategy; every
// client gets 200 (the large deployment takes the rest). Each instance counting alone would
// let through three times the quota.
func TestRedisQuotasHoldAcrossInstances(t *testing.T) {
	srv := redistest.Start(t)
	for _, strategy := range []string{"usage-based-routing", "simple-shuffle", "least-busy"} {
		for _, q := range []struct{ name, limit string }{{"rpm", "rpm: 10"}, {"tpm", "tpm: 600"}} {
			t.Run(strategy+"/"+q.name, func(t *testing.T) {
				redisDirect(t, srv, "").FlushAll(context.Background())
				small, large := startUpstream(t, fake.Options{RecordLimit: -1}), startUpstream(t, fake.Options{})
				gws := startFleet(t, 3, sharedGroup(small.URL, large.URL, q.limit,
					"  routing_strategy: "+strategy+"\n"+slowOK+redisRouter(srv.Port, "")), nil)
				rs := fanOut(t, gws, 90, 30, sharedChat)
				if got := statuses(rs); got[200] != 90 {
					t.Errorf("statuses %v, want 90 × 200", got)
				}
				n := small.h.Count()
				if n == 0 {
					t.Errorf("the small deployment got no request; the test shows nothing")
				}
				switch q.name {
				case "rpm":
					if n > 10 {
						t.Errorf("rpm-10 upstream got %d requests in the minute from 3 instances, want ≤ 10", n)
					}
				case "tpm":
					if tok := upstreamTokens(small, 10); tok > 600 {
						t.Errorf("tpm-600 upstream got %d requests worth %d tokens in the minute, want ≤ 600", n, tok)
					}
				}
				for i, g := range gws {
					if st := g.srv.redis.usage.Stats(); st.Fallbacks != 0 {
						t.Errorf("instance %d answered %d reservations from the fallback with Redis up (%+v)", i, st.Fallbacks, st)
					}
				}
				if n+large.h.Count() != 90 {
					t.Errorf("upstreams saw %d + %d requests, want 90", n, large.h.Count())
				}
			})
		}
	}
}

// TestRedisWindowIgnoresInstanceClocks: instances whose clocks disagree by ±40 s still share one
// window, because the window is counted on Redis's clock.
func TestRedisWindowIgnoresInstanceClocks(t *testing.T) {
	srv := redistest.Start(t)
	small, large := startUpstream(t, fake.Options{}), startUpstream(t, fake.Options{})
	offsets := []time.Duration{-40 * time.Second, 0, 40 * time.Second}
	gws := startFleet(t, 3, sharedGroup(small.URL, large.URL, "rpm: 10", "  routing_strategy: usage-based-routing\n"+slowOK+redisRouter(srv.Port, "")),
		func(i int) Options {
			return Options{Now: func() time.Time { return time.Now().Add(offsets[i]) }}
		})
	rs := fanOut(t, gws, 90, 30, sharedChat)
	if got := statuses(rs); got[200] != 90 {
		t.Errorf("statuses %v, want 90 × 200", got)
	}
	if n := small.h.Count(); n == 0 || n > 10 {
		t.Errorf("rpm-10 upstream got %d requests from instances with skewed clocks, want 1..10", n)
	}
}

// TestRedisSharedCooldown: a deployment cooled down by instance A gets no traffic from B and C.
func TestRedisSharedCooldown(t *testing.T) {
	srv := redistest.Start(t)
	bad, good := startUpstream(t, fake.Options{FailRate: 1, FailStatus: 500}), startUpstream(t, fake.Options{})
	cfg := twoDeployments(bad.URL, good.URL, "  cooldown_time: 30\n"+slowOK+redisRouter(srv.Port, ""))
	gws := startFleet(t, 3, cfg, func(int) Options { return Options{Rand: first} })
	a, others := gws[0], gws[1:]
	badID := a.srv.Table().All()[0].ID
	// Until B and C know the deployment, they have nothing to read: let each see one request.
	for _, g := range others {
		if resp, b := g.post(t, "/v1/chat/completions", fmt.Sprintf(chat, "m")); resp.StatusCode != http.StatusOK {
			t.Fatalf("warm-up: %d %s", resp.StatusCode, b)
		}
	}
	// A alone sends until it cools the bad deployment (allowed_fails 3: the 4th failure).
	for i := 0; a.srv.current().cooldowns.Until(badID).IsZero(); i++ {
		if i == 10 {
			t.Fatal("instance A never cooled the failing deployment")
		}
		if resp, b := a.post(t, "/v1/chat/completions", fmt.Sprintf(chat, "m")); resp.StatusCode != http.StatusOK {
			t.Fatalf("request on A: %d %s", resp.StatusCode, b)
		}
	}
	cooled := time.Now()
	for _, g := range others {
		// Honoured within one refresh (250 ms) plus a round trip; allow 10×.
		eventually(t, 2500*time.Millisecond, func() bool { return !g.srv.current().cooldowns.Until(badID).IsZero() },
			"instance B/C never learnt A's cooldown")
	}
	t.Logf("cooldown seen by B and C %v after A decided it", time.Since(cooled).Round(time.Millisecond))
	before := bad.h.Count()
	for _, g := range others {
		for range 10 {
			resp, b := g.post(t, "/v1/chat/completions", fmt.Sprintf(chat, "m"))
			if resp.StatusCode != http.StatusOK || resp.Header.Get("x-litellm-attempted-retries") != "0" && resp.Header.Get("x-litellm-attempted-retries") != "" {
				t.Errorf("request on B/C: %d, retries %q: %s", resp.StatusCode, resp.Header.Get("x-litellm-attempted-retries"), b)
			}
		}
	}
	if n := bad.h.Count() - before; n != 0 {
		t.Errorf("the deployment A cooled down got %d requests from B and C, want 0", n)
	}
}

// TestRedisFrozen: kill -STOP the Redis process mid-load. Every request still completes within
// its normal latency plus the Redis deadline (asserted with a 10× margin); quotas fall back to
// per-instance shares (rpm 30 ÷ 3 live instances = 10 each); kill -CONT → shared counting
// resumes without a restart.
func TestRedisFrozen(t *testing.T) {
	srv := redistest.Start(t)
	small, large := startUpstream(t, fake.Options{}), startUpstream(t, fake.Options{})
	gws := startFleet(t, 3, sharedGroup(small.URL, large.URL, "rpm: 30", "  redis_timeout: 0.05\n"+redisRouter(srv.Port, "")), nil)
	// Normal latency, Redis up: a few requests.
	warm := fanOut(t, gws, 6, 3, sharedChat)
	var normal time.Duration
	for _, r := range warm {
		normal = max(normal, r.took)
	}

	srv.Stop()
	frozen := fanOut(t, gws, 90, 30, sharedChat)
	srv.Cont()
	bound := 10 * (normal + 50*time.Millisecond)
	perInstance := map[int]int{}
	for _, r := range frozen {
		if r.status != http.StatusOK {
			t.Errorf("instance %d answered %d with Redis frozen, want 200", r.instance, r.status)
		}
		if r.took > bound {
			t.Errorf("a request took %v with Redis frozen, want ≤ %v (10 × (normal %v + redis_timeout 50ms))", r.took, bound, normal)
		}
		if r.model == "d0" {
			perInstance[r.instance]++
		}
	}
	for i, n := range perInstance {
		// Each instance's share is 30 ÷ 3 = 10, less what it had already sent d0 before.
		if n > 10 {
			t.Errorf("instance %d sent d0 %d requests with Redis frozen, want ≤ its share 10", i, n)
		}
	}
	for i, g := range gws {
		if g.srv.redis.usage.Stats().Fallbacks == 0 {
			t.Errorf("instance %d never used the fallback while Redis was frozen", i)
		}
	}

	// Thawed: the breaker probes after its cool-off (1 s) and shared counting resumes.
	for _, g := range gws {
		eventually(t, 5*time.Second, func() bool { _, body := g.readiness(t); return body["redis"] == "up" }, "readiness never said redis: up after SIGCONT")
	}
	checkShared(t, gws)
}

// checkShared sends requests to instance 0 only, none of them answered by the fallback, and
// waits until instance 1's view of the window (read from Redis) matches instance 0's: counting
// is shared again.
func checkShared(t *testing.T, gws []*gateway) {
	t.Helper()
	used := func(g *gateway) int64 { return g.srv.usage.Used("d0").Requests + g.srv.usage.Used("d1").Requests }
	fallbacks := gws[0].srv.redis.usage.Stats().Fallbacks
	if got := statuses(fanOut(t, gws[:1], 5, 1, sharedChat)); got[200] != 5 {
		t.Fatalf("statuses %v, want 5 × 200", got)
	}
	if n := gws[0].srv.redis.usage.Stats().Fallbacks - fallbacks; n != 0 {
		t.Errorf("%d reservations still used the fallback with Redis back", n)
	}
	eventually(t, 2500*time.Millisecond, func() bool {
		return used(gws[0]) >= 5 && used(gws[1]) == used(gws[0])
	}, "instance 1 never saw instance 0's requests in Redis")
}

// TestRedisRestartedEmpty: Redis killed and restarted with no data → the gateway keeps serving
// throughout and shares counts again once Redis answers.
func TestRedisRestartedEmpty(t *testing.T) {
	srv := redistest.Start(t)
	small, large := startUpstream(t, fake.Options{}), startUpstream(t, fake.Options{})
	gws := startFleet(t, 2, sharedGroup(small.URL, large.URL, "rpm: 30", redisRouter(srv.Port, "")), nil)
	if got := statuses(fanOut(t, gws, 20, 4, sharedChat)); got[200] != 20 {
		t.Fatalf("before restart: statuses %v", got)
	}
	srv.Kill()
	if got := statuses(fanOut(t, gws, 20, 4, sharedChat)); got[200] != 20 {
		t.Errorf("with Redis dead: statuses %v, want 20 × 200", got)
	}
	srv.Restart()
	for _, g := range gws {
		eventually(t, 5*time.Second, func() bool {
			fanOut(t, []*gateway{g}, 1, 1, sharedChat)
			_, body := g.readiness(t)
			return body["redis"] == "up"
		}, "readiness never said redis: up after the restart")
	}
	checkShared(t, gws)
}

// TestRedisOneRoundTripPerRequest: a request to a deployment with a quota costs one Redis round
// trip before the upstream call (the reserve script); its settlement is written later, off the
// client's path, batched with others.
func TestRedisOneRoundTripPerRequest(t *testing.T) {
	srv := redistest.Start(t)
	up := startUpstream(t, fake.Options{})
	g := startRedisGateway(t, groupOf([]string{up.URL}, []string{"rpm: 100000, tpm: 100000000"}, slowOK+redisRouter(srv.Port, "")), Options{})
	rdb := redisDirect(t, srv, "")
	scripts := func() int {
		info, err := rdb.Info(context.Background(), "commandstats").Result()
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, line := range strings.Split(info, "\n") {
			if strings.HasPrefix(line, "cmdstat_evalsha:") || strings.HasPrefix(line, "cmdstat_eval:") {
				calls, _, _ := strings.Cut(strings.TrimPrefix(line[strings.Index(line, ":")+1:], "calls="), ",")
				c, _ := strconv.Atoi(calls)
				n += c
			}
		}
		return n
	}
	const n = 40
	reserves, calls := g.srv.redis.usage.Stats().Reserves, scripts()
	start := time.Now()
	for range n {
		if resp, b := g.post(t, "/v1/chat/completions", fmt.Sprintf(chat, "m")); resp.StatusCode != http.StatusOK {
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
	}
	took := time.Since(start)
	if got := g.srv.redis.usage.Stats().Reserves - reserves; got != n {
		t.Errorf("%d requests made %d reserve round trips, want %d", n, got, n)
	}
	// Redis's own count: n reserves, at most n settlements (batched, so usually fewer), and the
	// background refreshes (usage mirror and cooldowns every 250 ms, heartbeat every second).
	background := 3 * (int(took/(250*time.Millisecond)) + 2)
	if got := scripts() - calls; got < n || got > 2*n+background {
		t.Errorf("Redis ran %d scripts for %d requests in %v, want %d..%d", got, n, took, n, 2*n+background)
	}
}
