package usage

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// ring is the number of one-second buckets kept per deployment. A request counted at time t
// sits in the bucket of second floor(t) and leaves the window at the start of second
// floor(t)+ring, so it is counted for at least 60 s and at most 61 s. Keeping 61 buckets rather
// than 60 is what makes "at most RPM requests in ANY 60 s interval" exact: with 60, a request at
// 0:59.9 would leave at 1:59.0, letting 2×RPM fall within 59.1 s.
const ring = int64(Window/time.Second) + 1

// bucket counts the requests and tokens of one unix second.
type bucket struct {
	sec      int64 // unix second this bucket currently counts
	req, tok int64 // never negative
}

// meter is one deployment's rolling window. Invariant (under mu, after advance): for every s in
// [head-ring+1, head], buckets[slot(s)].sec == s, and req/tok are the sums of those buckets.
type meter struct {
	mu       sync.Mutex
	head     int64 // newest second the ring has been advanced to
	req, tok int64 // sums over the window; never negative
	buckets  [ring]bucket
	// pubHead, pubReq and pubTok are head, req and tok as of the last change, stored after
	// every change under mu (head last), so Used can answer for the current second without
	// the lock that Reserve and Settle contend for.
	pubHead, pubReq, pubTok atomic.Int64
}

// publish makes head, req and tok visible to Used's lock-free path. Caller holds mt.mu.
func (mt *meter) publish() {
	mt.pubReq.Store(mt.req)
	mt.pubTok.Store(mt.tok)
	mt.pubHead.Store(mt.head)
}

// Memory is the single-instance Store: per-deployment rolling windows of 61 one-second buckets
// (see ring), each behind its own mutex, so check-and-reserve is one critical section per
// deployment and no lock is shared between deployments. State for an id is created on first
// sight and kept for the life of the Memory (ids come from the config, so they are bounded).
// A Memory is safe for concurrent use; the zero value is not usable — call NewMemory.
type Memory struct {
	now    func() time.Time
	meters sync.Map // string → *meter
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty Memory reading time from now (nil means time.Now).
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{now: now}
}

// slot is the ring index of unix second s (s may be negative in tests near the epoch).
func slot(s int64) int64 {
	return (s%ring + ring) % ring
}

// meter returns id's window, creating it when create is set (the only allocation, once per id).
func (m *Memory) meter(id string, create bool) *meter {
	if v, ok := m.meters.Load(id); ok {
		return v.(*meter)
	}
	if !create {
		return nil
	}
	v, _ := m.meters.LoadOrStore(id, new(meter))
	return v.(*meter)
}

// advance moves the window to second now, zeroing the buckets that left it, and returns the
// second new counts go to: now, or head when the clock went backwards (counts never go into a
// bucket older than one already used). Caller holds mt.mu.
func (mt *meter) advance(now int64) int64 {
	if now <= mt.head {
		return mt.head
	}
	from := max(mt.head+1, now-ring+1)
	for s := from; s <= now; s++ {
		b := &mt.buckets[slot(s)]
		mt.req -= b.req
		mt.tok -= b.tok
		*b = bucket{sec: s}
	}
	mt.head = now
	mt.publish()
	return now
}

// bucketOf returns the bucket counting second s, or nil when s is outside [head-ring+1, head].
// Caller holds mt.mu.
func (mt *meter) bucketOf(s int64) *bucket {
	if s > mt.head || s <= mt.head-ring {
		return nil
	}
	b := &mt.buckets[slot(s)]
	if b.sec != s {
		return nil
	}
	return b
}

// fits reports whether one more request estimated at est tokens fits limits l given req
// requests and tok tokens already counted. An estimate above TPM on its own fits only when tok
// is 0, which the single test tok > 0 && tok+est > TPM covers.
func fits(l Limits, req, tok, est int64) bool {
	if l.RPM > 0 && req+1 > l.RPM {
		return false
	}
	if l.TPM > 0 && tok > 0 && tok+est > l.TPM {
		return false
	}
	return true
}

// Reserve implements Store. It checks and reserves each candidate under that candidate's own
// lock, so no two callers can both take the last unit of a quota. Candidates with no limits
// are still counted (Used reports them). A negative estimate counts as 0. With no candidate
// fitting it returns -1 and the smallest, over cands, of the time until enough of that
// candidate's oldest buckets leave the window for this request to fit, in (0, Window]; with
// no candidates at all it returns -1 and 0. The error is always nil; ctx is unused because
// nothing blocks.
func (m *Memory) Reserve(_ context.Context, cands []Candidate, tokens int64) (int, Reservation, time.Duration, error) {
	tokens = max(tokens, 0)
	now := m.now()
	sec := now.Unix()
	for i, c := range cands {
		mt := m.meter(c.ID, true)
		mt.mu.Lock()
		at := mt.advance(sec)
		if fits(c.Limits, mt.req, mt.tok, tokens) {
			b := &mt.buckets[slot(at)]
			b.req++
			b.tok += tokens
			mt.req++
			mt.tok += tokens
			mt.publish()
			mt.mu.Unlock()
			if at != sec {
				now = time.Unix(at, 0)
			}
			return i, Reservation{ID: c.ID, Tokens: tokens, At: now}, 0, nil
		}
		mt.mu.Unlock()
	}
	// Refused everywhere. The wait is a hint, so it is computed in a second pass rather than
	// on every refusal of the first: admissions that find room further down the list stay cheap.
	var wait time.Duration
	for i, c := range cands {
		mt := m.meter(c.ID, true)
		mt.mu.Lock()
		mt.advance(sec)
		w := mt.retryAfter(c.Limits, tokens, now)
		mt.mu.Unlock()
		if i == 0 || w < wait {
			wait = w
		}
	}
	return -1, Reservation{}, wait, nil
}

// retryAfter is how long from now until enough of mt's buckets, oldest first, have left the
// window for a request estimated at est tokens to fit l; at least 1 ns, at most Window. 0 when
// it fits already (a slot freed between Reserve's passes). Caller holds mt.mu and has advanced.
func (mt *meter) retryAfter(l Limits, est int64, now time.Time) time.Duration {
	req, tok := mt.req, mt.tok
	if fits(l, req, tok, est) {
		return 0
	}
	oldest := mt.head - ring + 1
	i := slot(oldest)
	for k := range ring {
		b := &mt.buckets[i]
		if i++; i == ring {
			i = 0
		}
		if b.req == 0 && b.tok == 0 {
			continue
		}
		req -= b.req
		tok -= b.tok
		if fits(l, req, tok, est) {
			return min(max(time.Unix(oldest+k+ring, 0).Sub(now), 1), Window)
		}
	}
	return Window // unreachable: an empty window fits any request
}

// Settle implements Store: it adds tokens − r.Tokens to the bucket r was counted in, if that
// bucket still counts r's second (a reservation older than the window has already left it, so
// there is nothing to correct). A bucket never goes below zero. A negative tokens counts as 0.
// It does not read the clock (see adjust). The error is always nil.
func (m *Memory) Settle(_ context.Context, r Reservation, tokens int64) error {
	m.adjust(r, 0, max(tokens, 0)-r.Tokens)
	return nil
}

// Refund implements Store: it removes r's request and r.Tokens from the bucket r was counted
// in, if that bucket still counts r's second; a bucket never goes below zero. It does not read
// the clock (see adjust). The error is always nil.
func (m *Memory) Refund(_ context.Context, r Reservation) error {
	m.adjust(r, -1, -r.Tokens)
	return nil
}

// adjust adds dreq and dtok to r's bucket, clamping at zero and keeping the sums in step. It
// does not advance the window: the sums always cover exactly the buckets of [head-ring+1,
// head], and everything that reads them advances first, so adjusting a bucket that real time
// has already left (but no advance has recycled yet) is subtracted again by that advance and
// is never observed.
func (m *Memory) adjust(r Reservation, dreq, dtok int64) {
	mt := m.meter(r.ID, false)
	if mt == nil {
		return
	}
	mt.mu.Lock()
	defer mt.mu.Unlock()
	b := mt.bucketOf(r.At.Unix())
	if b == nil {
		return
	}
	dreq = max(dreq, -b.req)
	dtok = max(dtok, -b.tok)
	b.req += dreq
	b.tok += dtok
	mt.req += dreq
	mt.tok += dtok
	mt.publish()
}

// Used implements Store: id's requests and tokens (estimates of unsettled reservations
// included) over the window ending now. An id never reserved on reports zero and creates no
// state. Within the second of the last change it reads published sums without locking (the
// filter, the strategy and the rate-limit headers call it several times per request); the
// lock is taken only to advance the window.
func (m *Memory) Used(id string) Used {
	mt := m.meter(id, false)
	if mt == nil {
		return Used{}
	}
	now := m.now().Unix()
	if mt.pubHead.Load() == now {
		return Used{Requests: mt.pubReq.Load(), Tokens: mt.pubTok.Load()}
	}
	mt.mu.Lock()
	defer mt.mu.Unlock()
	mt.advance(now)
	return Used{Requests: mt.req, Tokens: mt.tok}
}
