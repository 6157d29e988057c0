package proxy

import (
	"net/http"
	"sync"
	"time"
)

const (
	// writeTimeout bounds each write to a streaming client: a reader that stops reading
	// (TCP window 0) is cut off after it, and only it.
	writeTimeout = 30 * time.Second
	// defaultKeepAlive is the longest gap after commit before a ": keep-alive" comment is sent.
	defaultKeepAlive = 15 * time.Second
)

var keepAliveComment = []byte(": keep-alive\n\n")

// streamWriter serialises writes to a committed stream: the event loop's and the keep-alive
// ticker's. Every write has its own deadline and is flushed; the first error sticks.
type streamWriter struct {
	mu   sync.Mutex
	w    http.ResponseWriter
	rc   *http.ResponseController
	last time.Time
	err  error
	stop chan struct{}
	done chan struct{}
}

func newStreamWriter(w http.ResponseWriter) *streamWriter {
	return &streamWriter{w: w, rc: http.NewResponseController(w), last: time.Now()}
}

// write sends b (if any) and flushes, under a per-write deadline.
func (s *streamWriter) write(b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writeLocked(b)
}

func (s *streamWriter) writeLocked(b []byte) error {
	if s.err != nil {
		return s.err
	}
	s.rc.SetWriteDeadline(time.Now().Add(writeTimeout))
	if len(b) > 0 {
		if _, s.err = s.w.Write(b); s.err != nil {
			return s.err
		}
	}
	s.err = s.rc.Flush()
	s.last = time.Now()
	return s.err
}

// keepAlive starts a ticker that writes a comment whenever nothing was written for every.
// close stops it.
func (s *streamWriter) keepAlive(every time.Duration) {
	s.stop, s.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(s.done)
		t := time.NewTicker(every / 2)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				s.mu.Lock()
				if time.Since(s.last) >= every {
					s.writeLocked(keepAliveComment)
				}
				s.mu.Unlock()
			}
		}
	}()
}

// close stops the keep-alive ticker and clears the write deadline, so the connection can serve
// its next request.
func (s *streamWriter) close() {
	if s.stop != nil {
		close(s.stop)
		<-s.done
		s.stop = nil
	}
	s.rc.SetWriteDeadline(time.Time{})
}
