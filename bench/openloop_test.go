package main

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func TestOpenLoopUniformSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var offsets []time.Duration
		start := time.Now()
		st, elapsed := openLoop(context.Background(), newArrivals("uniform", 1000, nil), 100*time.Millisecond, 0, 10,
			func(at time.Time) {
				mu.Lock()
				offsets = append(offsets, at.Sub(start))
				mu.Unlock()
				time.Sleep(3 * time.Millisecond) // a request in flight
			})
		if st.Scheduled != 99 || st.Late != 0 {
			t.Errorf("1000/s for 100 ms: got %+v, want 99 scheduled (1 ms … 99 ms), 0 late", st)
		}
		for i, off := range offsets {
			if want := time.Duration(i+1) * time.Millisecond; off != want {
				t.Fatalf("request %d scheduled at %v, want %v", i, off, want)
			}
		}
		if want := 102 * time.Millisecond; elapsed != want {
			t.Errorf("elapsed %v, want %v (last start at 99 ms plus its 3 ms)", elapsed, want)
		}
	})
}

func TestOpenLoopLimitAndLateStarts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := 0
		st, _ := openLoop(context.Background(), newArrivals("uniform", 1000, nil), time.Second, 25, 100,
			func(time.Time) { n++ })
		if st.Scheduled != 25 || n != 25 {
			t.Errorf("limit 25: scheduled %d, fired %d; want 25, 25", st.Scheduled, n)
		}
		// One request in flight at a time, each taking 5 ms, at 1,000/s: the schedule
		// falls behind, and every start after the first few is late.
		st, _ = openLoop(context.Background(), newArrivals("uniform", 1000, nil), 50*time.Millisecond, 0, 1,
			func(time.Time) { time.Sleep(5 * time.Millisecond) })
		if st.Late == 0 || st.Late >= st.Scheduled {
			t.Errorf("saturated: got %+v, want some but not all starts late", st)
		}
	})
}

func TestOpenLoopCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(10500*time.Microsecond, cancel)
		st, _ := openLoop(ctx, newArrivals("uniform", 1000, nil), time.Hour, 0, 10, func(time.Time) {})
		if st.Scheduled != 10 {
			t.Errorf("cancelled after 10.5 ms at 1000/s: scheduled %d, want 10", st.Scheduled)
		}
	})
}

func TestOpenLoopPoisson(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st, _ := openLoop(context.Background(), newArrivals("poisson", 2000, newRand(1)), time.Second, 0, 100,
			func(time.Time) { time.Sleep(time.Millisecond) })
		if st.Scheduled < 1800 || st.Scheduled > 2200 || st.Late != 0 {
			t.Errorf("poisson 2000/s for 1 s: got %+v, want 1800..2200 scheduled, none late", st)
		}
	})
}
