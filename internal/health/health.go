// Package health runs active health checks: one tiny request per deployment (a one-token chat
// completion, a one-token text completion or a one-word embedding, by model_info.mode), at most
// Parallel at a time, each within Timeout. A Checker remembers each deployment's last result;
// the proxy skips deployments whose last probe failed until one passes again.
//
// Nothing here runs unless asked: the server calls Check only for GET /health (on demand) or
// from Run when general_settings.background_health_checks is true.
package health

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/switchyard/switchyard/internal/deployment"
	"github.com/switchyard/switchyard/internal/provider"
)

// Defaults of a Checker's zero fields.
const (
	// DefaultTimeout bounds one probe (LiteLLM's HEALTH_CHECK_TIMEOUT_SECONDS, 60 s).
	DefaultTimeout = 60 * time.Second
	// DefaultParallel is how many probes run at once.
	DefaultParallel = 8
	// maxErrorText bounds the upstream error text kept in a Result (bytes).
	maxErrorText = 300
)

// Target is one deployment to probe with the provider that sends to it.
type Target struct {
	D *deployment.Deployment
	P provider.Provider
}

// Result is the outcome of one deployment's last probe.
type Result struct {
	// ID is the deployment's id.
	ID string
	// Healthy is true when the upstream answered 2xx.
	Healthy bool
	// Error says why the probe failed ("" when healthy), scrubbed of secrets.
	Error string
	// Checked is when the probe finished; Latency how long it took.
	Checked time.Time
	Latency time.Duration
}

// Checker probes deployments and keeps each one's last Result. The zero value is not usable;
// fill the fields, then share one *Checker. Safe for concurrent use.
type Checker struct {
	// Timeout bounds one probe; default DefaultTimeout.
	Timeout time.Duration
	// Parallel is the most probes in flight; default DefaultParallel.
	Parallel int
	// Scrub removes secrets from error text; nil keeps the text.
	Scrub func(string) string
	// Changed, when set, is called by Check for each deployment whose verdict differs from its
	// previous one (a first failing probe counts; a first passing one does not).
	Changed func(r Result)

	mu      sync.RWMutex
	results map[string]Result
}

// Probeable reports whether d can be probed: its mode is chat, completion or embedding (or
// unset) and its upstream model is not a wildcard. Others are never probed nor marked.
func Probeable(d *deployment.Deployment) bool {
	if strings.Contains(d.UpstreamModel, "*") {
		return false
	}
	switch d.Mode {
	case "", "chat", "completion", "embedding":
		return true
	}
	return false
}

// probeRequest is the operation and OpenAI-shaped body of d's probe.
func probeRequest(d *deployment.Deployment) (provider.Op, []byte) {
	var body map[string]any
	op := provider.Chat
	switch d.Mode {
	case "embedding":
		op, body = provider.Embedding, map[string]any{"input": "ping"}
	case "completion":
		op, body = provider.Completion, map[string]any{"prompt": "ping", "max_tokens": 1}
	default:
		body = map[string]any{"messages": []map[string]string{{"role": "user", "content": "ping"}}, "max_tokens": 1}
	}
	body["model"] = d.UpstreamModel
	b, _ := json.Marshal(body)
	return op, b
}

// Probe sends one probe to t and returns its result without recording it.
func (c *Checker) Probe(ctx context.Context, t Target) Result {
	start := time.Now()
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := send(ctx, t)
	r := Result{ID: t.D.ID, Healthy: err == nil, Checked: time.Now(), Latency: time.Since(start)}
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			err = fmt.Errorf("no answer within %s", timeout)
		}
		r.Error = err.Error()
		if c.Scrub != nil {
			r.Error = c.Scrub(r.Error)
		}
	}
	return r
}

// send makes t's probe call; nil means the upstream answered 2xx.
func send(ctx context.Context, t Target) error {
	op, body := probeRequest(t.D)
	req, err := t.P.NewRequest(ctx, op, body)
	if err != nil {
		return fmt.Errorf("building the probe request: %w", err)
	}
	resp, err := t.P.Transport().RoundTrip(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorText+1))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		msg := strings.TrimSpace(string(b))
		if len(msg) > maxErrorText {
			msg = msg[:maxErrorText] + "…"
		}
		return fmt.Errorf("upstream answered %d %s: %s", resp.StatusCode, http.StatusText(resp.StatusCode), msg)
	}
	return nil
}

// Check probes every probeable target, at most Parallel at a time, records the results
// (forgetting deployments not among targets) and returns them in targets' order.
func (c *Checker) Check(ctx context.Context, targets []Target) []Result {
	par := c.Parallel
	if par <= 0 {
		par = DefaultParallel
	}
	out := make([]Result, len(targets))
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	for i, t := range targets {
		if !Probeable(t.D) {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out[i] = c.Probe(ctx, t)
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		// Cut short (shutdown): a cancelled probe says nothing about the upstream.
		return out
	}
	fresh := make(map[string]Result, len(targets))
	kept := out[:0:0]
	for _, r := range out {
		if r.ID != "" {
			fresh[r.ID] = r
			kept = append(kept, r)
		}
	}
	c.mu.Lock()
	prev := c.results
	c.results = fresh
	c.mu.Unlock()
	if c.Changed != nil {
		for _, r := range kept {
			if p, ok := prev[r.ID]; ok && p.Healthy != r.Healthy || !ok && !r.Healthy {
				c.Changed(r)
			}
		}
	}
	return kept
}

// Unhealthy reports whether id's last probe failed. A deployment never probed is not unhealthy.
func (c *Checker) Unhealthy(id string) bool {
	c.mu.RLock()
	r, ok := c.results[id]
	c.mu.RUnlock()
	return ok && !r.Healthy
}

// Last returns id's last result; ok is false when it was never probed.
func (c *Checker) Last(id string) (r Result, ok bool) {
	c.mu.RLock()
	r, ok = c.results[id]
	c.mu.RUnlock()
	return r, ok
}

// Results returns the last result of every probed deployment.
func (c *Checker) Results() map[string]Result {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make(map[string]Result, len(c.results))
	for k, v := range c.results {
		out[k] = v
	}
	return out
}

// Reset forgets every result, so no deployment counts as unhealthy (background checks turned
// off by a reload).
func (c *Checker) Reset() {
	c.mu.Lock()
	c.results = nil
	c.mu.Unlock()
}

// Schedule is what Run asks before each round: whether checks are on, how long to wait before
// the next round, and what to probe.
type Schedule func() (on bool, interval time.Duration, targets []Target)

// Run checks the schedule's targets at once and then every interval until ctx ends. While the
// schedule says off, it checks nothing and forgets earlier results, looking again every
// interval (at least a second).
func (c *Checker) Run(ctx context.Context, schedule Schedule) {
	for {
		on, interval, targets := schedule()
		if on {
			c.Check(ctx, targets)
		} else {
			c.Reset()
		}
		if interval <= 0 {
			interval = time.Second
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}
