package usage

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func TestSlotsTryAcquire(t *testing.T) {
	s := NewSlots()
	steps := []struct {
		op   string // "try" or "release"
		id   string
		cap  int
		want bool // TryAcquire's result
		in   int  // InFlight(id) after
	}{
		{"try", "a", 2, true, 1},
		{"try", "a", 2, true, 2},
		{"try", "a", 2, false, 2},
		{"try", "b", 2, true, 1},
		{"release", "a", 0, false, 1},
		{"try", "a", 2, true, 2},
		{"try", "a", 3, true, 3}, // a raised cap applies at once
		{"try", "u", 0, true, 1},
		{"try", "u", -1, true, 2},
		{"release", "u", 0, false, 1},
		{"release", "u", 0, false, 0},
		{"release", "u", 0, false, 0}, // never negative
		{"release", "never", 0, false, 0},
	}
	for i, st := range steps {
		if st.op == "try" {
			if got := s.TryAcquire(st.id, st.cap); got != st.want {
				t.Fatalf("step %d: TryAcquire(%s, %d) got %v, want %v", i, st.id, st.cap, got, st.want)
			}
		} else {
			s.Release(st.id)
		}
		if got := s.InFlight(st.id); got != st.in {
			t.Fatalf("step %d: InFlight(%s) got %d, want %d", i, st.id, got, st.in)
		}
	}
}

func TestSlotsWaitArgs(t *testing.T) {
	s := NewSlots()
	ctx := context.Background()
	if _, err := s.Wait(ctx, nil, nil); err == nil {
		t.Fatal("no ids: got nil error")
	}
	if _, err := s.Wait(ctx, []string{"a"}, []int{1, 2}); err == nil {
		t.Fatal("mismatched caps: got nil error")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if i, err := s.Wait(cctx, []string{"a"}, []int{1}); i != -1 || !errors.Is(err, context.Canceled) || s.InFlight("a") != 0 {
		t.Fatalf("cancelled ctx: got %d %v in flight %d, want -1 Canceled 0", i, err, s.InFlight("a"))
	}
	s.TryAcquire("a", 1)
	if i, err := s.Wait(ctx, []string{"a", "b", "c"}, []int{1, 1, 0}); i != 1 || err != nil {
		t.Fatalf("b free: got %d %v, want 1 nil", i, err)
	}
}

func TestSlotsCapUnderConcurrency(t *testing.T) {
	const cap, workers = 3, 100
	s := NewSlots()
	var cur, peak atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			if !s.TryAcquire("d", cap) {
				if _, err := s.Wait(context.Background(), []string{"d"}, []int{cap}); err != nil {
					t.Error(err)
					return
				}
			}
			n := cur.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			time.Sleep(100 * time.Microsecond)
			cur.Add(-1)
			s.Release("d")
		})
	}
	wg.Wait()
	if got := peak.Load(); got > cap || got < 1 {
		t.Fatalf("got peak %d in flight, want 1..%d", got, cap)
	}
	if got := s.InFlight("d"); got != 0 {
		t.Fatalf("got %d in flight at the end, want 0", got)
	}
}

// waitAsync starts Wait in a goroutine, waits until it is blocked (queued) and returns a
// channel with its result.
func waitAsync(ctx context.Context, s *Slots, ids []string, caps []int) <-chan int {
	out := make(chan int, 1)
	go func() {
		i, err := s.Wait(ctx, ids, caps)
		if err != nil {
			i = -2
		}
		out <- i
	}()
	synctest.Wait()
	return out
}

func TestSlotsFIFO(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewSlots()
		ctx := context.Background()
		s.TryAcquire("a", 1)
		var got []int
		var mu sync.Mutex
		var wg sync.WaitGroup
		for n := range 5 {
			res := waitAsync(ctx, s, []string{"a"}, []int{1})
			wg.Go(func() {
				<-res
				mu.Lock()
				got = append(got, n)
				mu.Unlock()
			})
		}
		for range 5 {
			s.Release("a")
			synctest.Wait()
		}
		wg.Wait()
		for i, n := range got {
			if n != i {
				t.Fatalf("got service order %v, want 0..4", got)
			}
		}
		s.Release("a")
		if n := s.InFlight("a"); n != 0 {
			t.Fatalf("got %d in flight, want 0", n)
		}
	})
}

func TestSlotsHandOffAcrossSets(t *testing.T) {
	// w1 waits for a, w2 for a or b, w3 for b. A slot on b goes to w2 (the oldest that can use
	// b), not w1; the next on b to w3; then one on a to w1.
	synctest.Test(t, func(t *testing.T) {
		s := NewSlots()
		ctx := context.Background()
		s.TryAcquire("a", 1)
		s.TryAcquire("b", 1)
		w1 := waitAsync(ctx, s, []string{"a"}, []int{1})
		w2 := waitAsync(ctx, s, []string{"a", "b"}, []int{1, 1})
		w3 := waitAsync(ctx, s, []string{"b"}, []int{1})
		if s.TryAcquire("b", 1) {
			t.Fatal("TryAcquire overtook the queue")
		}
		steps := []struct {
			release string
			ready   <-chan int
			wantIdx int
		}{
			{"b", w2, 1},
			{"b", w3, 0},
			{"a", w1, 0},
		}
		for _, st := range steps {
			s.Release(st.release)
			synctest.Wait()
			select {
			case i := <-st.ready:
				if i != st.wantIdx {
					t.Fatalf("release %s: got idx %d, want %d", st.release, i, st.wantIdx)
				}
			default:
				t.Fatalf("release %s: expected waiter not served", st.release)
			}
		}
		if a, b := s.InFlight("a"), s.InFlight("b"); a != 1 || b != 1 {
			t.Fatalf("got in flight a=%d b=%d, want 1 1", a, b)
		}
	})
}

func TestSlotsCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewSlots()
		s.TryAcquire("a", 1)
		start := time.Now()
		tctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		w1 := waitAsync(tctx, s, []string{"a"}, []int{1})
		w2 := waitAsync(context.Background(), s, []string{"a"}, []int{1})
		time.Sleep(3 * time.Second)
		synctest.Wait()
		if i := <-w1; i != -2 || time.Since(start) != 3*time.Second {
			t.Fatalf("got %d after %v, want timeout after 3s", i, time.Since(start))
		}
		s.Release("a") // must skip the departed w1 and reach w2
		if i := <-w2; i != 0 {
			t.Fatalf("w2: got %d, want 0", i)
		}
		s.Release("a")
		if n := s.InFlight("a"); n != 0 || s.head != nil || s.tail != nil {
			t.Fatalf("got in flight %d, queue %v/%v, want 0 and empty", n, s.head, s.tail)
		}
	})
}

func TestSlotsCancelRacesHandOff(t *testing.T) {
	// w1's slot is released and its ctx cancelled back to back. Released first, w1 wakes with
	// the slot (and gives it back); cancelled first, w1 wakes on ctx.Done and usually finds the
	// slot handed to it meanwhile, which it must pass on. Either way w2 gets it, nothing leaks.
	cases := []struct {
		name         string
		releaseFirst bool
		wantW1       int
	}{
		{"release then cancel", true, 0},
		{"cancel then release", false, -2},
	}
	for _, tc := range cases {
		for range 50 {
			synctest.Test(t, func(t *testing.T) {
				s := NewSlots()
				s.TryAcquire("a", 1)
				ctx, cancel := context.WithCancel(context.Background())
				w1 := waitAsync(ctx, s, []string{"a"}, []int{1})
				w2 := waitAsync(context.Background(), s, []string{"a"}, []int{1})
				if tc.releaseFirst {
					s.Release("a")
					cancel()
				} else {
					cancel()
					s.Release("a")
				}
				i := <-w1
				if i != tc.wantW1 {
					t.Fatalf("%s: w1 got %d, want %d", tc.name, i, tc.wantW1)
				}
				if i == 0 {
					s.Release("a")
				}
				if i := <-w2; i != 0 {
					t.Fatalf("%s: w2 got %d, want 0", tc.name, i)
				}
				s.Release("a")
				if n := s.InFlight("a"); n != 0 || s.head != nil {
					t.Fatalf("%s: got in flight %d, queue empty %v, want 0 true", tc.name, n, s.head == nil)
				}
			})
		}
	}
}
