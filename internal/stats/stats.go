// Package stats keeps the dashboard's recent history: per deployment, per second, over the
// last Window (5 minutes), the upstream attempts, the failed ones and a latency histogram from
// which p50 and p99 are read. It is fed every attempt's outcome by the proxy (it is a
// balancer.Observer) and costs one short mutex hold per attempt.
package stats

import (
	"math"
	"sync"
	"time"

	"github.com/switchyard/switchyard/internal/balancer"
	"github.com/switchyard/switchyard/internal/deployment"
)

// Window is how much history a Recorder keeps, in one-second buckets.
const Window = 5 * time.Minute

const (
	slots = int(Window / time.Second)
	// bins is the latency histogram's size: bin i holds latencies up to binBase × binGrowth^i
	// (1 ms × 1.4^i: 1 ms … about 8 minutes); the last bin holds everything above.
	bins      = 40
	binBase   = float64(time.Millisecond)
	binGrowth = 1.4
)

// second is one second of one deployment's attempts.
type second struct {
	// unix is the second this slot holds; a slot holding an older second is stale.
	unix     int64
	requests uint32
	errors   uint32
	latency  [bins]uint32
}

// ring is one deployment's last Window of seconds.
type ring struct {
	mu    sync.Mutex
	slots [slots]second
}

// Recorder is the per-deployment history. Safe for concurrent use.
type Recorder struct {
	now   func() time.Time
	mu    sync.RWMutex
	rings map[string]*ring
}

// New returns an empty Recorder reading the clock now (nil means time.Now).
func New(now func() time.Time) *Recorder {
	if now == nil {
		now = time.Now
	}
	return &Recorder{now: now, rings: map[string]*ring{}}
}

// Observe records one attempt on d (balancer.Observer). A timeout counts as an error and as a
// latency sample; another failure counts as an error only.
func (r *Recorder) Observe(d *deployment.Deployment, o balancer.Outcome) {
	r.Record(d.ID, o.Latency, o.Failed || o.TimedOut, !o.Failed)
}

// Record records one attempt on deployment id: failed or not, and its latency when hasLatency.
func (r *Recorder) Record(id string, latency time.Duration, failed, hasLatency bool) {
	rg := r.ring(id)
	now := r.now().Unix()
	rg.mu.Lock()
	s := &rg.slots[now%int64(slots)]
	if s.unix != now {
		*s = second{unix: now}
	}
	s.requests++
	if failed {
		s.errors++
	}
	if hasLatency {
		s.latency[bin(latency)]++
	}
	rg.mu.Unlock()
}

func (r *Recorder) ring(id string) *ring {
	r.mu.RLock()
	rg := r.rings[id]
	r.mu.RUnlock()
	if rg != nil {
		return rg
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if rg = r.rings[id]; rg == nil {
		rg = &ring{}
		r.rings[id] = rg
	}
	return rg
}

// bin is the histogram bin of latency d.
func bin(d time.Duration) int {
	if float64(d) <= binBase {
		return 0
	}
	i := int(math.Ceil(math.Log(float64(d)/binBase) / math.Log(binGrowth)))
	return min(i, bins-1)
}

// binUpper is the upper bound of bin i, in milliseconds.
func binUpper(i int) float64 {
	return binBase * math.Pow(binGrowth, float64(i)) / float64(time.Millisecond)
}

// Point is one step of a Series.
type Point struct {
	// Requests and Errors count the attempts in the step.
	Requests, Errors int
	// P50 and P99 are latency quantiles in milliseconds (upper bounds of their histogram bins,
	// so within 40 % above the true value); 0 when the step had no latency sample.
	P50, P99 float64
}

// Series returns deployment id's history over the last span (at most Window) in steps of step
// (at least a second), oldest first; the last point ends with the current second.
func (r *Recorder) Series(id string, span, step time.Duration) []Point {
	step = max(step.Truncate(time.Second), time.Second)
	span = min(span, Window)
	n := int(span / step)
	per := int64(step / time.Second)
	out := make([]Point, n)
	r.mu.RLock()
	rg := r.rings[id]
	r.mu.RUnlock()
	if rg == nil || n == 0 {
		return out
	}
	now := r.now().Unix()
	first := now - int64(n)*per + 1
	var hist [bins]uint32
	rg.mu.Lock()
	defer rg.mu.Unlock()
	for p := range n {
		hist = [bins]uint32{}
		pt := &out[p]
		for sec := first + int64(p)*per; sec < first+int64(p+1)*per; sec++ {
			s := &rg.slots[((sec%int64(slots))+int64(slots))%int64(slots)]
			if s.unix != sec {
				continue
			}
			pt.Requests += int(s.requests)
			pt.Errors += int(s.errors)
			for i, c := range s.latency {
				hist[i] += c
			}
		}
		pt.P50, pt.P99 = quantile(&hist, 0.5), quantile(&hist, 0.99)
	}
	return out
}

// quantile reads quantile q of a histogram as its bin's upper bound in ms; 0 when empty.
func quantile(h *[bins]uint32, q float64) float64 {
	var total uint64
	for _, c := range h {
		total += uint64(c)
	}
	if total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(total)))
	var seen uint64
	for i, c := range h {
		seen += uint64(c)
		if seen >= rank {
			return binUpper(i)
		}
	}
	return binUpper(bins - 1)
}
