// Package deployment holds the gateway's deployments (static config plus live state kept in
// atomics) and resolves a request's model string to a model group's candidates.
package deployment

import (
	"sync/atomic"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/openai"
)

// Deployment is one upstream of a model group. Config is immutable; the counters are live.
type Deployment struct {
	// Config is the deployment's configuration.
	config.Deployment
	// Index is the deployment's position in its Table (stable for the Table's life), so other
	// packages can keep per-deployment data in slices.
	Index int
	// Defaults are Config.Defaults sorted by key, ready for openai.Request.Patch.
	Defaults []openai.Field
	// InFlight counts requests sent to this deployment and not finished (a stream until its end).
	InFlight atomic.Int64
}

// New wraps a config deployment at index i.
func New(c config.Deployment, i int) *Deployment {
	return &Deployment{Deployment: c, Index: i, Defaults: openai.Fields(c.Defaults)}
}
