package balancer

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchyard/switchyard/internal/deployment"
)

// Latency is latency-based-routing. It learns from every attempt's Outcome (Observer) and picks
// among the fastest candidates.
//
// Samples. A non-streaming answer is one sample of seconds per output token (Latency /
// max(OutputTokens, 1)); a stream is one sample of time to first token (TTFT). An attempt that
// timed out is a sample of 1000 s of its kind (LiteLLM's penalty), so one timeout keeps a
// deployment out of the choice until the sample leaves the window. Other failures are not
// samples: cooldowns deal with them.
//
// Window. Each deployment keeps its last max_latency_list_size samples of each kind (default
// 10, as LiteLLM), and a sample older than ttl (default 3600 s) no longer counts, so a
// deployment that was slow is retried once its old samples age out. Its score of a kind is the
// mean of its live samples of that kind. Samples are timestamped to the second.
//
// Scores. Pick does not know whether the request streams, so a deployment is scored by its
// per-token mean when it has one, else by its TTFT mean, and each score is compared only with
// the same kind of the other candidates: a candidate is among the fastest when its score is at
// most lowest × (1 + lowest_latency_buffer) (buffer default 0), lowest being the least mean of
// that kind over all candidates. With one kind of traffic this is exactly LiteLLM's rule.
//
// Pick, in order: a candidate with no live sample and nothing in flight (never tried, or
// forgotten) is tried first, uniformly among such; else uniformly among the fastest; else
// (every candidate is waiting for its first answer) uniformly among all. A candidate without
// samples but with requests in flight is waiting for its first answer and is not sent more, so
// a new deployment is not flooded before anything is known about it.
//
// Pick and Observe are safe for concurrent use; Pick takes no lock and does not allocate.
// Statistics are kept per Deployment.Index and checked against Deployment.ID: a Latency serves
// the deployments of one deployment.Table (a deployment seen at the index of another with a
// different id starts afresh).
type Latency struct {
	rand   Rand
	now    func() time.Time
	epoch  time.Time // sample stamps count whole seconds from here
	ttl    int64     // seconds a sample counts for, ≥ 1
	buffer float64   // lowest_latency_buffer, ≥ 0
	size   int       // samples kept per deployment and kind, ≥ 1

	mu    sync.Mutex                      // serialises growth of stats
	stats atomic.Pointer[[]*latencyStats] // by Deployment.Index; replaced, never changed in place
}

// Defaults and bounds of latency-based-routing's routing_strategy_args.
const (
	defaultLatencyTTL     = 3600 // seconds
	defaultLatencySamples = 10
	maxLatencySamples     = 100 // bounds Pick's work: it reads every sample of every candidate
	timeoutPenalty        = 1000 * time.Second
)

// NewLatency returns latency-based-routing configured from opts: Rand (default math/rand/v2),
// Now (default time.Now) and Args (routing_strategy_args): ttl (seconds a sample counts for,
// > 0, default 3600, rounded up to whole seconds), lowest_latency_buffer (≥ 0, default 0) and
// max_latency_list_size (samples kept per deployment and kind, 1–100, default 10). Numbers may
// be YAML integers, floats or numeric strings; other keys are ignored.
func NewLatency(opts Options) (*Latency, error) {
	l := &Latency{rand: opts.Rand, now: opts.Now}
	if l.rand == nil {
		l.rand = rand.Float64
	}
	if l.now == nil {
		l.now = time.Now
	}
	ttl, err := numArg(opts.Args, "ttl", defaultLatencyTTL)
	if err != nil {
		return nil, err
	}
	if ttl <= 0 {
		return nil, fmt.Errorf("routing_strategy_args.ttl: must be more than 0 seconds, got %v", ttl)
	}
	l.ttl = int64(math.Ceil(min(ttl, math.MaxInt32)))
	if l.buffer, err = numArg(opts.Args, "lowest_latency_buffer", 0); err != nil {
		return nil, err
	}
	if l.buffer < 0 {
		return nil, fmt.Errorf("routing_strategy_args.lowest_latency_buffer: must be 0 or more, got %v", l.buffer)
	}
	size, err := numArg(opts.Args, "max_latency_list_size", defaultLatencySamples)
	if err != nil {
		return nil, err
	}
	if size < 1 || size > maxLatencySamples || size != math.Trunc(size) {
		return nil, fmt.Errorf("routing_strategy_args.max_latency_list_size: must be a whole number from 1 to %d, got %v", maxLatencySamples, size)
	}
	l.size = int(size)
	l.epoch = l.now()
	return l, nil
}

// Rank classes of a candidate in Pick, best first.
const (
	untried = iota // no live sample, nothing in flight
	fastest        // within the buffer of the lowest score of its kind
	slower         // scored, outside the buffer
	waiting        // no live sample, requests in flight
)

// Pick implements Strategy.
func (l *Latency) Pick(cands []*deployment.Deployment) *deployment.Deployment {
	switch len(cands) {
	case 0:
		return nil
	case 1:
		return cands[0]
	}
	now, stats := l.stamp(), l.table()
	var scores [keyBuffer]score // the first candidates' scores, read once
	lowTok, lowTTFT := math.Inf(1), math.Inf(1)
	for i, d := range cands {
		sc := l.score(stats, d, now)
		if i < len(scores) {
			scores[i] = sc
		}
		if sc.hasTok {
			lowTok = min(lowTok, sc.tok)
		}
		if sc.hasTTFT {
			lowTTFT = min(lowTTFT, sc.ttft)
		}
	}
	limit := 1 + l.buffer
	return lowest(cands, l.rand(), func(i int, d *deployment.Deployment) float64 {
		var sc score
		if i < len(scores) {
			sc = scores[i]
		} else {
			sc = l.score(stats, d, now)
		}
		switch {
		case sc.hasTok:
			return within(sc.tok, lowTok*limit)
		case sc.hasTTFT:
			return within(sc.ttft, lowTTFT*limit)
		case d.InFlight.Load() == 0:
			return untried
		}
		return waiting
	})
}

// within is the class of a candidate scoring v against the bound of the fastest.
func within(v, bound float64) float64 {
	if v <= bound {
		return fastest
	}
	return slower
}

// score is one candidate's live means in seconds at one moment: per output token (tok) and to
// first token (ttft), each valid when its has* is set.
type score struct {
	tok, ttft       float64
	hasTok, hasTTFT bool
}

// score reads d's live means at stamp now.
func (l *Latency) score(stats []*latencyStats, d *deployment.Deployment, now int64) score {
	var sc score
	if s := lookup(stats, d); s != nil {
		sc.tok, sc.hasTok = s.perToken.mean(now, l.ttl)
		sc.ttft, sc.hasTTFT = s.ttft.mean(now, l.ttl)
	}
	return sc
}

// Observe implements Observer: it records o as a sample of d (see Latency for which outcomes
// count and how).
func (l *Latency) Observe(d *deployment.Deployment, o Outcome) {
	var v float64
	switch {
	case o.TimedOut:
		v = timeoutPenalty.Seconds()
	case o.Failed:
		return
	case o.Stream:
		v = o.Latency.Seconds()
	default:
		v = o.Latency.Seconds() / float64(max(o.OutputTokens, 1))
	}
	s := l.statsFor(d)
	if s == nil {
		return
	}
	r := &s.perToken
	if o.Stream {
		r = &s.ttft
	}
	r.add(l.stamp(), max(v, 0))
}

// stamp is the current time in whole seconds since l.epoch, plus 1 (0 marks an empty slot).
func (l *Latency) stamp() int64 {
	sec := int64(l.now().Sub(l.epoch) / time.Second)
	return min(max(sec, 0), math.MaxUint32-1) + 1
}

// table is the current statistics slice (nil before the first sample).
func (l *Latency) table() []*latencyStats {
	if p := l.stats.Load(); p != nil {
		return *p
	}
	return nil
}

// statsFor returns d's statistics, creating them (and growing the table) on first use; nil
// for a deployment without a valid Index.
func (l *Latency) statsFor(d *deployment.Deployment) *latencyStats {
	if d.Index < 0 {
		return nil
	}
	if s := lookup(l.table(), d); s != nil {
		return s
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	old := l.table()
	if s := lookup(old, d); s != nil {
		return s
	}
	grown := make([]*latencyStats, max(len(old), d.Index+1))
	copy(grown, old)
	s := &latencyStats{id: d.ID, perToken: newRing(l.size), ttft: newRing(l.size)}
	grown[d.Index] = s
	l.stats.Store(&grown)
	return s
}

// lookup returns d's statistics in t, or nil when it has none.
func lookup(t []*latencyStats, d *deployment.Deployment) *latencyStats {
	if d.Index < 0 || d.Index >= len(t) {
		return nil
	}
	if s := t[d.Index]; s != nil && s.id == d.ID {
		return s
	}
	return nil
}

// latencyStats are one deployment's recent samples.
type latencyStats struct {
	id       string // Deployment.ID the samples belong to
	perToken ring   // non-streaming: seconds per output token
	ttft     ring   // streaming: seconds to first token
}

// ring holds the last len(slots) samples of one kind. Each slot packs a sample into one word so
// readers never see half of one: the high 32 bits are its stamp (0 = empty), the low 32 the
// value in seconds as a float32.
type ring struct {
	next  atomic.Uint64
	slots []atomic.Uint64
}

func newRing(n int) ring { return ring{slots: make([]atomic.Uint64, n)} }

// add records value v (seconds) taken at stamp at, replacing the oldest sample.
func (r *ring) add(at int64, v float64) {
	i := (r.next.Add(1) - 1) % uint64(len(r.slots))
	r.slots[i].Store(uint64(at)<<32 | uint64(math.Float32bits(float32(v))))
}

// mean is the mean of the samples younger than ttl seconds at stamp now; ok is false when
// there are none. It reads the slots in a fixed order, so unchanged samples give the same mean.
func (r *ring) mean(now, ttl int64) (mean float64, ok bool) {
	sum, n := 0.0, 0
	for i := range r.slots {
		w := r.slots[i].Load()
		at := int64(w >> 32)
		if at == 0 || now-at >= ttl {
			continue
		}
		sum += float64(math.Float32frombits(uint32(w)))
		n++
	}
	if n == 0 {
		return 0, false
	}
	return sum / float64(n), true
}

// numArg reads routing_strategy_args[key] as a number (YAML int, float or numeric string),
// def when absent.
func numArg(args map[string]any, key string, def float64) (float64, error) {
	v, ok := args[key]
	if !ok || v == nil {
		return def, nil
	}
	var f float64
	switch n := v.(type) {
	case int:
		f = float64(n)
	case int64:
		f = float64(n)
	case int32:
		f = float64(n)
	case uint64:
		f = float64(n)
	case float64:
		f = n
	case float32:
		f = float64(n)
	case string:
		var err error
		if f, err = strconv.ParseFloat(n, 64); err != nil {
			return 0, fmt.Errorf("routing_strategy_args.%s: expected a number, got %q", key, n)
		}
	default:
		return 0, fmt.Errorf("routing_strategy_args.%s: expected a number, got %T", key, v)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("routing_strategy_args.%s: expected a finite number, got %v", key, v)
	}
	return f, nil
}
