package proxy

import (
	"errors"
	"io"
	"sync"
	"sync/atomic"
)

const (
	// minPooledBody is the smallest patched request body taken from the pool (4 KiB): below
	// it the bookkeeping costs more than the allocation it saves.
	minPooledBody = 4 << 10
	// maxPooled is the largest buffer put back in the pool (1 MiB): a rare huge answer does
	// not stay resident.
	maxPooled = 1 << 20
)

// bufPool recycles the buffers of upstream answers and large request bodies (*[]byte).
var bufPool sync.Pool

// getBuf returns an empty pooled buffer with room for at least n bytes.
func getBuf(n int) *[]byte {
	if v, ok := bufPool.Get().(*[]byte); ok {
		if cap(*v) >= n {
			*v = (*v)[:0]
			return v
		}
		bufPool.Put(v)
	}
	b := make([]byte, 0, max(n, 4<<10))
	return &b
}

// putBuf returns b to the pool; nothing may use it afterwards.
func putBuf(b *[]byte) {
	if cap(*b) <= maxPooled {
		bufPool.Put(b)
	}
}

// errTooLarge is returned by readAnswer for an answer over its limit.
var errTooLarge = errors.New("answer too large")

// readAnswer reads r to EOF into a pooled buffer (size is a hint, e.g. Content-Length; -1 when
// unknown). More than limit bytes is errTooLarge. The caller puts the buffer back with putBuf
// once done with it, also on error.
func readAnswer(r io.Reader, size int64, limit int) (*[]byte, error) {
	hint := 4 << 10
	if size > 0 && size <= int64(limit) {
		hint = int(size) + 1 // room to see EOF without growing
	}
	bp := getBuf(hint)
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
		putBuf(s.buf)
	}
}

// track makes the request body rc (and any later GetBody copy) hold a reference until closed.
func (s *sharedBody) track(rc io.ReadCloser) io.ReadCloser {
	s.refs.Add(1)
	return &trackedBody{ReadCloser: rc, s: s}
}

type trackedBody struct {
	io.ReadCloser
	s      *sharedBody
	closed atomic.Bool
}

func (t *trackedBody) Close() error {
	err := t.ReadCloser.Close()
	if t.closed.CompareAndSwap(false, true) {
		t.s.release()
	}
	return err
}
