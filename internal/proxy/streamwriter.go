package proxy

import (
	"net/http"
	"sync"
	"time"
)

const (
	// writeTimeout bounds each write to a streaming client: a reader that stops reading
	// (TCP window 0) is cut off after it, and only it. The deadline is moved forward at most
	// once per deadlineSlack, so a stalled write is cut off between writeTimeout−deadlineSlack
	// and writeTimeout after it started.
	writeTimeout  = 30 * time.Second
	deadlineSlack = time.Second
	// defaultKeepAlive is the longest gap after commit before a ": keep-alive" comment is sent.
	defaultKeepAlive = 15 * time.Second
)

var keepAliveComment = []byte(": keep-alive\n\n")

// streamWriter serialises writes to a committed stream: the event loop's and the keep-alive
// timer's. Writes are flushed (write) or left buffered for the next flush when more events are
// already waiting (writeBuffered); the first error sticks. No goroutine is held per stream: the
// keep-alive is a timer that fires only when the stream has been quiet.
type streamWriter struct {
	mu       sync.Mutex
	w        http.ResponseWriter
	rc       *http.ResponseController
	last     time.Time // last flush
	deadline time.Time // when the write deadline was last set; zero: none set
	pending  bool      // written but not flushed
	err      error
	every    time.Duration // keep-alive interval; 0 until keepAlive
	timer    *time.Timer
	closed   bool
}

func newStreamWriter(w http.ResponseWriter) *streamWriter {
	return &streamWriter{w: w, rc: http.NewResponseController(w), last: time.Now()}
}

// write sends b (if any) and flushes it with everything buffered before it.
func (s *streamWriter) write(b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writeLocked(b, true)
}

// writeBuffered sends b without flushing: the caller knows another event follows at once and
// will flush it (coalescing events that arrived together into one flush).
func (s *streamWriter) writeBuffered(b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writeLocked(b, false)
}

func (s *streamWriter) writeLocked(b []byte, flush bool) error {
	if s.err != nil {
		return s.err
	}
	now := time.Now()
	if now.Sub(s.deadline) >= deadlineSlack {
		s.rc.SetWriteDeadline(now.Add(writeTimeout))
		s.deadline = now
	}
	if len(b) > 0 {
		if _, s.err = s.w.Write(b); s.err != nil {
			return s.err
		}
		s.pending = true
	}
	if flush && s.pending {
		s.err = s.rc.Flush()
		s.pending = false
		s.last = now
	}
	return s.err
}

// keepAlive writes a comment whenever nothing was flushed for every, from now on; close stops it.
func (s *streamWriter) keepAlive(every time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.every = every
	s.timer = time.AfterFunc(every, s.tick)
}

// tick runs on the keep-alive timer: a comment if the stream has been quiet for every, then
// the timer is set for every after the last flush.
func (s *streamWriter) tick() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.err != nil {
		return
	}
	if time.Since(s.last) >= s.every {
		s.writeLocked(keepAliveComment, true)
	}
	s.timer.Reset(max(time.Until(s.last.Add(s.every)), time.Millisecond))
}

// close stops the keep-alive, flushes what is buffered and clears the write deadline, so the
// connection can serve its next request. A tick already running finishes first; none writes
// after close.
func (s *streamWriter) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.timer != nil {
		s.timer.Stop()
	}
	if s.pending && s.err == nil {
		s.err = s.rc.Flush()
		s.pending = false
	}
	if !s.deadline.IsZero() {
		s.rc.SetWriteDeadline(time.Time{})
	}
}
