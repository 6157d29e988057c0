package usage

import (
	"context"
	"errors"
	"sync"
)

// Slots caps the requests in flight per deployment (max_parallel_requests /
// default_max_parallel_requests) and queues, first come first served, the requests that find
// every candidate at its cap.
//
// One mutex guards all of it, so the caller should skip Slots entirely (keep a nil *Slots) when
// no deployment has a cap configured; with caps it costs one uncontended lock per acquire and
// per release. A slot freed while requests wait is handed straight to the oldest waiter that
// can use that deployment, so a newcomer's TryAcquire cannot overtake the queue. Every
// successful TryAcquire or Wait must be paired with exactly one Release. The zero value is not
// usable — call NewSlots. Safe for concurrent use.
type Slots struct {
	mu       sync.Mutex
	inflight map[string]int // slots held per deployment id; never negative
	head     *waiter        // oldest waiter
	tail     *waiter        // newest waiter
	// Invariant: no queued waiter could take a free slot under its own caps. Release restores
	// it by handing the one unit it frees to the oldest waiter that can use it; nothing else
	// frees a slot, so a newcomer taking a free slot at once never overtakes the queue.
}

// waiter is one blocked Wait call, in a doubly linked FIFO.
type waiter struct {
	ids        []string
	caps       []int
	got        chan int // receives the index of the slot handed over; buffered 1
	handed     bool     // a slot was handed over (under Slots.mu)
	prev, next *waiter
}

// errNoCandidates is returned by Wait for an empty or mismatched candidate list.
var errNoCandidates = errors.New("usage: Slots.Wait needs one cap per id and at least one id")

// NewSlots returns Slots with nothing in flight and nobody waiting.
func NewSlots() *Slots {
	return &Slots{inflight: make(map[string]int)}
}

// free reports whether id has a slot free under limit c (c ≤ 0 means unlimited). Caller holds mu.
func (s *Slots) free(id string, c int) bool {
	return c <= 0 || s.inflight[id] < c
}

// TryAcquire takes a slot on id if fewer than cap are in flight there and reports whether it
// did. cap ≤ 0 means unlimited: it always succeeds and the request is still counted in InFlight.
func (s *Slots) TryAcquire(id string, cap int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.free(id, cap) {
		return false
	}
	s.inflight[id]++
	return true
}

// Release gives back a slot on id. If a waiter can use id, the slot passes to the oldest such
// waiter (the in-flight count is unchanged); otherwise the count drops by one. Releasing an id
// with nothing in flight does nothing.
func (s *Slots) Release(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.releaseLocked(id)
}

// releaseLocked is Release with mu held.
func (s *Slots) releaseLocked(id string) {
	n := s.inflight[id]
	if n <= 0 {
		return
	}
	s.inflight[id] = n - 1
	for w := s.head; w != nil; w = w.next {
		for i, wid := range w.ids {
			if wid == id && s.free(id, w.caps[i]) {
				s.inflight[id]++
				s.unlink(w)
				w.handed = true
				w.got <- i
				return
			}
		}
	}
}

// InFlight returns the number of slots held on id (waiters not included).
func (s *Slots) InFlight(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inflight[id]
}

// Wait takes a slot on the first of ids with one free under the matching entry of caps (≤ 0 =
// unlimited) and returns its index. When all are full it queues behind earlier waiters and
// blocks until a Release hands it a slot on any of ids — waiters are served strictly in arrival
// order among those that can use the freed deployment — or until ctx ends, when it leaves the
// queue, passes on any slot handed to it meanwhile, and returns -1 and ctx.Err(). ids and caps
// must have the same non-zero length; Wait keeps no reference to them after it returns.
func (s *Slots) Wait(ctx context.Context, ids []string, caps []int) (int, error) {
	if len(ids) == 0 || len(ids) != len(caps) {
		return -1, errNoCandidates
	}
	if err := ctx.Err(); err != nil {
		return -1, err
	}
	s.mu.Lock()
	for i, id := range ids {
		if s.free(id, caps[i]) {
			s.inflight[id]++
			s.mu.Unlock()
			return i, nil
		}
	}
	w := &waiter{ids: ids, caps: caps, got: make(chan int, 1)}
	s.push(w)
	s.mu.Unlock()

	select {
	case i := <-w.got:
		return i, nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if w.handed {
		s.releaseLocked(w.ids[<-w.got])
	} else {
		s.unlink(w)
	}
	return -1, ctx.Err()
}

// push appends w to the queue. Caller holds mu.
func (s *Slots) push(w *waiter) {
	w.prev = s.tail
	if s.tail != nil {
		s.tail.next = w
	} else {
		s.head = w
	}
	s.tail = w
}

// unlink removes w from the queue. Caller holds mu.
func (s *Slots) unlink(w *waiter) {
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		s.head = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	} else {
		s.tail = w.prev
	}
	w.prev, w.next = nil, nil
}
