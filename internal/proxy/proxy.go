// Package proxy runs one client request through the gateway: pick a deployment, call it, and on a
// failure before the commit point retry elsewhere; after the commit point stream the answer.
package proxy

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/switchyard/switchyard/internal/balancer"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/cooldown"
	"github.com/switchyard/switchyard/internal/deployment"
	"github.com/switchyard/switchyard/internal/openai"
	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/tokens"
	"github.com/switchyard/switchyard/internal/usage"
)

// Proxy forwards calls to deployments. Safe for concurrent use; immutable after New.
type Proxy struct {
	providers []provider.Provider // by Deployment.Index
	apiBases  []string            // providers[i].APIBase(), computed once (it parses a URL)
	strategy  balancer.Strategy
	observer  balancer.Observer // the strategy, when it learns from outcomes; else nil
	router    config.RouterSettings
	log       *slog.Logger
	usage     usage.Store
	slots     *usage.Slots // nil when no deployment has a parallel cap
	cooldowns cooldown.Tracker
	resolve   func(model string) (deployment.Route, bool)
	unhealthy func(id string) bool // nil: no health checks
	// requests and retries count calls in Forward and retry attempts in flight, for the retry
	// budget.
	requests, retries atomic.Int64
	// jitter draws the backoff jitter factor's random part, in [0, 1).
	jitter func() float64
	// tokens counts prompt tokens for context-window pre-call checks (loaded lazily).
	tokens tokens.Counter
	// keepAlive is the longest gap in a committed stream before a keep-alive comment
	// (router_settings.stream_keepalive, default 15 s).
	keepAlive time.Duration
	// hooks observe calls (metrics, traces); nil when nothing does.
	hooks *Hooks
}

// Options are what New needs.
type Options struct {
	// Providers are indexed by Deployment.Index.
	Providers []provider.Provider
	Strategy  balancer.Strategy
	Router    config.RouterSettings
	Log       *slog.Logger
	// Usage accounts rpm/tpm; required.
	Usage usage.Store
	// Slots enforces max_parallel_requests; nil when no cap is configured anywhere.
	Slots *usage.Slots
	// Cooldowns tracks failing deployments; required.
	Cooldowns cooldown.Tracker
	// Resolve finds a fallback group by name; nil disables fallbacks.
	Resolve func(model string) (deployment.Route, bool)
	// Unhealthy reports whether a deployment failed its last active health check; such a
	// deployment is skipped while another candidate is left. nil means no health checks.
	Unhealthy func(id string) bool
	// Observer also receives every attempt's outcome (the dashboard's history); nil for none.
	Observer balancer.Observer
	// Hooks observe calls (metrics, traces); nil for none.
	Hooks *Hooks
}

// New returns a Proxy.
func New(o Options) *Proxy {
	p := &Proxy{providers: o.Providers, strategy: o.Strategy, router: o.Router, log: o.Log,
		usage: o.Usage, slots: o.Slots, cooldowns: o.Cooldowns, resolve: o.Resolve, unhealthy: o.Unhealthy, jitter: rand.Float64,
		keepAlive: o.Router.StreamKeepAlive, hooks: o.Hooks}
	if p.keepAlive <= 0 {
		p.keepAlive = defaultKeepAlive
	}
	p.apiBases = make([]string, len(o.Providers))
	for i, prov := range o.Providers {
		if prov != nil {
			p.apiBases[i] = prov.APIBase()
		}
	}
	p.observer, _ = o.Strategy.(balancer.Observer)
	if o.Observer != nil {
		if p.observer != nil {
			p.observer = tee{p.observer, o.Observer}
		} else {
			p.observer = o.Observer
		}
	}
	return p
}

// tee passes each outcome to two observers.
type tee [2]balancer.Observer

func (t tee) Observe(d *deployment.Deployment, o balancer.Outcome) {
	t[0].Observe(d, o)
	t[1].Observe(d, o)
}

// Provider returns the provider of d.
func (p *Proxy) Provider(d *deployment.Deployment) provider.Provider { return p.providers[d.Index] }

// Call is one client request on its way through the gateway.
type Call struct {
	Op  provider.Op
	Req *openai.Request
	// Route is where the request's model resolved to.
	Route deployment.Route
	// ID is the call id (x-litellm-call-id).
	ID string
	// Start is when the gateway received the request.
	Start time.Time
	// Fallbacks counts the fallback groups tried (x-litellm-attempted-fallbacks).
	Fallbacks int
	// promptTokens is the tokenizer's count of the prompt, 0 until a pre-call check needs it.
	promptTokens int
	// quotaCand is the buffer of quotaCandidate.
	quotaCand [1]usage.Candidate
}

// Result describes how a call went.
type Result struct {
	// Deployment served the call (the last one tried when it failed); nil if none was tried.
	Deployment *deployment.Deployment
	// Attempts is the number of upstream attempts made.
	Attempts int
	// Committed is true once anything was written to the client.
	Committed bool
	// Usage is the upstream's reported usage, when it reported one.
	Usage    openai.Usage
	HasUsage bool
	// Upstream is the time spent waiting on upstreams (for x-litellm-overhead-duration-ms).
	Upstream time.Duration
	// TokensEstimated is true when the tokens counted for the call are an estimate (a stream
	// whose upstream reported no usage).
	TokensEstimated bool
	// streamed counts the data events of the last attempt's stream.
	streamed int
	// ttft is the last attempt's time to its stream's commit point.
	ttft time.Duration
}

// Forward serves c, writing the answer to w: c's model group with its retries, then its
// fallback groups (see fallbacks). When it returns an error with Result.Committed false,
// nothing was written and the caller renders the error.
func (p *Proxy) Forward(ctx context.Context, w http.ResponseWriter, c *Call) (Result, error) {
	p.requests.Add(1)
	defer p.requests.Add(-1)
	var res Result
	v, err := p.forwardGroup(ctx, w, c, &res)
	if err == nil || res.Committed || v.Action == ClientGone || ctx.Err() != nil {
		return res, err
	}
	for _, name := range p.fallbacks(c, v, err) {
		route, ok := p.resolve(name)
		if !ok {
			p.log.Warn("fallback group not found", "model_group", c.Route.Group, "fallback", name)
			continue
		}
		p.hooks.fallback(c, route)
		c.Route, c.Fallbacks = route, c.Fallbacks+1
		var ferr error
		v, ferr = p.forwardGroup(ctx, w, c, &res)
		if ferr == nil || res.Committed || v.Action == ClientGone || ctx.Err() != nil {
			return res, ferr
		}
		if !isNoDeployments(ferr) || err == nil {
			err = ferr
		}
	}
	return res, err
}

// forwardGroup runs c against its route's group: admit a deployment, call it, and on a failure
// before commit classify it, count it toward the deployment's cooldown, and retry — another
// deployment while one remains, else the same after backoff — within num_retries (or the
// error kind's retry_policy) and the fleet's retry budget.
func (p *Proxy) forwardGroup(ctx context.Context, w http.ResponseWriter, c *Call, res *Result) (Verdict, error) {
	retries := p.router.NumRetries
	if first := c.Route.Candidates[0]; first.NumRetries != nil {
		retries = *first.NumRetries
	}
	if c.Req.NumRetries != nil {
		retries = *c.Req.NumRetries
	}
	est := estimateTokens(c)
	var failed []*deployment.Deployment
	var lastErr error
	var deadline time.Time
	retrying := false // holds a slot of the retry budget
	defer func() {
		if retrying {
			p.retries.Add(-1)
		}
	}()
	for attempt := 0; ; attempt++ {
		cands := c.Route.Candidates
		if len(failed) > 0 {
			cands = without(cands, failed)
		}
		limit := p.attemptTimeout(c, cands[0])
		a, err := p.admit(ctx, c, cands, est, limit)
		if err != nil {
			if lastErr != nil && isNoDeployments(err) {
				// The rest are cooling or full: the client learns what went wrong here.
				return Classify(lastErr, len(c.Route.Candidates)), lastErr
			}
			return Classify(err, len(c.Route.Candidates)), err
		}
		d := a.d
		if attempt > 0 {
			if contains(failed, d) {
				// Nothing else left: retry the same deployment after backoff.
				wait := p.backoff(attempt, lastErr)
				if err := sleep(ctx, wait); err != nil {
					p.release(ctx, &a, refund)
					return Verdict{Action: ClientGone}, ErrClientGone
				}
				deadline = deadline.Add(wait)
			}
			if time.Now().After(deadline) {
				p.release(ctx, &a, refund)
				return Classify(lastErr, len(c.Route.Candidates)), lastErr
			}
		}
		limit = p.attemptTimeout(c, d)
		if attempt == 0 {
			deadline = c.Start.Add(limit * time.Duration(1+retries))
		}
		res.Deployment = d
		res.Attempts++
		err = p.attempt(ctx, w, c, &a, limit, est, res)
		if retrying {
			p.retries.Add(-1)
			retrying = false
		}
		if err == nil {
			p.cooldowns.Success(d.ID)
			return Verdict{}, nil
		}
		v := Classify(err, len(c.Route.Candidates))
		if v.Counts {
			if cd := p.cooldowns.Failure(d.ID, v.Kind, v.RetryAfter, len(c.Route.Candidates), d.CooldownTime); cd > 0 {
				p.log.Warn("deployment cooling down", "deployment", d.ID, "model_group", c.Route.Group,
					"for", cd.String(), "reason", v.Kind.String())
			}
		}
		if ctx.Err() != nil {
			return Verdict{Action: ClientGone}, ErrClientGone
		}
		if res.Committed || v.Action == FailFast || v.Action == ClientGone {
			return v, err
		}
		lastErr = err
		if !contains(failed, d) {
			failed = append(failed, d)
		}
		if attempt >= p.allowedRetries(v, retries) {
			return v, err
		}
		if v.Action == RetryElsewhere && len(failed) >= len(c.Route.Candidates) {
			return v, err
		}
		if !p.takeRetry() {
			p.log.Warn("retry budget exhausted: not retrying", "call_id", c.ID, "model_group", c.Route.Group,
				"retries_in_flight", p.retries.Load())
			return v, err
		}
		retrying = true
		p.hooks.retry(c, d, err)
		p.log.LogAttrs(ctx, slog.LevelInfo, "attempt failed, retrying",
			slog.String("call_id", c.ID), slog.String("model_group", c.Route.Group),
			slog.String("deployment", d.ID), slog.Int("attempt", attempt+1), slog.String("error", err.Error()))
	}
}

// takeRetry takes a slot of the retry budget (Envoy's): a retry may start only while retries
// in flight < max(3, 20 % of requests in flight), so an outage cannot multiply upstream load,
// yet a quiet gateway still retries.
func (p *Proxy) takeRetry() bool {
	for {
		n := p.retries.Load()
		if n >= max(3, p.requests.Load()/5) {
			return false
		}
		if p.retries.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// allowedRetries is retry_policy's count for the failure's kind, else num_retries.
func (p *Proxy) allowedRetries(v Verdict, retries int) int {
	if n, ok := p.router.RetryPolicy[retryPolicyKey(v.Kind)]; ok {
		return n
	}
	return retries
}

func isNoDeployments(err error) bool {
	var nd *NoDeploymentsError
	return errors.As(err, &nd)
}

// attemptTimeout is the request's timeout, else the deployment's, else the router's.
func (p *Proxy) attemptTimeout(c *Call, d *deployment.Deployment) time.Duration {
	switch {
	case c.Req.Timeout > 0:
		return time.Duration(c.Req.Timeout * float64(time.Second))
	case d.Timeout > 0:
		return d.Timeout
	case p.router.Timeout > 0:
		return p.router.Timeout
	}
	return 600 * time.Second
}

// streamTimeout bounds the time to a stream's commit point; unset, it equals the attempt timeout.
func (p *Proxy) streamTimeout(c *Call, d *deployment.Deployment, attempt time.Duration) time.Duration {
	switch {
	case d.StreamTimeout > 0:
		return d.StreamTimeout
	case p.router.StreamTimeout > 0:
		return p.router.StreamTimeout
	}
	return attempt
}

// backoff is the wait before retrying the same deployment: the upstream's Retry-After when it
// is at most 60 s, else 0.5 s × 2ⁿ capped at 8 s, times a jitter in [0.75, 1); at least retry_after.
func (p *Proxy) backoff(attempt int, lastErr error) time.Duration {
	var ue *UpstreamError
	if errors.As(lastErr, &ue) && ue.RetryAfter > 0 && ue.RetryAfter <= 60*time.Second {
		return max(ue.RetryAfter, p.router.RetryAfter)
	}
	d := 500 * time.Millisecond << min(attempt-1, 4)
	d = min(d, 8*time.Second)
	d = time.Duration(float64(d) * (0.75 + 0.25*p.jitter()))
	return max(d, p.router.RetryAfter)
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func contains(ds []*deployment.Deployment, d *deployment.Deployment) bool {
	for _, x := range ds {
		if x == d {
			return true
		}
	}
	return false
}

// without returns cands minus excluded; all of cands when that would leave none.
func without(cands, excluded []*deployment.Deployment) []*deployment.Deployment {
	out := make([]*deployment.Deployment, 0, len(cands))
	for _, d := range cands {
		if !contains(excluded, d) {
			out = append(out, d)
		}
	}
	if len(out) == 0 {
		return cands
	}
	return out
}
