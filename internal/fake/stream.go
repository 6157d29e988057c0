package fake

import (
	"context"
	"net/http"
	"time"
)

// sse writes one server-sent-events answer, flushing after every event and stopping for good
// at the first failed write or once the request's context is done.
type sse struct {
	w      http.ResponseWriter
	ctx    context.Context
	flush  func() error
	broken bool
	buf    []byte // reused for building each event
}

// startSSE writes the 200 event-stream headers and flushes them.
func startSSE(w http.ResponseWriter, ctx context.Context) *sse {
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	s := &sse{w: w, ctx: ctx, flush: http.NewResponseController(w).Flush, buf: make([]byte, 0, 512)}
	if s.flush() != nil {
		s.flush = func() error { return nil } // no Flusher: bytes still arrive, just buffered
	}
	return s
}

// send writes b (one complete event) and flushes it; it reports whether the stream is still
// alive.
func (s *sse) send(b []byte) bool {
	if s.broken || s.ctx.Err() != nil {
		s.broken = true
		return false
	}
	if _, err := s.w.Write(b); err != nil {
		s.broken = true
		return false
	}
	_ = s.flush()
	return true
}

// pause waits d before the next event; it reports false if the client went away meanwhile.
func (s *sse) pause(d time.Duration) bool {
	if !s.broken && !wait(s.ctx, d) {
		s.broken = true
	}
	return !s.broken
}

// wait sleeps for d unless ctx ends first; it reports whether ctx is still live. A d ≤ 0
// does not sleep.
func wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
