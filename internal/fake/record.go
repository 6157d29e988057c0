package fake

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
)

// Recorded is one request a Handler received, kept for tests to inspect. Its maps and slices
// are shared with the Handler's record: read them, never modify them.
type Recorded struct {
	// Method is the request method, e.g. "POST".
	Method string
	// Path is the request's URL path, e.g. "/v1/chat/completions".
	Path string
	// RawQuery is the encoded query without '?', e.g. "api-version=2024-10-21".
	RawQuery string
	// Header is a clone of the request headers as the handler received them.
	Header http.Header
	// Body is the complete request body (at most MaxBodyBytes).
	Body []byte
	// Cancelled is closed when the request's context ended before the Handler finished
	// with the request (the client went away or cancelled); otherwise it is never closed.
	// Whether it will be closed is settled once Done is closed.
	Cancelled <-chan struct{}
	// Done is closed when the Handler has finished with the request.
	Done <-chan struct{}
}

// WasCancelled reports, without blocking, whether Cancelled is closed. The answer is final
// once Done is closed; before that a false may still turn true.
func (r Recorded) WasCancelled() bool {
	select {
	case <-r.Cancelled:
		return true
	default:
		return false
	}
}

// recorder keeps the most recent requests in a ring of at most limit entries.
type recorder struct {
	limit int // > 0 keeps that many; < 0 keeps none
	count atomic.Int64

	mu   sync.Mutex
	ring []Recorded // arrival order starting at next once len(ring) == limit
	next int        // slot the next record overwrites when the ring is full
}

// tracking follows one recorded request until the handler finishes with it. The zero value
// (recording off) does nothing.
type tracking struct {
	ctx       context.Context
	cancelled chan struct{}
	done      chan struct{}
	stop      func() bool
}

// add counts r and, unless recording is off, records it with its body and starts watching
// its context. The caller must call finish on the result when it is done with r.
func (rc *recorder) add(r *http.Request, body []byte) tracking {
	rc.count.Add(1)
	if rc.limit < 0 {
		return tracking{}
	}
	t := tracking{ctx: r.Context(), cancelled: make(chan struct{}), done: make(chan struct{})}
	t.stop = context.AfterFunc(r.Context(), func() { close(t.cancelled) })
	rec := Recorded{
		Method:    r.Method,
		Path:      r.URL.Path,
		RawQuery:  r.URL.RawQuery,
		Header:    r.Header.Clone(),
		Body:      body,
		Cancelled: t.cancelled,
		Done:      t.done,
	}
	rc.mu.Lock()
	if len(rc.ring) < rc.limit {
		rc.ring = append(rc.ring, rec)
	} else {
		rc.ring[rc.next] = rec
		rc.next = (rc.next + 1) % rc.limit
	}
	rc.mu.Unlock()
	return t
}

// finish marks the request done. If its context ended first, Cancelled is closed before
// Done, so a reader that saw Done gets a final answer from WasCancelled.
func (t tracking) finish() {
	if t.done == nil {
		return
	}
	if t.stop() {
		// The AfterFunc will never run. Cancellation can reach it asynchronously (when a
		// context in the chain is not one of package context's own), so ask ctx itself.
		if t.ctx.Err() != nil {
			close(t.cancelled)
		}
	} else {
		<-t.cancelled // the AfterFunc has started; it closes cancelled promptly
	}
	close(t.done)
}

// requests returns the kept records, oldest first.
func (rc *recorder) requests() []Recorded {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := make([]Recorded, 0, len(rc.ring))
	out = append(out, rc.ring[rc.next:]...)
	return append(out, rc.ring[:rc.next]...)
}

// reset forgets every record and zeroes the count.
func (rc *recorder) reset() {
	rc.mu.Lock()
	clear(rc.ring)
	rc.ring = rc.ring[:0]
	rc.next = 0
	rc.count.Store(0)
	rc.mu.Unlock()
}
