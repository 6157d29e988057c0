// Package logging builds Switchyard's slog logger: text or JSON lines, info or debug level,
// written through a buffer so a busy gateway does not make one write(2) per access line.
package logging

import (
	"io"
	"log/slog"
	"sync"
	"time"
)

// Defaults of the buffered writer.
const (
	// FlushInterval is the longest a log line waits in the buffer (100 ms).
	FlushInterval = 100 * time.Millisecond
	// BufferSize is the buffer's size; a write that fills it flushes at once (64 KiB).
	BufferSize = 64 << 10
)

// Options choose the logger's format and level.
type Options struct {
	// JSON selects JSON lines (--json-logs, litellm_settings.json_logs); else logfmt-like text.
	JSON bool
	// Debug lowers the level to debug (--debug, --detailed_debug, litellm_settings.set_verbose).
	Debug bool
}

// New returns a logger writing to w through a Writer; call the Writer's Close (or Flush) before
// the process exits so nothing is lost.
func New(w io.Writer, o Options) (*slog.Logger, *Writer) {
	bw := NewWriter(w)
	return slog.New(Handler(bw, o)), bw
}

// Handler returns the slog handler New uses, writing to w.
func Handler(w io.Writer, o Options) slog.Handler {
	ho := &slog.HandlerOptions{Level: slog.LevelInfo}
	if o.Debug {
		ho.Level = slog.LevelDebug
	}
	if o.JSON {
		return slog.NewJSONHandler(w, ho)
	}
	return newTextHandler(w, ho.Level)
}

// Writer buffers writes to an underlying writer and flushes them at most FlushInterval after
// the first buffered byte, at once when the buffer would overflow, and on Flush and Close. A
// Write is kept whole (slog writes one record per call, so lines never interleave). It holds
// no goroutine while idle. Safe for concurrent use.
type Writer struct {
	mu    sync.Mutex
	w     io.Writer
	buf   []byte
	timer *time.Timer // armed while buf is not empty
	err   error       // the first write error, reported by Flush
}

// NewWriter returns a Writer over w.
func NewWriter(w io.Writer) *Writer {
	bw := &Writer{w: w, buf: make([]byte, 0, BufferSize)}
	bw.timer = time.AfterFunc(time.Hour, func() { bw.Flush() })
	bw.timer.Stop()
	return bw
}

// Write buffers p (or, when p does not fit, flushes and writes through). It never fails: an
// error of the underlying writer is kept for Flush to report, as a logger has no one to tell.
func (bw *Writer) Write(p []byte) (int, error) {
	bw.mu.Lock()
	defer bw.mu.Unlock()
	if len(bw.buf)+len(p) > cap(bw.buf) {
		bw.flushLocked()
		if len(p) > cap(bw.buf) {
			bw.write(p)
			return len(p), nil
		}
	}
	if len(bw.buf) == 0 {
		bw.timer.Reset(FlushInterval)
	}
	bw.buf = append(bw.buf, p...)
	return len(p), nil
}

// Flush writes out what is buffered and returns the first write error seen so far.
func (bw *Writer) Flush() error {
	bw.mu.Lock()
	defer bw.mu.Unlock()
	bw.flushLocked()
	return bw.err
}

// Close flushes; later writes are still accepted and flushed by the timer.
func (bw *Writer) Close() error { return bw.Flush() }

func (bw *Writer) flushLocked() {
	bw.timer.Stop()
	if len(bw.buf) == 0 {
		return
	}
	bw.write(bw.buf)
	bw.buf = bw.buf[:0]
}

func (bw *Writer) write(p []byte) {
	if _, err := bw.w.Write(p); err != nil && bw.err == nil {
		bw.err = err
	}
}
