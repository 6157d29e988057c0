package usage

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestReserveConcurrentExact(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	m := NewMemory(func() time.Time { return now })
	const goroutines, rpm = 200, 50
	var admitted atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range goroutines {
		wg.Go(func() {
			<-start
			idx, _, wait, _ := m.Reserve(context.Background(), []Candidate{{ID: "d", Limits: Limits{RPM: rpm}}}, 1)
			switch {
			case idx == 0:
				admitted.Add(1)
			case wait <= 0:
				t.Errorf("refused with retryAfter %v, want > 0", wait)
			}
		})
	}
	close(start)
	wg.Wait()
	if got := admitted.Load(); got != rpm {
		t.Fatalf("got %d admitted, want %d", got, rpm)
	}
	if got, want := m.Used("d"), (Used{rpm, rpm}); got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestNeverNegative(t *testing.T) {
	// Goroutines reserve on three deployments while the clock moves, then settle (up or down),
	// refund, or misuse a reservation (settle then refund, refund twice). Counters must stay ≥ 0
	// throughout, rpm must never be exceeded, and refunding everything must leave zero.
	var clock atomic.Int64
	clock.Store(time.Unix(1_700_000_000, 0).UnixNano())
	m := NewMemory(func() time.Time { return time.Unix(0, clock.Load()) })
	cands := []Candidate{
		{ID: "a", Limits: Limits{RPM: 20, TPM: 500}},
		{ID: "b", Limits: Limits{RPM: 30}},
		{ID: "c", Limits: Limits{TPM: 1000}},
	}
	ctx := context.Background()
	stop := make(chan struct{})
	var checker sync.WaitGroup
	checker.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			for _, c := range cands {
				u := m.Used(c.ID)
				if u.Requests < 0 || u.Tokens < 0 || (c.Limits.RPM > 0 && u.Requests > c.Limits.RPM) {
					t.Errorf("%s: got %+v", c.ID, u)
				}
			}
		}
	})
	var wg sync.WaitGroup
	for g := range 200 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			for range 200 {
				if rng.IntN(20) == 0 {
					clock.Add(int64(rng.IntN(3000)) * int64(time.Millisecond))
				}
				idx, r, _, _ := m.Reserve(ctx, cands, int64(rng.IntN(100)))
				if idx < 0 {
					continue
				}
				switch rng.IntN(4) {
				case 0:
					m.Settle(ctx, r, int64(rng.IntN(300)))
				case 1:
					m.Refund(ctx, r)
				case 2:
					m.Settle(ctx, r, 0)
					m.Refund(ctx, r)
				default:
					m.Refund(ctx, r)
					m.Refund(ctx, r)
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	checker.Wait()
	clock.Add(int64(Window + time.Second))
	for _, c := range cands {
		if got := m.Used(c.ID); got != (Used{}) {
			t.Fatalf("%s after the window: got %+v, want zero", c.ID, got)
		}
	}
}
