package logging

import (
	"bytes"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

type lockedBuffer struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.writes++
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestWriterFlushesWithinInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		out := &lockedBuffer{}
		log, _ := New(out, Options{})
		log.Info("first")
		log.Info("second")
		synctest.Wait()
		if out.String() != "" {
			t.Fatalf("written before the flush interval: %q", out.String())
		}
		time.Sleep(FlushInterval)
		synctest.Wait()
		if got := out.String(); !strings.Contains(got, "msg=first") || !strings.Contains(got, "msg=second") {
			t.Fatalf("after %v: got %q, want both lines", FlushInterval, got)
		}
		if out.writes != 1 {
			t.Errorf("%d writes to the underlying writer, want 1 for two lines", out.writes)
		}
	})
}

func TestWriterFlushesWhenFullAndOnClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		out := &lockedBuffer{}
		w := NewWriter(out)
		line := []byte(strings.Repeat("x", 1000) + "\n")
		n := 0
		for ; (n+1)*len(line) <= BufferSize; n++ {
			w.Write(line)
		}
		if out.String() != "" {
			t.Fatalf("flushed before the buffer was full")
		}
		w.Write(line) // does not fit: the buffer goes out first
		if got := len(out.String()); got != n*len(line) {
			t.Fatalf("after overflow: %d bytes written, want %d", got, n*len(line))
		}
		big := bytes.Repeat([]byte("y"), BufferSize+1)
		w.Write(big) // larger than the buffer: written through, after what was buffered
		if !strings.HasSuffix(out.String(), string(big)) {
			t.Fatalf("a write larger than the buffer was not written through in order")
		}
		w.Write([]byte("last\n"))
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(out.String(), "last\n") {
			t.Fatalf("Close did not flush")
		}
		if !strings.Contains(out.String(), string(line)+string(big)) {
			t.Fatalf("lines out of order")
		}
	})
}

func TestJSONAndDebug(t *testing.T) {
	out := &lockedBuffer{}
	log, w := New(out, Options{JSON: true, Debug: true})
	log.Debug("dbg", "k", 1)
	w.Close()
	if got := out.String(); !strings.HasPrefix(got, `{"time":`) || !strings.Contains(got, `"level":"DEBUG","msg":"dbg","k":1`) {
		t.Errorf("got %q, want a JSON debug line", got)
	}
	out = &lockedBuffer{}
	log, w = New(out, Options{})
	log.Debug("dbg")
	log.Info("info")
	w.Close()
	if got := out.String(); strings.Contains(got, "dbg") || !strings.Contains(got, "level=INFO msg=info") {
		t.Errorf("got %q, want the info text line only", got)
	}
}

// BenchmarkAccessLog writes one access-like line per op from 32 goroutines to a file, straight
// through slog's handler (one write(2) per line) and through Writer.
func BenchmarkAccessLog(b *testing.B) {
	for _, buffered := range []bool{false, true} {
		name := "direct"
		if buffered {
			name = "buffered"
		}
		b.Run(name, func(b *testing.B) {
			f, err := os.CreateTemp(b.TempDir(), "log")
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			var log *slog.Logger
			var w *Writer
			if buffered {
				log, w = New(f, Options{})
			} else {
				log = slog.New(Handler(f, Options{}))
			}
			b.SetParallelism(16)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					log.LogAttrs(b.Context(), slog.LevelInfo, "request",
						slog.String("call_id", "0b6c1a44-9f5e-4c1f-a7a0-0e9e7d7f3b21"), slog.String("path", "/v1/chat/completions"),
						slog.Int("status", 200), slog.Float64("latency_ms", 12.345), slog.String("model_group", "gpt-4o"),
						slog.String("deployment", "8c5e1f0a"), slog.Int("attempts", 1), slog.Int("prompt_tokens", 12),
						slog.Int("completion_tokens", 10))
				}
			})
			if w != nil {
				w.Close()
			}
		})
	}
}
