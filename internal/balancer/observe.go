package balancer

import (
	"time"

	"github.com/switchyard/switchyard/internal/deployment"
	"github.com/switchyard/switchyard/internal/usage"
)

// Options configure New.
type Options struct {
	// Rand draws floats in [0, 1); nil means math/rand/v2.
	Rand Rand
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Usage reads each deployment's usage over the current window (usage-based routing); nil
	// ranks every deployment as unused.
	Usage UsageReader
	// Args is router_settings.routing_strategy_args as decoded from YAML; only
	// latency-based-routing reads it (ttl, lowest_latency_buffer, max_latency_list_size: see
	// NewLatency).
	Args map[string]any
}

// UsageReader is the part of usage.Store strategies read.
type UsageReader interface {
	Used(id string) usage.Used
}

// Outcome is what happened on one upstream attempt, for strategies that learn.
type Outcome struct {
	// Latency is the time to first token for streams, else the whole call's duration.
	Latency time.Duration
	// Stream says whether Latency is a time to first token.
	Stream bool
	// OutputTokens are the completion tokens (0 when unknown).
	OutputTokens int
	// TimedOut marks an attempt that hit its timeout: a very slow sample.
	TimedOut bool
	// Failed marks any other failure (not a latency sample).
	Failed bool
}

// Observer is implemented by strategies that learn from outcomes (latency-based-routing).
// The proxy calls Observe after every attempt.
type Observer interface {
	Observe(d *deployment.Deployment, o Outcome)
}
