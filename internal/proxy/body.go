package proxy

import (
	"bytes"
	"errors"
	"io"
	"sync/atomic"

	"github.com/switchyard/switchyard/internal/bufpool"
)

// errTooLarge is returned by readAnswer for an answer over its limit.
var errTooLarge = errors.New("answer too large")

// readAnswer reads r to EOF into a pooled buffer (size is a hint, e.g. Content-Length; -1 when
// unknown). More than limit bytes is errTooLarge. The caller puts the buffer back with bufpool.Put
// once done with it, also on error.
func readAnswer(r io.Reader, size int64, limit int) (*[]byte, error) {
	hint := 4 << 10
	if size > 0 && size <= int64(limit) {
		hint = int(size) + 1 // room to see EOF without growing
	}
	bp := bufpool.Get(hint)
	b := *bp
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if len(b) > limit {
			*bp = b
			return bp, errTooLarge
		}
		if err == io.EOF {
			*bp = b
			return bp, nil
		}
		if err != nil {
			*bp = b
			return bp, err
		}
	}
}

// sharedBody is a pooled request body that the transport may still read after RoundTrip
// returns (it writes the body from another goroutine, and may call GetBody to resend it). The
// buffer goes back to the pool when every holder let go: the attempt (release) and each body
// the transport was given (on its Close).
type sharedBody struct {
	buf  *[]byte
	refs atomic.Int32
}

func newSharedBody(buf *[]byte) *sharedBody {
	s := &sharedBody{buf: buf}
	s.refs.Store(1)
	return s
}

func (s *sharedBody) release() {
	if s.refs.Add(-1) == 0 {
		bufpool.Put(s.buf)
	}
}

// track makes the request body rc (and any later GetBody copy) hold a reference until closed.
func (s *sharedBody) track(rc io.ReadCloser) io.ReadCloser {
	s.refs.Add(1)
	return &trackedBody{ReadCloser: rc, s: s}
}

// reader returns a tracked reader of b, for a request whose body is b byte for byte. Unlike a
// tracked http.NewRequest body, its length shows, so the upstream connection writes it at once
// (see trackedBody.Len).
func (s *sharedBody) reader(b []byte) io.ReadCloser {
	return s.track(memReader{bytes.NewReader(b)})
}

// memReader is a *bytes.Reader with a no-op Close.
type memReader struct{ *bytes.Reader }

func (memReader) Close() error { return nil }

type trackedBody struct {
	io.ReadCloser
	s      *sharedBody
	closed atomic.Bool
}

// Len is the unread length of an in-memory body (a memReader), else -1: with WriteTo it lets
// the upstream connection write the body at once (provider's bodyConn).
func (t *trackedBody) Len() int {
	if l, ok := t.ReadCloser.(interface{ Len() int }); ok {
		return l.Len()
	}
	return -1
}

// WriteTo writes the rest of the body to w, through the body's own WriteTo when it has one.
func (t *trackedBody) WriteTo(w io.Writer) (int64, error) {
	if wt, ok := t.ReadCloser.(io.WriterTo); ok {
		return wt.WriteTo(w)
	}
	return io.Copy(w, struct{ io.Reader }{t.ReadCloser})
}

func (t *trackedBody) Close() error {
	err := t.ReadCloser.Close()
	if t.closed.CompareAndSwap(false, true) {
		t.s.release()
	}
	return err
}
