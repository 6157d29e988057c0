package provider

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
)

// Body is a request body held in memory. Upstream connections dialled by Transports write its
// unread bytes to the socket in one write (see bodyConn.ReadFrom), where net/http would copy
// them through a fresh buffer of up to 32 KiB per request.
type Body struct{ bytes.Reader }

// Close implements io.Closer; there is nothing to release.
func (*Body) Close() error { return nil }

// SetBody makes b the body of req (with ContentLength and GetBody for a resend). b is not
// copied: it must stay unchanged until the transport has closed every body it was given.
func SetBody(req *http.Request, b []byte) {
	req.ContentLength = int64(len(b))
	if len(b) == 0 {
		req.Body, req.GetBody = http.NoBody, func() (io.ReadCloser, error) { return http.NoBody, nil }
		return
	}
	req.Body = newBody(b)
	req.GetBody = func() (io.ReadCloser, error) { return newBody(b), nil }
}

func newBody(b []byte) *Body {
	body := &Body{}
	body.Reset(b)
	return body
}

// memBody is what bodyConn writes at once: an in-memory body (a *Body, or a wrapper of one
// whose Len is its unread length, or -1 when it does not know).
type memBody interface {
	io.WriterTo
	Len() int
}

// bodyConn is an upstream connection. net/http writes a request body of known length as
// io.LimitReader(body, ContentLength) through the connection's ReadFrom: for a memBody that
// fits the limit, ReadFrom writes it directly.
type bodyConn struct{ net.Conn }

// ReadFrom implements io.ReaderFrom.
func (c bodyConn) ReadFrom(r io.Reader) (int64, error) {
	if lr, ok := r.(*io.LimitedReader); ok {
		if b, ok := lr.R.(memBody); ok {
			if n := b.Len(); n >= 0 && int64(n) <= lr.N {
				written, err := b.WriteTo(c.Conn)
				lr.N -= written
				return written, err
			}
		}
	}
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}

// dialBodyConn dials with d and wraps the connection in a bodyConn.
func dialBodyConn(d *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return bodyConn{c}, nil
	}
}
