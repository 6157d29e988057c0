package cooldown

import "time"

// Tracker is the cooldown state of a set of deployments, keyed by deployment id. [Memory]
// implements it for one instance; a Redis-backed implementation shares it across instances.
// All methods are safe for concurrent use. An id never reported is healthy.
type Tracker interface {
	// Available reports whether deployment id may take a request now. It is on the request
	// path and must be cheap when id is not cooling. When probe is true this request is the
	// half-open probe: the caller must report Success or Failure for it (or nothing if the
	// client went away, in which case the slot frees after the probe timeout). ok is false while
	// id cools down and while another probe is outstanding.
	Available(id string) (ok, probe bool)
	// Failure records a failed attempt on id: kind classifies it, retryAfter is the upstream's
	// Retry-After (0 if none), groupSize the number of deployments in id's model group, own the
	// deployment's cooldown_time (nil if unset; 0 disables cooldown for it). It returns the
	// cooldown this failure started, or 0 if none. While id cools down, or is half-open with
	// no probe out, failures are late reports and ignored: a cooldown never grows. While a
	// probe is out, a failure is taken as the probe's and cools id again for the same duration.
	Failure(id string, kind Kind, retryAfter time.Duration, groupSize int, own *time.Duration) time.Duration
	// Success records a successful attempt on id. When id is half-open with a probe out, id
	// becomes healthy with an empty failure history. Otherwise it does nothing: a success does
	// not erase recent failures (they age out of Window) and does not end a cooldown early.
	Success(id string)
	// Until returns when id's current cooldown ends, or the zero Time when id is not cooling
	// (healthy or half-open). Use it for Retry-After and dashboards.
	Until(id string) time.Time
}
