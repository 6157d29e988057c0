package proxy

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/switchyard/switchyard/internal/bufpool"
)

func TestReadAnswer(t *testing.T) {
	long := strings.Repeat("x", 10_000)
	for _, tc := range []struct {
		name    string
		r       io.Reader
		size    int64
		limit   int
		want    string
		wantErr error
	}{
		{"known size", strings.NewReader(long), int64(len(long)), 1 << 20, long, nil},
		{"unknown size, grows", iotest.OneByteReader(strings.NewReader(long)), -1, 1 << 20, long, nil},
		{"wrong size hint", strings.NewReader(long), 3, 1 << 20, long, nil},
		{"empty", strings.NewReader(""), 0, 10, "", nil},
		{"exactly the limit", strings.NewReader("0123456789"), -1, 10, "0123456789", nil},
		{"over the limit", strings.NewReader("0123456789x"), -1, 10, "", errTooLarge},
		{"read error", iotest.ErrReader(io.ErrUnexpectedEOF), -1, 10, "", io.ErrUnexpectedEOF},
	} {
		buf, err := readAnswer(tc.r, tc.size, tc.limit)
		if !errors.Is(err, tc.wantErr) {
			t.Errorf("%s: err %v, want %v", tc.name, err, tc.wantErr)
		} else if err == nil && string(*buf) != tc.want {
			t.Errorf("%s: read %d bytes, want %d", tc.name, len(*buf), len(tc.want))
		}
		bufpool.Put(buf)
	}
}

// The pooled request body stays out of the pool until the attempt and every body the
// transport was given have let go of it.
func TestSharedBodyReleasesLast(t *testing.T) {
	buf := bufpool.Get(bufpool.MinPooled)
	*buf = append(*buf, "payload"...)
	s := newSharedBody(buf)
	body := s.track(io.NopCloser(bytes.NewReader(*buf)))
	again := s.track(io.NopCloser(bytes.NewReader(*buf))) // as GetBody would
	s.release()                                           // the attempt is done
	if got := s.refs.Load(); got != 2 {
		t.Fatalf("refs after the attempt let go = %d, want 2 (two bodies open)", got)
	}
	body.Close()
	body.Close() // a second Close does not release twice
	if got := s.refs.Load(); got != 1 {
		t.Fatalf("refs after one body closed (twice) = %d, want 1", got)
	}
	if b, _ := io.ReadAll(again); string(b) != "payload" {
		t.Fatalf("open body reads %q", b)
	}
	again.Close()
	if got := s.refs.Load(); got != 0 {
		t.Fatalf("refs after all let go = %d, want 0", got)
	}
}

// A tracked reader of the request bytes shows the upstream connection its unread length, so
// the connection can write it at once; a tracked opaque body does not.
func TestTrackedReaderShowsLength(t *testing.T) {
	buf := bufpool.Get(bufpool.MinPooled)
	*buf = append(*buf, "0123456789"...)
	s := newSharedBody(buf)
	r := s.reader(*buf).(*trackedBody)
	if r.Len() != 10 {
		t.Fatalf("Len = %d, want 10", r.Len())
	}
	io.ReadFull(r, make([]byte, 4))
	var out bytes.Buffer
	if n, err := r.WriteTo(&out); n != 6 || err != nil || out.String() != "456789" || r.Len() != 0 {
		t.Fatalf("WriteTo after 4 read = %d, %v, %q; Len %d", n, err, out.String(), r.Len())
	}
	opaque := s.track(io.NopCloser(strings.NewReader("x")))
	if l := opaque.(*trackedBody).Len(); l != -1 {
		t.Fatalf("opaque body Len = %d, want -1", l)
	}
	r.Close()
	opaque.Close()
	s.release()
	if got := s.refs.Load(); got != 0 {
		t.Fatalf("refs after all let go = %d, want 0", got)
	}
}
