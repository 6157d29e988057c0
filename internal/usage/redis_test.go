package usage

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/redisx"
	"github.com/switchyard/switchyard/internal/redisx/redistest"
)

// slowTimeout is the call deadline of tests that assert exact counts: generous, so a -race run
// on a busy machine never times out a call that Redis did execute.
const slowTimeout = 500 * time.Millisecond

// newStore builds a Redis store on srv's port with client options co, closed at cleanup.
func newStore(t testing.TB, port int, password string, o RedisOptions, co redisx.Options) (*Redis, *redisx.Client) {
	t.Helper()
	c, err := redisx.New(&config.Redis{Host: "127.0.0.1", Port: port, Password: config.Secret(password)}, co)
	if err != nil {
		t.Fatal(err)
	}
	if o.KeyPrefix == "" {
		o.KeyPrefix = fmt.Sprintf("test:%s:", t.Name())
	}
	s, err := NewRedis(c, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		c.Close()
	})
	return s, c
}

// direct is a plain client for inspecting and breaking Redis from the test.
func direct(t testing.TB, srv *redistest.Server) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	return c
}

// fleet is three stores (three gateways) on one Redis.
func fleet(t *testing.T, srv *redistest.Server, o RedisOptions, co redisx.Options) []*Redis {
	t.Helper()
	if o.KeyPrefix == "" {
		o.KeyPrefix = fmt.Sprintf("test:%s:", t.Name())
	}
	out := make([]*Redis, 3)
	for i := range out {
		oi := o
		oi.Instance = fmt.Sprintf("gw%d", i)
		out[i], _ = newStore(t, srv.Port, "", oi, co)
	}
	return out
}

// waitFor polls cond every 10 ms until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// hammer runs n Reserves spread over stores concurrently and returns how many landed on each
// candidate index (len(cands)) and how many were refused.
func hammer(t *testing.T, stores []*Redis, n int, cands []Candidate, est int64) (per []int64, refused int64) {
	t.Helper()
	per = make([]int64, len(cands))
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			idx, _, _, err := stores[i%len(stores)].Reserve(context.Background(), cands, est)
			if err != nil {
				t.Errorf("Reserve: %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if idx < 0 {
				refused++
			} else {
				per[idx]++
			}
		}()
	}
	close(start)
	wg.Wait()
	return per, refused
}

// TestRedisRPMExactAcrossInstances is FAULT-MATRIX L1: three gateways, 90 concurrent requests,
// the rpm-10 deployment first in every candidate list: exactly 10 land on it, the rest spill to
// the big one; alone, it admits exactly 10 and refuses the rest.
func TestRedisRPMExactAcrossInstances(t *testing.T) {
	srv := redistest.Start(t)
	stores := fleet(t, srv, RedisOptions{}, redisx.Options{Timeout: slowTimeout})
	cands := []Candidate{{ID: "small", Limits: Limits{RPM: 10}}, {ID: "big", Limits: Limits{RPM: 100000}}}
	per, refused := hammer(t, stores, 90, cands, 1)
	if per[0] != 10 || per[1] != 80 || refused != 0 {
		t.Errorf("got small=%d big=%d refused=%d, want 10 80 0", per[0], per[1], refused)
	}
	per, refused = hammer(t, stores, 90, []Candidate{{ID: "alone", Limits: Limits{RPM: 10}}}, 1)
	if per[0] != 10 || refused != 80 {
		t.Errorf("alone: got admitted=%d refused=%d, want 10 80", per[0], refused)
	}
	for i, s := range stores {
		if f := s.Stats().Fallbacks; f != 0 {
			t.Errorf("store %d: %d fallbacks, want 0", i, f)
		}
	}
	// Every instance's mirror catches up with the shared count within a refresh or two.
	for i, s := range stores {
		waitFor(t, 2*time.Second, fmt.Sprintf("store %d mirror of small: got %+v want 10 requests", i, s.Used("small")),
			func() bool { return s.Used("small").Requests == 10 })
	}
}

// TestRedisTPMAcrossInstances is FAULT-MATRIX L2: tpm 10000, estimates of 2000 → exactly 5
// admitted fleet-wide. Settling above the estimate is the documented overshoot: at most the
// excess of the requests in flight when the quota filled.
func TestRedisTPMAcrossInstances(t *testing.T) {
	srv := redistest.Start(t)
	stores := fleet(t, srv, RedisOptions{}, redisx.Options{Timeout: slowTimeout})
	cands := []Candidate{{ID: "tpm", Limits: Limits{TPM: 10000}}}
	var mu sync.Mutex
	var got []Reservation
	var wg sync.WaitGroup
	for i := range 60 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := stores[i%3]
			if idx, r, _, _ := s.Reserve(context.Background(), cands, 2000); idx == 0 {
				mu.Lock()
				got = append(got, r)
				mu.Unlock()
				s.Settle(context.Background(), r, 2500)
			}
		}()
	}
	wg.Wait()
	if len(got) != 5 {
		t.Fatalf("got %d admitted, want 5", len(got))
	}
	const bound = 10000 + 5*500 // quota + excess of the 5 in flight
	waitFor(t, 2*time.Second, "settled tokens reach Redis", func() bool {
		u := stores[0].Used("tpm")
		return u.Tokens == 5*2500 && u.Tokens <= bound
	})
	if idx, _, retry, _ := stores[1].Reserve(context.Background(), cands, 1); idx != -1 || retry <= 0 || retry > Window {
		t.Errorf("after the quota filled: got idx %d retry %v, want -1 and (0, 60s]", idx, retry)
	}
}

// TestRedisClockSkew is FAULT-MATRIX L5: instances whose clocks are 30 s apart share one
// window, because the window is Redis's clock.
func TestRedisClockSkew(t *testing.T) {
	srv := redistest.Start(t)
	prefix := "test:skew:"
	var stores []*Redis
	for i, off := range []time.Duration{-30 * time.Second, 0, 59 * time.Second} {
		s, _ := newStore(t, srv.Port, "", RedisOptions{KeyPrefix: prefix, Instance: fmt.Sprint(i),
			Now: func() time.Time { return time.Now().Add(off) }}, redisx.Options{Timeout: slowTimeout})
		stores = append(stores, s)
	}
	cands := []Candidate{{ID: "d", Limits: Limits{RPM: 10}}}
	var ats []time.Time
	for i := range 10 {
		idx, r, _, _ := stores[i%3].Reserve(context.Background(), cands, 0)
		if idx != 0 {
			t.Fatalf("reserve %d: got idx %d, want 0", i, idx)
		}
		ats = append(ats, r.At)
	}
	for i, s := range stores {
		if idx, _, _, _ := s.Reserve(context.Background(), cands, 0); idx != -1 {
			t.Errorf("store %d (skewed): 11th reserve got idx %d, want -1", i, idx)
		}
	}
	if d := ats[len(ats)-1].Sub(ats[0]); d < 0 || d > 5*time.Second {
		t.Errorf("reservation seconds span %v across skewed instances, want one Redis clock", d)
	}
	// A refund through the +59 s instance finds its bucket, counted on Redis's clock.
	stores[2].Refund(context.Background(), Reservation{ID: "d", At: ats[2], Tokens: 0})
	waitFor(t, 2*time.Second, "refund through a skewed instance frees one request", func() bool {
		i, r, _, _ := stores[0].Reserve(context.Background(), cands, 0)
		if i == 0 {
			stores[0].Refund(context.Background(), r)
		}
		return i == 0
	})
}

// TestRedisStopCont is FAULT-MATRIX R2/R3: Redis frozen mid-run. Every call returns within the
// deadline plus slack, the circuit opens, quotas fall back to per-instance shares (rpm 9 over
// 3 live instances = 3 each); after SIGCONT shared counting resumes without a restart.
func TestRedisStopCont(t *testing.T) {
	srv := redistest.Start(t)
	stores := fleet(t, srv, RedisOptions{Heartbeat: 100 * time.Millisecond, Refresh: 50 * time.Millisecond},
		redisx.Options{Timeout: 50 * time.Millisecond, CoolOff: 200 * time.Millisecond})
	for i, s := range stores {
		waitFor(t, 3*time.Second, fmt.Sprintf("store %d sees 3 instances", i), func() bool { return s.Stats().Instances == 3 })
	}
	cands := []Candidate{{ID: "q", Limits: Limits{RPM: 9}}}
	srv.Stop()
	var admitted [3]atomic.Int64
	var slowest atomic.Int64
	var wg sync.WaitGroup
	for i := range 60 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			idx, _, _, _ := stores[i%3].Reserve(context.Background(), cands, 1)
			el := time.Since(start)
			for {
				old := slowest.Load()
				if int64(el) <= old || slowest.CompareAndSwap(old, int64(el)) {
					break
				}
			}
			if idx == 0 {
				admitted[i%3].Add(1)
			}
		}()
	}
	wg.Wait()
	if d := time.Duration(slowest.Load()); d > 500*time.Millisecond {
		t.Errorf("slowest Reserve with Redis frozen took %v, want < 500ms", d)
	}
	for i := range stores {
		if got := admitted[i].Load(); got != 3 {
			t.Errorf("store %d admitted %d with Redis frozen, want its share 3", i, got)
		}
		// Concurrent reserves share pipelines, so the burst alone may fail fewer calls than
		// the breaker's threshold; the store's own background calls complete the count.
		waitFor(t, time.Second, fmt.Sprintf("store %d degraded with Redis frozen", i), stores[i].Degraded)
	}
	// Settle/Refund during the outage do not block either.
	start := time.Now()
	stores[0].Settle(context.Background(), Reservation{ID: "q", At: time.Now(), Tokens: 1}, 5)
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("Settle with Redis frozen took %v", d)
	}

	srv.Cont()
	for i, s := range stores {
		waitFor(t, 5*time.Second, fmt.Sprintf("store %d back on Redis", i), func() bool { return !s.Degraded() })
	}
	// Shared counting again: the outage's admissions are not in Redis, so 9 more fit fleet-wide.
	per, refused := hammer(t, stores, 30, cands, 1)
	if per[0] != 9 || refused != 21 {
		t.Errorf("after SIGCONT: got admitted=%d refused=%d, want 9 21 (shared window)", per[0], refused)
	}
	if got := direct(t, srv).HGet(context.Background(), stores[0].entry("q").key, "r").Val(); got != "9" {
		t.Errorf("redis counter after recovery = %q, want 9", got)
	}
}

// TestRedisRestartEmpty is FAULT-MATRIX R5: Redis killed and restarted with no state. The store
// keeps serving (fallback while it is down) and counts in Redis again once it is back.
func TestRedisRestartEmpty(t *testing.T) {
	srv := redistest.Start(t)
	s, _ := newStore(t, srv.Port, "", RedisOptions{Refresh: 50 * time.Millisecond},
		redisx.Options{Timeout: 100 * time.Millisecond, CoolOff: 100 * time.Millisecond})
	cands := []Candidate{{ID: "d", Limits: Limits{RPM: 5}}}
	for range 5 {
		if idx, _, _, _ := s.Reserve(context.Background(), cands, 0); idx != 0 {
			t.Fatal("reserve before restart refused")
		}
	}
	srv.Restart()
	waitFor(t, 5*time.Second, "reserve counted in the restarted Redis", func() bool {
		idx, _, _, _ := s.Reserve(context.Background(), cands, 0)
		return idx == 0 && !s.Degraded() &&
			direct(t, srv).HGet(context.Background(), s.entry("d").key, "r").Val() != ""
	})
}

// TestRedisNoScript is FAULT-MATRIX R6: the script cache flushed under us; EVALSHA's NOSCRIPT
// falls back to EVAL for Reserve and for the batched Settle writes.
func TestRedisNoScript(t *testing.T) {
	srv := redistest.Start(t)
	s, _ := newStore(t, srv.Port, "", RedisOptions{}, redisx.Options{Timeout: slowTimeout})
	rc := direct(t, srv)
	cands := []Candidate{{ID: "d", Limits: Limits{RPM: 10, TPM: 1000}}}
	for i := range 3 {
		if err := rc.ScriptFlush(context.Background()).Err(); err != nil {
			t.Fatal(err)
		}
		idx, r, _, _ := s.Reserve(context.Background(), cands, 10)
		if idx != 0 {
			t.Fatalf("round %d: reserve after SCRIPT FLUSH got idx %d, want 0", i, idx)
		}
		rc.ScriptFlush(context.Background())
		s.Settle(context.Background(), r, 30)
	}
	waitFor(t, 2*time.Second, "settles applied after SCRIPT FLUSH", func() bool {
		return rc.HGet(context.Background(), s.entry("d").key, "t").Val() == "90"
	})
	if st := s.Stats(); st.Fallbacks != 0 || st.DroppedWrites != 0 {
		t.Errorf("got %+v, want no fallbacks and no dropped writes", st)
	}
}

// TestRedisStartupUnreachable is FAULT-MATRIX R1: nothing listening, or a wrong password. The
// store is built at once, every call returns within the deadline, and it serves degraded.
func TestRedisStartupUnreachable(t *testing.T) {
	pwSrv := redistest.Start(t, "--requirepass", "right")
	for _, tc := range []struct {
		name     string
		port     int
		password string
	}{
		{"unreachable", redistest.FreePort(t), ""},
		{"wrong password", pwSrv.Port, "wrong"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			s, c := newStore(t, tc.port, tc.password, RedisOptions{}, redisx.Options{})
			if d := time.Since(start); d > 100*time.Millisecond {
				t.Errorf("NewRedis took %v, want no wait for Redis", d)
			}
			cands := []Candidate{{ID: "d", Limits: Limits{RPM: 2}}}
			for i := range 5 {
				start := time.Now()
				idx, _, _, err := s.Reserve(context.Background(), cands, 0)
				if d := time.Since(start); d > 500*time.Millisecond || err != nil {
					t.Errorf("reserve %d: took %v, err %v; want < 500ms and no error", i, d, err)
				}
				if want := map[bool]int{true: 0, false: -1}[i < 2]; idx != want {
					t.Errorf("reserve %d: got idx %d, want %d (fallback share of rpm 2 on one instance)", i, idx, want)
				}
			}
			waitFor(t, 2*time.Second, "circuit open", func() bool { return c.State() == redisx.Open && s.Degraded() })
		})
	}
}

// TestRedisFallbackModes checks open (admit) and closed (refuse) while Redis is unreachable.
func TestRedisFallbackModes(t *testing.T) {
	port := redistest.FreePort(t)
	cands := []Candidate{{ID: "d", Limits: Limits{RPM: 1}}}
	for _, tc := range []struct {
		mode     string
		admitted int
	}{{FallbackOpen, 5}, {FallbackClosed, 0}, {FallbackShare, 1}} {
		t.Run(tc.mode, func(t *testing.T) {
			s, _ := newStore(t, port, "", RedisOptions{Fallback: tc.mode}, redisx.Options{})
			n := 0
			for range 5 {
				if idx, _, retry, _ := s.Reserve(context.Background(), cands, 0); idx == 0 {
					n++
				} else if retry <= 0 {
					t.Errorf("refusal without Retry-After")
				}
			}
			if n != tc.admitted {
				t.Errorf("got %d admitted, want %d", n, tc.admitted)
			}
		})
	}
	if _, err := NewRedis(&redisx.Client{}, RedisOptions{Fallback: "panic"}); err == nil {
		t.Error("NewRedis accepted fallback \"panic\"")
	}
}

// TestRedisRefundSettle checks the queued writes: a refund frees its request, a settle moves the
// tokens, and neither creates a key that expired.
func TestRedisRefundSettle(t *testing.T) {
	srv := redistest.Start(t)
	s, _ := newStore(t, srv.Port, "", RedisOptions{}, redisx.Options{Timeout: slowTimeout})
	rc := direct(t, srv)
	cands := []Candidate{{ID: "d", Limits: Limits{RPM: 1, TPM: 100}}}
	idx, r, _, _ := s.Reserve(context.Background(), cands, 40)
	if idx != 0 || r.Tokens != 40 {
		t.Fatalf("got idx %d tokens %d, want 0 40", idx, r.Tokens)
	}
	if idx, _, retry, _ := s.Reserve(context.Background(), cands, 1); idx != -1 || retry < 59*time.Second || retry > Window+time.Second {
		t.Errorf("second reserve: got idx %d retry %v, want -1 and ≈60s", idx, retry)
	}
	s.Refund(context.Background(), r)
	waitFor(t, 2*time.Second, "refund applied", func() bool {
		return rc.HGet(context.Background(), s.entry("d").key, "r").Val() == "0" && s.Used("d") == Used{}
	})
	idx, r, _, _ = s.Reserve(context.Background(), cands, 40)
	if idx != 0 {
		t.Fatal("reserve after refund refused")
	}
	s.Settle(context.Background(), r, 7)
	waitFor(t, 2*time.Second, "settle applied", func() bool {
		return rc.HGet(context.Background(), s.entry("d").key, "t").Val() == "7" && s.Used("d") == Used{Requests: 1, Tokens: 7}
	})
	rc.FlushAll(context.Background())
	s.Settle(context.Background(), r, 9)
	time.Sleep(100 * time.Millisecond)
	if n := rc.Exists(context.Background(), s.entry("d").key).Val(); n != 0 {
		t.Errorf("settle after FLUSHALL recreated the key")
	}
	if ttl := rc.PTTL(context.Background(), s.entry("d").key).Val(); ttl > time.Duration(ring+1)*time.Second {
		t.Errorf("key TTL %v, want ≤ %v", ttl, time.Duration(ring+1)*time.Second)
	}
}

// TestRedisHashTags checks the key layout: one tag per group, and candidates of different tags
// are still walked in order.
func TestRedisHashTags(t *testing.T) {
	srv := redistest.Start(t)
	group := map[string]string{"a1": "gpt", "a2": "gpt", "b1": "claude"}
	s, _ := newStore(t, srv.Port, "", RedisOptions{KeyPrefix: "p:", Tag: func(id string) string { return group[id] }},
		redisx.Options{Timeout: slowTimeout})
	if got := s.entry("a1").key; got != "p:{gpt}:a1" {
		t.Errorf("key of a1 = %q, want p:{gpt}:a1", got)
	}
	cands := []Candidate{{ID: "a1", Limits: Limits{RPM: 1}}, {ID: "a2", Limits: Limits{RPM: 1}}, {ID: "b1", Limits: Limits{RPM: 1}}}
	for want := range 3 {
		if idx, _, _, _ := s.Reserve(context.Background(), cands, 0); idx != want {
			t.Errorf("got idx %d, want %d", idx, want)
		}
	}
	if idx, _, retry, _ := s.Reserve(context.Background(), cands, 0); idx != -1 || retry <= 0 {
		t.Errorf("all full: got idx %d retry %v", idx, retry)
	}
}
