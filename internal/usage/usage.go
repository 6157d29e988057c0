// Package usage accounts each deployment's requests and tokens over a rolling 60 s window and
// enforces rpm/tpm quotas with check-and-reserve. One Store interface serves the in-memory store
// (one instance) and, later, the Redis store (many instances).
//
// Semantics (DESIGN.md promise 8): rpm is exact — every attempt sent upstream counts one,
// whatever its outcome (Refund only when no byte was sent). tpm admits a request while
// used + its estimate fits, then Settle replaces the estimate with the upstream's real usage.
package usage

import (
	"context"
	"time"
)

// Window is the rolling window quotas are counted over.
const Window = 60 * time.Second

// Limits are one deployment's quotas; 0 means unlimited.
type Limits struct {
	RPM, TPM int64
}

// Candidate is a deployment offered to Reserve.
type Candidate struct {
	// ID is the deployment id (the key of its counters).
	ID     string
	Limits Limits
}

// Reservation is what Reserve took; pass it to Settle or Refund exactly once.
type Reservation struct {
	// ID is the deployment reserved on.
	ID string
	// Tokens is the token estimate reserved.
	Tokens int64
	// At is when the reservation was counted (its bucket).
	At time.Time
}

// Used is a deployment's usage over the current window.
type Used struct {
	Requests, Tokens int64
}

// Store keeps usage counters. Implementations are safe for concurrent use.
type Store interface {
	// Reserve walks cands in order and reserves one request and tokens (the estimate) on the
	// first whose limits allow it: requests+1 ≤ RPM and tokens+estimate ≤ TPM (a request whose
	// estimate alone exceeds TPM is admitted only when the window is empty of tokens, so a
	// big prompt is not refused forever). It returns that candidate's index, or -1 and the
	// time until the earliest candidate is expected to have room.
	Reserve(ctx context.Context, cands []Candidate, tokens int64) (idx int, r Reservation, retryAfter time.Duration, err error)
	// Settle replaces a reservation's token estimate with the real count.
	Settle(ctx context.Context, r Reservation, tokens int64) error
	// Refund takes a reservation back entirely (nothing reached the upstream).
	Refund(ctx context.Context, r Reservation) error
	// Used returns id's usage over the window ending now.
	Used(id string) Used
}
