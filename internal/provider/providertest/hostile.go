package providertest

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"

	"github.com/switchyard/switchyard/internal/provider"
)

// Drain reads src until an error or at most max events, failing t if an event breaks the
// EventSource contract: Raw must be "data: " + Data + "\n\n", Data a JSON object or [DONE],
// nothing but io.EOF after [DONE]. For fuzz targets: any input may end in an error, none may
// panic or break the framing.
func Drain(t testing.TB, src provider.EventSource, max int) {
	t.Helper()
	for i := 0; i < max; i++ {
		ev, err := src.Next()
		if err != nil {
			return
		}
		if !bytes.Equal(ev.Raw, append(append([]byte("data: "), ev.Data...), "\n\n"...)) {
			t.Fatalf("event Raw %q does not frame Data %q", ev.Raw, ev.Data)
		}
		if ev.Done {
			if _, err := src.Next(); err != io.EOF {
				t.Fatalf("after [DONE]: got %v, want io.EOF", err)
			}
			return
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(ev.Data, &obj); err != nil {
			t.Fatalf("event data is not a JSON object (%v): %q", err, ev.Data)
		}
	}
}

// Endless is a reader of an endless stream: Prefix, then Fill repeated forever. It counts the
// bytes read, so a test can check a decoder gives up within its bound.
type Endless struct {
	Prefix []byte
	Fill   byte
	// N is the number of bytes read so far.
	N int64
}

// Read implements io.Reader.
func (e *Endless) Read(p []byte) (int, error) {
	n := copy(p, e.Prefix)
	e.Prefix = e.Prefix[n:]
	for i := n; i < len(p); i++ {
		p[i] = e.Fill
	}
	e.N += int64(len(p))
	return len(p), nil
}

// Bounded fails t unless src gives up with an error on an endless input (r) after reading at
// most limit bytes (plus read-ahead slack of 64 KiB).
func Bounded(t testing.TB, src provider.EventSource, r *Endless, limit int64) {
	t.Helper()
	for i := 0; i < 100; i++ {
		if _, err := src.Next(); err != nil {
			if r.N > limit+64<<10 {
				t.Errorf("read %d bytes before giving up, want at most %d", r.N, limit+64<<10)
			}
			return
		}
	}
	t.Errorf("no error after 100 events of an endless input (%d bytes read)", r.N)
}
