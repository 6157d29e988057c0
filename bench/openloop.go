package main

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// lateAfter is how far behind its scheduled time a request may start before it counts as a
// late start (the generator, not the target, fell behind). Timer wake-ups on Linux are
// coarse at sub-millisecond intervals, so a little slack is normal.
const lateAfter = 2 * time.Millisecond

// arrivals yields the gaps between consecutive scheduled request starts.
type arrivals interface {
	next() time.Duration
}

// uniformArrivals spaces requests exactly 1/rate apart.
type uniformArrivals struct{ gap time.Duration }

func (u uniformArrivals) next() time.Duration { return u.gap }

// poissonArrivals draws exponentially distributed gaps of mean 1/rate: a Poisson process.
type poissonArrivals struct {
	mean float64 // nanoseconds
	rng  *rand.Rand
}

func (p poissonArrivals) next() time.Duration {
	return time.Duration(p.rng.ExpFloat64() * p.mean)
}

// newArrivals returns the arrival process kind ("poisson" or "uniform") at rate requests per
// second; rng seeds the Poisson draws.
func newArrivals(kind string, rate float64, rng *rand.Rand) arrivals {
	mean := float64(time.Second) / rate
	if kind == "uniform" {
		return uniformArrivals{gap: time.Duration(mean)}
	}
	return poissonArrivals{mean: mean, rng: rng}
}

// openStats counts what an open-loop schedule did.
type openStats struct {
	Scheduled int `json:"scheduled"`   // requests started
	Late      int `json:"late_starts"` // started more than lateAfter behind schedule
}

// openLoop starts fire(scheduled) at the arrival times of arr, measured from now, until dur
// has passed or limit requests were started (limit ≤ 0: no limit), with at most maxInFlight
// running at once: when that many are in flight the schedule waits, and the requests it
// then starts behind time count as late. It returns once every started fire has returned,
// with the counts and the wall time from start to then. fire runs on its own goroutine.
func openLoop(ctx context.Context, arr arrivals, dur time.Duration, limit, maxInFlight int, fire func(scheduled time.Time)) (openStats, time.Duration) {
	var st openStats
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(1, maxInFlight))
	start := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	var offset time.Duration
loop:
	for limit <= 0 || st.Scheduled < limit {
		offset += arr.next()
		if offset >= dur {
			break
		}
		at := start.Add(offset)
		if d := time.Until(at); d > 0 {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-ctx.Done():
				break loop
			}
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			break loop
		}
		if time.Since(at) > lateAfter {
			st.Late++
		}
		st.Scheduled++
		wg.Go(func() {
			defer func() { <-sem }()
			fire(at)
		})
	}
	wg.Wait()
	return st, time.Since(start)
}

// newRand returns a deterministic random source for arrival draws.
func newRand(seed int64) *rand.Rand { return rand.New(rand.NewPCG(uint64(seed), 0x5eed)) }
