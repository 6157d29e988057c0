package stats

import (
	"math"
	"testing"
	"testing/synctest"
	"time"

	"github.com/switchyard/switchyard/internal/balancer"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/deployment"
)

func TestSeriesCountsAndQuantiles(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := New(nil)
		d := deployment.New(config.Deployment{ID: "dep-a"}, 0)
		// Second 1: 100 attempts, 1..100 ms; one more failed without latency.
		for i := 1; i <= 100; i++ {
			r.Observe(d, balancer.Outcome{Latency: time.Duration(i) * time.Millisecond})
		}
		r.Observe(d, balancer.Outcome{Failed: true})
		time.Sleep(time.Second)
		// Second 2: two timeouts of 2 s.
		r.Observe(d, balancer.Outcome{Latency: 2 * time.Second, TimedOut: true})
		r.Observe(d, balancer.Outcome{Latency: 2 * time.Second, TimedOut: true})

		got := r.Series("dep-a", 10*time.Second, time.Second)
		if len(got) != 10 {
			t.Fatalf("points: got %d, want 10", len(got))
		}
		first, last := got[8], got[9]
		if first.Requests != 101 || first.Errors != 1 {
			t.Errorf("second 1: got %d requests, %d errors; want 101, 1", first.Requests, first.Errors)
		}
		// Quantiles are bin upper bounds: at or above the true value, within 40 %.
		within := func(name string, got, want float64) {
			if got < want || got > want*1.4 {
				t.Errorf("%s: got %.1f ms, want %.0f..%.0f", name, got, want, want*1.4)
			}
		}
		within("p50", first.P50, 50)
		within("p99", first.P99, 99)
		if last.Requests != 2 || last.Errors != 2 {
			t.Errorf("second 2: got %d requests, %d errors; want 2, 2", last.Requests, last.Errors)
		}
		within("p50 of timeouts", last.P50, 2000)
		for _, p := range got[:8] {
			if p != (Point{}) {
				t.Errorf("an empty second has data: %+v", p)
			}
		}
		// Steps of 5 s add up the seconds they hold.
		if agg := r.Series("dep-a", 10*time.Second, 5*time.Second); len(agg) != 2 || agg[1].Requests != 103 || agg[1].Errors != 3 {
			t.Errorf("5 s steps: got %+v, want the last to hold 103 requests, 3 errors", agg)
		}
	})
}

func TestOldSecondsExpire(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := New(nil)
		r.Record("dep-a", time.Millisecond, false, true)
		time.Sleep(Window) // the slot is reused by the second Window later
		r.Record("dep-a", time.Millisecond, true, true)
		var total, errs int
		for _, p := range r.Series("dep-a", Window, time.Second) {
			total += p.Requests
			errs += p.Errors
		}
		if total != 1 || errs != 1 {
			t.Fatalf("over the window: got %d requests, %d errors; want only the recent one", total, errs)
		}
		if got := r.Series("unknown", time.Minute, 10*time.Second); len(got) != 6 {
			t.Fatalf("unknown deployment: got %d points, want 6 empty ones", len(got))
		}
	})
}

func TestBins(t *testing.T) {
	for _, d := range []time.Duration{0, time.Millisecond, 3 * time.Millisecond, time.Second, time.Hour} {
		b := bin(d)
		up := binUpper(b)
		ms := float64(d) / float64(time.Millisecond)
		if b < bins-1 && (ms > up*1.0000001 || (b > 0 && ms <= binUpper(b-1))) {
			t.Errorf("%v: bin %d (upper %.2f ms) does not hold it", d, b, up)
		}
		if math.IsNaN(up) {
			t.Errorf("%v: NaN bound", d)
		}
	}
	if bin(time.Hour) != bins-1 {
		t.Errorf("an hour: got bin %d, want the last", bin(time.Hour))
	}
}
