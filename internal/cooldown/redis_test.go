package cooldown

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/redisx"
	"github.com/switchyard/switchyard/internal/redisx/redistest"
)

// sharedTracker is one instance's tracker on srv, closed at cleanup.
func sharedTracker(t *testing.T, port int, p Policy, now func() time.Time, co redisx.Options) (*Redis, *redisx.Client) {
	t.Helper()
	c, err := redisx.New(&config.Redis{Host: "127.0.0.1", Port: port}, co)
	if err != nil {
		t.Fatal(err)
	}
	r := NewRedis(c, NewMemory(p, now), RedisOptions{KeyPrefix: "t:{cd}:" + t.Name() + ":", Now: now})
	t.Cleanup(func() {
		r.Close()
		c.Close()
	})
	return r, c
}

func eventually(t *testing.T, d time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > d {
			t.Fatalf("after %v: %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

// TestRedisCooldownShared is FAULT-MATRIX L7: a deployment cooled down by instance A is
// refused by B and C within a second, for the cooldown's length, and comes back after it —
// even with B's clock 30 s ahead.
func TestRedisCooldownShared(t *testing.T) {
	srv := redistest.Start(t)
	p := Policy{AllowedFails: 0, CooldownTime: 1500 * time.Millisecond}
	a, _ := sharedTracker(t, srv.Port, p, nil, redisx.Options{})
	b, _ := sharedTracker(t, srv.Port, p, func() time.Time { return time.Now().Add(30 * time.Second) }, redisx.Options{})
	c, _ := sharedTracker(t, srv.Port, p, nil, redisx.Options{})
	for _, tr := range []*Redis{a, b, c} {
		if ok, _ := tr.Available("d"); !ok {
			t.Fatal("healthy deployment unavailable")
		}
	}
	if d := a.Failure("d", Server, 0, 3, nil); d != 1500*time.Millisecond {
		t.Fatalf("Failure started %v, want 1.5s", d)
	}
	for name, tr := range map[string]*Redis{"B": b, "C": c} {
		took := eventually(t, time.Second, name+" honours A's cooldown", func() bool { ok, _ := tr.Available("d"); return !ok })
		t.Logf("%s saw the cooldown after %v", name, took)
		if u := tr.Until("d"); u.IsZero() {
			t.Errorf("%s: Until is zero during a remote cooldown", name)
		}
	}
	if ok, _ := c.Available("other"); !ok {
		t.Error("an unrelated deployment is unavailable")
	}
	eventually(t, 3*time.Second, "B takes traffic again after the cooldown", func() bool { ok, _ := b.Available("d"); return ok })
	// A's own key in Redis outlives its local cooldown by the write's delay (milliseconds),
	// so A may refuse a moment longer than B; then it hands out its own half-open probe.
	var ok, probe bool
	eventually(t, 500*time.Millisecond, "A hands out its half-open probe after its cooldown", func() bool {
		ok, probe = a.Available("d")
		return ok
	})
	if !probe {
		t.Errorf("A after its cooldown: got ok=%v probe=%v, want its own half-open probe", ok, probe)
	}
}

// TestRedisCooldownLongestWins checks that a shorter cooldown never shortens a longer one
// already in Redis.
func TestRedisCooldownLongestWins(t *testing.T) {
	srv := redistest.Start(t)
	a, _ := sharedTracker(t, srv.Port, Policy{CooldownTime: 10 * time.Second}, nil, redisx.Options{})
	b, _ := sharedTracker(t, srv.Port, Policy{CooldownTime: time.Second}, nil, redisx.Options{})
	a.Failure("d", RateLimit, 0, 2, nil)
	rc := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rc.Close()
	key := a.entry("d").key
	eventually(t, time.Second, "A's cooldown written", func() bool { return rc.PTTL(context.Background(), key).Val() > 5*time.Second })
	b.Failure("d", RateLimit, 0, 2, nil)
	time.Sleep(100 * time.Millisecond)
	if ttl := rc.PTTL(context.Background(), key).Val(); ttl < 5*time.Second {
		t.Errorf("TTL after B's 1 s cooldown = %v, want A's 10 s kept", ttl)
	}
}

// TestRedisCooldownOutage checks that a cooldown decided while Redis is frozen costs the caller
// nothing, holds locally, and reaches the other instances once Redis answers again.
func TestRedisCooldownOutage(t *testing.T) {
	srv := redistest.Start(t)
	p := Policy{AllowedFails: 0, CooldownTime: 5 * time.Second}
	co := redisx.Options{CoolOff: 100 * time.Millisecond}
	a, ca := sharedTracker(t, srv.Port, p, nil, co)
	b, _ := sharedTracker(t, srv.Port, p, nil, co)
	b.Available("d")
	time.Sleep(300 * time.Millisecond) // let both connect
	srv.Stop()
	start := time.Now()
	a.Failure("d", Server, 0, 2, nil)
	if d := time.Since(start); d > 50*time.Millisecond {
		t.Errorf("Failure with Redis frozen took %v", d)
	}
	if ok, _ := a.Available("d"); ok {
		t.Error("A does not honour its own cooldown during the outage")
	}
	eventually(t, 2*time.Second, "A's circuit opens", func() bool { return !ca.Healthy() })
	if ok, _ := b.Available("d"); !ok {
		t.Error("B refuses d although nothing reached Redis")
	}
	srv.Cont()
	took := eventually(t, 3*time.Second, "B sees A's cooldown after Redis is back", func() bool { ok, _ := b.Available("d"); return !ok })
	t.Logf("B saw it %v after SIGCONT", took)
}

// BenchmarkRedisAvailable is the hot-path check of the shared tracker: local only.
func BenchmarkRedisAvailable(b *testing.B) {
	srv := redistest.Start(b)
	c, err := redisx.New(&config.Redis{Host: "127.0.0.1", Port: srv.Port}, redisx.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	r := NewRedis(c, NewMemory(Policy{}, nil), RedisOptions{})
	defer r.Close()
	ids := make([]string, 8)
	for i := range ids {
		ids[i] = fmt.Sprint("d", i)
		r.Available(ids[i])
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		r.Available(ids[i&7])
		i++
	}
}
