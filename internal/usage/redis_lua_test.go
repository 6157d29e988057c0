package usage

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/switchyard/switchyard/internal/redisx"
)

// luaStore is a store on miniredis, whose TIME the test sets: unit tests of the scripts' window
// logic, which a real Redis could only show by waiting a minute.
func luaStore(t *testing.T) (*Redis, *miniredis.Miniredis, *redis.Client) {
	t.Helper()
	mr := miniredis.RunT(t)
	rc := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1})
	c := redisx.NewFromClient(rc, mr.Addr(), redisx.Options{Timeout: time.Second})
	s, err := NewRedis(c, RedisOptions{KeyPrefix: "u:", Refresh: time.Hour, Heartbeat: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		rc.Close()
	})
	return s, mr, rc
}

// TestLuaWindow checks the rolling window on Redis's clock: a request counted in second s is
// counted until second s+61 starts, buckets leave one by one, and the refusal's retry-after is
// the time until the oldest bucket that makes room leaves.
func TestLuaWindow(t *testing.T) {
	s, mr, rc := luaStore(t)
	ctx := context.Background()
	base := time.Unix(1_800_000_000, 0)
	at := func(d time.Duration) { mr.SetTime(base.Add(d)) }
	cands := []Candidate{{ID: "d", Limits: Limits{RPM: 3}}}
	reserve := func(when time.Duration) (int, Reservation, time.Duration) {
		t.Helper()
		at(when)
		idx, r, retry, err := s.Reserve(ctx, cands, 0)
		if err != nil {
			t.Fatal(err)
		}
		return idx, r, retry
	}
	for _, step := range []struct {
		when  time.Duration
		idx   int
		retry time.Duration
	}{
		{500 * time.Millisecond, 0, 0},
		{30*time.Second + 500*time.Millisecond, 0, 0},
		{59 * time.Second, 0, 0},
		{60*time.Second + 900*time.Millisecond, -1, 100 * time.Millisecond}, // first leaves at base+61
		{61 * time.Second, 0, 0},
		{62 * time.Second, -1, 29 * time.Second}, // next leaves at base+30+61
		{91 * time.Second, 0, 0},
	} {
		idx, r, retry := reserve(step.when)
		if idx != step.idx || retry != step.retry {
			t.Errorf("at +%v: got idx %d retry %v, want %d %v", step.when, idx, retry, step.idx, step.retry)
		}
		if idx == 0 && r.At.Unix() != base.Add(step.when).Unix() {
			t.Errorf("at +%v: reservation second %d, want Redis's %d", step.when, r.At.Unix(), base.Add(step.when).Unix())
		}
	}
	if got := rc.HGet(ctx, "u:{switchyard}:d", "r").Val(); got != "3" {
		t.Errorf("window sum = %q, want 3", got)
	}
	// Idle for longer than the window: the key starts over.
	idx, _, _ := reserve(300 * time.Second)
	if got := rc.HGet(ctx, "u:{switchyard}:d", "r").Val(); idx != 0 || got != "1" {
		t.Errorf("after idling: got idx %d sum %q, want 0 and 1", idx, got)
	}
	if n := len(rc.HKeys(ctx, "u:{switchyard}:d").Val()); n != 4 { // h, r, t, r<sec>
		t.Errorf("after idling the hash has %d fields, want 4 (old buckets deleted)", n)
	}
}

// TestLuaTokens checks tpm: estimates count, a lone request above tpm fits only an empty window,
// and Settle/Refund adjust only a bucket still in the window, never below zero.
func TestLuaTokens(t *testing.T) {
	s, mr, rc := luaStore(t)
	ctx := context.Background()
	base := time.Unix(1_800_000_000, 0)
	mr.SetTime(base)
	cands := []Candidate{{ID: "d", Limits: Limits{TPM: 100}}}
	idx, big, _, _ := s.Reserve(ctx, cands, 500)
	if idx != 0 {
		t.Fatalf("lone oversized request into an empty window refused")
	}
	if idx, _, _, _ := s.Reserve(ctx, cands, 1); idx != -1 {
		t.Errorf("window over tpm still admits")
	}
	s.Settle(ctx, big, 60)
	waitFor(t, time.Second, "settle to 60", func() bool { return rc.HGet(ctx, "u:{switchyard}:d", "t").Val() == "60" })
	idx, r, _, _ := s.Reserve(ctx, cands, 40)
	if idx != 0 {
		t.Fatalf("60+40 ≤ 100 refused")
	}
	s.Settle(ctx, r, -5) // negative counts as 0
	waitFor(t, time.Second, "settle to 0", func() bool { return rc.HGet(ctx, "u:{switchyard}:d", "t").Val() == "60" })
	mr.SetTime(base.Add(61 * time.Second))
	s.Refund(ctx, big) // its bucket left the window
	time.Sleep(50 * time.Millisecond)
	if n := rc.Exists(ctx, "u:{switchyard}:d").Val(); n != 0 {
		t.Errorf("refund after the window: key exists, want it deleted (whole window left) and not recreated")
	}
}

// TestLuaClockBack checks that Redis's clock stepping back (a failover to a replica a little
// behind) counts into the newest bucket instead of an old one.
func TestLuaClockBack(t *testing.T) {
	s, mr, rc := luaStore(t)
	ctx := context.Background()
	base := time.Unix(1_800_000_000, 0)
	mr.SetTime(base.Add(10 * time.Second))
	cands := []Candidate{{ID: "d", Limits: Limits{RPM: 5}}}
	s.Reserve(ctx, cands, 0)
	mr.SetTime(base)
	_, r, _, _ := s.Reserve(ctx, cands, 0)
	if want := base.Add(10 * time.Second).Unix(); r.At.Unix() != want {
		t.Errorf("reservation second %d, want the head %d", r.At.Unix(), want)
	}
	if got := rc.HGet(ctx, "u:{switchyard}:d", "r"+strconv.FormatInt(base.Add(10*time.Second).Unix(), 10)).Val(); got != "2" {
		t.Errorf("head bucket = %q, want 2", got)
	}
}
