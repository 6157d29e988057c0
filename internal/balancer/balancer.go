// Package balancer holds the routing strategies. A strategy ranks, it does not filter: the
// caller passes only deployments that are available, and the strategy picks one of them.
package balancer

import (
	"fmt"
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

// New returns the strategy named by routing_strategy.
func New(name string, opts Options) (Strategy, error) {
	if opts.Rand == nil {
		opts.Rand = rand.Float64
	}
	rnd := opts.Rand
	switch name {
	case "", "simple-shuffle":
		return &SimpleShuffle{Rand: rnd}, nil
	}
	// The other strategies arrive with the strategies issue; until then they shuffle.
	for _, s := range []string{"least-busy", "usage-based-routing", "usage-based-routing-v2",
		"latency-based-routing", "cost-based-routing"} {
		if s == name {
			return &SimpleShuffle{Rand: rnd}, nil
		}
	}
	return nil, fmt.Errorf("unknown routing_strategy %q", name)
}
