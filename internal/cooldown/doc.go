// Package cooldown is the per-deployment cooldown state machine: it decides when a failing
// deployment is taken out of rotation, for how long, and how it comes back.
//
// The rules follow LiteLLM's cooldown (LITELLM-COMPAT.md, "Reliability"), made precise:
//
//   - A deployment cools down when its failures in the last [Window] (60 s) exceed the allowed
//     fails: [Policy.AllowedFails] (default 3; 0 means the first failure cools it), or, for an
//     error kind named in [Policy.AllowedFailsPolicy], that kind's own limit. Kinds with a policy
//     entry are counted on their own; all other kinds share one count against AllowedFails.
//   - A [RateLimit] failure cools the deployment at once when its model group has other
//     deployments (groupSize > 1), unless the policy sets RateLimitErrorAllowedFails, in which
//     case that explicit limit applies.
//   - The duration is, first match wins: the deployment's own cooldown_time (0 disables cooldown
//     for it), the upstream's Retry-After capped at [MaxRetryAfter] (300 s), the router's
//     [Policy.CooldownTime] (default 5 s; 0 means no cooldown for a failure without Retry-After).
//     [Policy.Disable] (disable_cooldowns) turns everything off. Durations never grow.
//   - When the cooldown ends the deployment is half-open: [Tracker.Available] lets exactly one
//     request through as the probe. Its success makes the deployment healthy and clears its
//     failure history; its failure cools it again for the same duration. A probe whose outcome is
//     never reported (the client left) holds the slot for [Policy.ProbeTimeout] (default 30 s),
//     after which the next request becomes the probe.
//
// What counts as a failure is the caller's business (the proxy's one error classifier): a client
// that went away and a request refused by quota are not reported at all.
//
// [Memory] keeps the state of one instance; the [Tracker] interface is what a Redis-backed
// implementation shared across instances implements too.
package cooldown
