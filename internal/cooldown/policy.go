package cooldown

import (
	"errors"
	"fmt"
	"sort"
	"time"
)

const (
	// Window is how far back failures count toward allowed fails: a failure at time t counts
	// while now - t < Window.
	Window = 60 * time.Second
	// MaxRetryAfter caps a cooldown taken from an upstream's Retry-After.
	MaxRetryAfter = 300 * time.Second
	// DefaultAllowedFails is LiteLLM's default allowed_fails.
	DefaultAllowedFails = 3
	// DefaultCooldownTime is LiteLLM's default router cooldown_time.
	DefaultCooldownTime = 5 * time.Second
	// DefaultProbeTimeout is how long an unreported half-open probe holds the probe slot when
	// Policy.ProbeTimeout is 0. It is fixed rather than the cooldown duration: a healthy model
	// can take longer than a 5 s cooldown to reach its first token, and a second probe sent
	// while the first is still legitimately running would double the load on a deployment that
	// may still be sick.
	DefaultProbeTimeout = 30 * time.Second
)

// ErrInvalidPolicy is wrapped by every error [Policy.Validate] returns.
var ErrInvalidPolicy = errors.New("invalid cooldown policy")

// Policy is the router-wide cooldown configuration (LiteLLM router_settings). The zero value is
// valid but strict: allowed_fails 0 and no router cooldown_time; start from [DefaultPolicy] to
// get LiteLLM's defaults.
type Policy struct {
	// AllowedFails is how many failures a deployment may have within Window; one more cools
	// it. 0 means the first failure cools it. Negative values are treated as 0.
	AllowedFails int
	// AllowedFailsPolicy overrides AllowedFails per error kind, keyed by LiteLLM's names (see
	// [Kind.PolicyKey]). A kind with an entry is counted on its own. Unknown keys are ignored
	// by [NewMemory] and reported by [Policy.Validate].
	AllowedFailsPolicy map[string]int
	// CooldownTime is the router's cooldown_time, used when neither the deployment's own
	// cooldown_time nor a Retry-After applies. 0 means such failures start no cooldown.
	CooldownTime time.Duration
	// Disable is disable_cooldowns: no deployment ever cools down.
	Disable bool
	// ProbeTimeout is how long a half-open probe whose outcome is never reported blocks the
	// next probe; 0 means DefaultProbeTimeout.
	ProbeTimeout time.Duration
}

// DefaultPolicy returns LiteLLM's defaults: allowed_fails 3, cooldown_time 5 s, probe timeout
// DefaultProbeTimeout.
func DefaultPolicy() Policy {
	return Policy{
		AllowedFails: DefaultAllowedFails,
		CooldownTime: DefaultCooldownTime,
		ProbeTimeout: DefaultProbeTimeout,
	}
}

// Validate reports the first problem in p: a negative count or duration, or an
// allowed_fails_policy key LiteLLM does not define. Errors wrap [ErrInvalidPolicy].
func (p Policy) Validate() error {
	if p.AllowedFails < 0 {
		return fmt.Errorf("%w: allowed_fails is %d, must be ≥ 0", ErrInvalidPolicy, p.AllowedFails)
	}
	if p.CooldownTime < 0 {
		return fmt.Errorf("%w: cooldown_time is %v, must be ≥ 0", ErrInvalidPolicy, p.CooldownTime)
	}
	if p.ProbeTimeout < 0 {
		return fmt.Errorf("%w: probe timeout is %v, must be ≥ 0", ErrInvalidPolicy, p.ProbeTimeout)
	}
	keys := make([]string, 0, len(p.AllowedFailsPolicy))
	for key := range p.AllowedFailsPolicy {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		if _, ok := KindFromPolicyKey(key); !ok {
			return fmt.Errorf("%w: allowed_fails_policy has unknown key %q (known: %v)",
				ErrInvalidPolicy, key, knownPolicyKeys())
		}
		if n := p.AllowedFailsPolicy[key]; n < 0 {
			return fmt.Errorf("%w: allowed_fails_policy.%s is %d, must be ≥ 0", ErrInvalidPolicy, key, n)
		}
	}
	return nil
}

func knownPolicyKeys() []string {
	var keys []string
	for k := range Kind(numKinds) {
		if key := k.PolicyKey(); key != "" {
			keys = append(keys, key)
		}
	}
	return keys
}

// limits is a Policy resolved for fast lookups: the allowed fails and counter index per kind.
type limits struct {
	allowed [numKinds]int
	// counter is the index into state.fails each kind records into: the kind itself when the
	// policy names it, else sharedCounter.
	counter         [numKinds]int
	rateLimitPolicy bool
}

// sharedCounter is the state.fails index for kinds without an allowed_fails_policy entry.
const sharedCounter = numKinds

func resolve(p Policy) limits {
	var l limits
	for k := range Kind(numKinds) {
		l.allowed[k] = max(p.AllowedFails, 0)
		l.counter[k] = sharedCounter
		if key := k.PolicyKey(); key != "" {
			if n, ok := p.AllowedFailsPolicy[key]; ok {
				l.allowed[k] = max(n, 0)
				l.counter[k] = int(k)
			}
		}
	}
	l.rateLimitPolicy = l.counter[RateLimit] != sharedCounter
	return l
}

// duration picks the cooldown length: own, else retryAfter capped at MaxRetryAfter, else the
// router's. A result ≤ 0 means no cooldown.
func (p Policy) duration(retryAfter time.Duration, own *time.Duration) time.Duration {
	switch {
	case own != nil:
		return *own
	case retryAfter > 0:
		return min(retryAfter, MaxRetryAfter)
	default:
		return p.CooldownTime
	}
}
