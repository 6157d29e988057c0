package proxy

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/switchyard/switchyard/internal/deployment"
	"github.com/switchyard/switchyard/internal/usage"
)

// admission is a deployment taken for one attempt, with the quota it reserved and the parallel
// slot it holds. release must be called exactly once.
type admission struct {
	d        *deployment.Deployment
	res      usage.Reservation
	reserved bool
	slot     bool
}

// estimateTokens is the token estimate reserved before a call: ceil(body bytes / 4) for the
// prompt, plus max_tokens when set. No tokenizer runs on the request path.
func estimateTokens(c *Call) int64 {
	return int64((len(c.Req.Body)+3)/4 + c.Req.MaxTokens)
}

// parallelCap is d's max_parallel_requests, else the router's default; 0 = no cap.
func (p *Proxy) parallelCap(d *deployment.Deployment) int {
	if d.MaxParallelRequests > 0 {
		return d.MaxParallelRequests
	}
	return p.router.DefaultMaxParallelRequests
}

// admit chooses the deployment for one attempt. One availability predicate runs first (not
// over rpm, not over tpm with this request's estimate, not at its parallel cap, and with
// enable_pre_call_checks only the lowest order tier left); the strategy picks among the rest;
// the pick's quota is then reserved atomically and its slot taken, re-picking if either is
// refused in a race. When every candidate is only at its parallel cap, the request waits for a
// slot (first come, first served) until wait ends. Nothing available → *NoDeploymentsError.
func (p *Proxy) admit(ctx context.Context, c *Call, cands []*deployment.Deployment, est int64, wait time.Duration) (admission, error) {
	avail := cands
	if p.router.EnablePreCallChecks {
		var err error
		if avail, err = p.fitContext(c, avail); err != nil {
			return admission{}, err
		}
	}
	avail = p.healthy(avail)
	if p.limited(avail) || p.anyCooling(avail) {
		// The common case, every candidate available, keeps avail as it is: no allocation.
		all, kept := avail, 0
		for _, d := range all {
			if p.availability(d, est) == usable {
				kept++
			}
		}
		if kept < len(all) {
			var capped []*deployment.Deployment
			avail = make([]*deployment.Deployment, 0, kept)
			for _, d := range all {
				switch p.availability(d, est) {
				case usable:
					avail = append(avail, d)
				case atCap:
					capped = append(capped, d)
				}
			}
			if len(avail) == 0 && len(capped) > 0 {
				return p.waitForSlot(ctx, c, capped, est, wait)
			}
		}
	}
	if p.router.EnablePreCallChecks {
		avail = lowestOrder(avail)
	}
	for len(avail) > 0 {
		d := p.strategy.Pick(avail)
		if ok, _ := p.cooldowns.Available(d.ID); !ok {
			// Half-open with its probe already out.
			avail = drop(avail, d)
			continue
		}
		a, ok, err := p.take(ctx, c, d, est)
		if err != nil {
			return a, err
		}
		if ok {
			return a, nil
		}
		avail = drop(avail, d)
	}
	return admission{}, p.noDeployments(ctx, c, cands, est)
}

// availabilityKind is what the availability filter says of one candidate.
type availabilityKind int

const (
	usable   availabilityKind = iota
	filtered                  // cooling down, or over its rpm/tpm
	atCap                     // only at its max_parallel_requests: worth waiting for
)

// availability is the one predicate run before every strategy (see admit).
func (p *Proxy) availability(d *deployment.Deployment, est int64) availabilityKind {
	switch {
	case p.cooling(d), !p.fits(d, est):
		return filtered
	case p.slots != nil && p.parallelCap(d) > 0 && p.slots.InFlight(d.ID) >= p.parallelCap(d):
		return atCap
	}
	return usable
}

// fitContext keeps the deployments whose max_input_tokens the prompt fits (pre-call check).
// Tokens are counted at most once per call, and only when the body's byte count exceeds a
// limit (a token is at least one byte). None fits → *ContextWindowError.
func (p *Proxy) fitContext(c *Call, cands []*deployment.Deployment) ([]*deployment.Deployment, error) {
	fits := func(d *deployment.Deployment) bool {
		if d.MaxInputTokens <= 0 || len(c.Req.Body) <= d.MaxInputTokens {
			return true
		}
		if c.promptTokens == 0 {
			c.promptTokens = p.tokens.Prompt(c.Req.Body)
		}
		return c.promptTokens <= d.MaxInputTokens
	}
	n := 0
	for _, d := range cands {
		if fits(d) {
			n++
		}
	}
	if n == len(cands) {
		return cands, nil
	}
	if n == 0 {
		return nil, &ContextWindowError{Group: c.Route.Group, Tokens: c.promptTokens, Max: cands[0].MaxInputTokens}
	}
	out := make([]*deployment.Deployment, 0, n)
	for _, d := range cands {
		if fits(d) {
			out = append(out, d)
		}
	}
	return out, nil
}

// cooling reports whether d is in a cooldown now.
func (p *Proxy) cooling(d *deployment.Deployment) bool {
	until := p.cooldowns.Until(d.ID)
	return !until.IsZero() && time.Now().Before(until)
}

// healthy drops the candidates that failed their last health check, unless that leaves none:
// with every candidate failing its probe, trying one beats refusing the request.
func (p *Proxy) healthy(cands []*deployment.Deployment) []*deployment.Deployment {
	if p.unhealthy == nil {
		return cands
	}
	n := 0
	for _, d := range cands {
		if !p.unhealthy(d.ID) {
			n++
		}
	}
	if n == len(cands) || n == 0 {
		return cands
	}
	out := make([]*deployment.Deployment, 0, n)
	for _, d := range cands {
		if !p.unhealthy(d.ID) {
			out = append(out, d)
		}
	}
	return out
}

// anyCooling reports whether any candidate is cooling down.
func (p *Proxy) anyCooling(cands []*deployment.Deployment) bool {
	for _, d := range cands {
		if p.cooling(d) {
			return true
		}
	}
	return false
}

// take reserves d's quota and parallel slot; ok is false when either is refused.
func (p *Proxy) take(ctx context.Context, c *Call, d *deployment.Deployment, est int64) (a admission, ok bool, err error) {
	a.d = d
	if d.RPM > 0 || d.TPM > 0 {
		idx, res, _, err := p.usage.Reserve(ctx, c.quotaCandidate(d), est)
		if err != nil {
			return a, false, err
		}
		if idx < 0 {
			return a, false, nil
		}
		a.res, a.reserved = res, true
	}
	if cp := p.parallelCap(d); cp > 0 && p.slots != nil {
		if !p.slots.TryAcquire(d.ID, cp) {
			p.release(ctx, &a, refund)
			return a, false, nil
		}
		a.slot = true
	}
	return a, true, nil
}

// waitForSlot waits (FIFO) for a parallel slot on any of capped, up to wait.
func (p *Proxy) waitForSlot(ctx context.Context, c *Call, capped []*deployment.Deployment, est int64, wait time.Duration) (admission, error) {
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	ids := make([]string, len(capped))
	caps := make([]int, len(capped))
	for i, d := range capped {
		ids[i], caps[i] = d.ID, p.parallelCap(d)
	}
	i, err := p.slots.Wait(wctx, ids, caps)
	if err != nil {
		if ctx.Err() != nil {
			return admission{}, ErrClientGone
		}
		return admission{}, &NoDeploymentsError{Group: c.Route.Group, RetryAfter: time.Second,
			Details: []string{fmt.Sprintf("every deployment is at its max_parallel_requests; waited %s for a slot", wait)}}
	}
	a := admission{d: capped[i], slot: true}
	d := capped[i]
	if d.RPM > 0 || d.TPM > 0 {
		idx, res, retry, err := p.usage.Reserve(ctx, c.quotaCandidate(d), est)
		if err != nil || idx < 0 {
			p.release(ctx, &a, refund)
			if err != nil {
				return admission{}, err
			}
			return admission{}, &NoDeploymentsError{Group: c.Route.Group, RetryAfter: retry}
		}
		a.res, a.reserved = res, true
	}
	return a, nil
}

// quotaCandidate returns d as the one candidate of a Reserve call, in c's own buffer: the
// slice literal it replaces escaped to the heap on every request.
func (c *Call) quotaCandidate(d *deployment.Deployment) []usage.Candidate {
	c.quotaCand[0] = usage.Candidate{ID: d.ID, Limits: usage.Limits{RPM: d.RPM, TPM: d.TPM}}
	return c.quotaCand[:]
}

// settlement says how release treats an attempt's token reservation.
type settlement int

const (
	// refund takes the request and its tokens back: nothing reached the upstream.
	refund settlement = iota
	// settleTokens sets the tokens to the count given.
	settleTokens
	// keepEstimate leaves the estimate counted (the upstream may have spent it).
	keepEstimate
)

// release returns an admission's slot and settles its reservation.
func (p *Proxy) release(ctx context.Context, a *admission, how settlement, tokens ...int64) {
	if a.slot {
		p.slots.Release(a.d.ID)
		a.slot = false
	}
	if !a.reserved {
		return
	}
	a.reserved = false
	ctx = context.WithoutCancel(ctx)
	switch how {
	case refund:
		p.usage.Refund(ctx, a.res)
	case settleTokens:
		p.usage.Settle(ctx, a.res, tokens[0])
	}
}

// limited reports whether any candidate has a quota or parallel cap, so the filter must run.
func (p *Proxy) limited(cands []*deployment.Deployment) bool {
	for _, d := range cands {
		if d.RPM > 0 || d.TPM > 0 || p.parallelCap(d) > 0 {
			return true
		}
	}
	return false
}

// fits reports whether d's window has room for one more request of est tokens. A single request
// larger than the whole tpm fits only an empty window.
func (p *Proxy) fits(d *deployment.Deployment, est int64) bool {
	if d.RPM == 0 && d.TPM == 0 {
		return true
	}
	u := p.usage.Used(d.ID)
	if d.RPM > 0 && u.Requests+1 > d.RPM {
		return false
	}
	if d.TPM > 0 && u.Tokens+est > d.TPM && u.Tokens > 0 {
		return false
	}
	return true
}

// lowestOrder keeps the deployments of the lowest order tier present (order 1 first; unset
// order ranks after every set one).
func lowestOrder(cands []*deployment.Deployment) []*deployment.Deployment {
	best := math.MaxInt
	for _, d := range cands {
		best = min(best, orderOf(d))
	}
	n := 0
	for _, d := range cands {
		if orderOf(d) == best {
			n++
		}
	}
	if n == len(cands) {
		return cands
	}
	out := make([]*deployment.Deployment, 0, n)
	for _, d := range cands {
		if orderOf(d) == best {
			out = append(out, d)
		}
	}
	return out
}

func orderOf(d *deployment.Deployment) int {
	if d.Order <= 0 {
		return math.MaxInt
	}
	return d.Order
}

// noDeployments builds the 429 for a group with nothing available: Retry-After is the time until
// the earliest deployment has room, and the message gives each deployment's usage and limits.
func (p *Proxy) noDeployments(ctx context.Context, c *Call, cands []*deployment.Deployment, est int64) error {
	e := &NoDeploymentsError{Group: c.Route.Group, RetryAfter: time.Second}
	var limited []usage.Candidate
	var soonest time.Duration
	for _, d := range cands {
		if d.RPM > 0 || d.TPM > 0 {
			limited = append(limited, usage.Candidate{ID: d.ID, Limits: usage.Limits{RPM: d.RPM, TPM: d.TPM}})
		}
		u := p.usage.Used(d.ID)
		detail := fmt.Sprintf("%s: rpm %d/%s, tpm %d/%s", d.ID, u.Requests, limitText(d.RPM), u.Tokens, limitText(d.TPM))
		if until := p.cooldowns.Until(d.ID); !until.IsZero() {
			left := time.Until(until)
			detail += fmt.Sprintf(", cooling down for %.1fs", left.Seconds())
			if soonest == 0 || left < soonest {
				soonest = left
			}
		}
		e.Details = append(e.Details, detail)
	}
	if soonest > 0 {
		e.RetryAfter = soonest
	}
	if len(limited) == len(cands) && soonest == 0 {
		// A dry run: every candidate is refused, and the store says when the first has room.
		if idx, res, retry, err := p.usage.Reserve(ctx, limited, est); err == nil {
			if idx >= 0 {
				p.usage.Refund(context.WithoutCancel(ctx), res)
			} else if retry > 0 {
				e.RetryAfter = retry
			}
		}
	}
	return e
}

func limitText(n int64) string {
	if n == 0 {
		return "unlimited"
	}
	return fmt.Sprint(n)
}

// drop returns a new slice of ds without x (ds may be shared and is not modified).
func drop(ds []*deployment.Deployment, x *deployment.Deployment) []*deployment.Deployment {
	out := make([]*deployment.Deployment, 0, len(ds))
	for _, d := range ds {
		if d != x {
			out = append(out, d)
		}
	}
	return out
}
