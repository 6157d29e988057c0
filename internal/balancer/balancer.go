// Package balancer holds the routing strategies. A strategy ranks, it does not filter: the
// caller passes only deployments that are available, and the strategy picks one of them.
package balancer

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/switchyard/switchyard/internal/deployment"
)

// Strategy picks one deployment among available candidates.
type Strategy interface {
	// Pick returns one of cands (never nil when len(cands) > 0). It must not allocate or keep cands.
	Pick(cands []*deployment.Deployment) *deployment.Deployment
}

// Rand is the random source strategies draw from: a float in [0, 1).
type Rand func() float64

// New returns the strategy named by routing_strategy ("" means simple-shuffle). Only
// latency-based-routing reads opts.Args; a bad argument there is an error naming it.
func New(name string, opts Options) (Strategy, error) {
	if opts.Rand == nil {
		opts.Rand = rand.Float64
	}
	rnd := opts.Rand
	switch name {
	case "", "simple-shuffle":
		return &SimpleShuffle{Rand: rnd}, nil
	case "least-busy":
		return &LeastBusy{Rand: rnd}, nil
	case "usage-based-routing", "usage-based-routing-v2":
		return &UsageBased{Usage: opts.Usage, Rand: rnd}, nil
	case "latency-based-routing":
		l, err := NewLatency(opts)
		if err != nil {
			return nil, err
		}
		return l, nil
	case "cost-based-routing":
		return &Cost{Rand: rnd}, nil
	}
	return nil, fmt.Errorf("unknown routing_strategy %q", name)
}

// keyBuffer is how many candidates' keys lowest remembers between its two passes without
// allocating; keys of candidates beyond it are read twice.
const keyBuffer = 64

// lowest returns a uniformly random one of the candidates with the lowest key, choosing with
// u, a draw in [0, 1). key gets each candidate with its index in cands; it may read live state (in-flight counters, usage): a key that changed
// between the two passes cannot make lowest fail, only shift the choice to another tie or, if
// none is left, to the last candidate that still held the lowest key. NaN keys never win; when
// every key is NaN the choice is uniform over all candidates. len(cands) must be > 0.
func lowest(cands []*deployment.Deployment, u float64, key func(int, *deployment.Deployment) float64) *deployment.Deployment {
	var keys [keyBuffer]float64
	low, ties := math.Inf(1), 0
	for i, d := range cands {
		k := key(i, d)
		if i < len(keys) {
			keys[i] = k
		}
		switch {
		case k < low:
			low, ties = k, 1
		case k == low:
			ties++
		}
	}
	if ties == 0 {
		return cands[nth(u, len(cands))]
	}
	want := nth(u, ties)
	var last *deployment.Deployment
	for i, d := range cands {
		var k float64
		if i < len(keys) {
			k = keys[i]
		} else {
			k = key(i, d)
		}
		if k != low {
			continue
		}
		if want == 0 {
			return d
		}
		want--
		last = d
	}
	if last == nil {
		return cands[nth(u, len(cands))]
	}
	return last
}

// nth maps a draw u in [0, 1) to an index in [0, n), n > 0, evenly.
func nth(u float64, n int) int {
	return min(max(int(u*float64(n)), 0), n-1)
}
