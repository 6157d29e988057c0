package provider

import (
	"context"
	"io"
	"net"
)

// memBody is what bodyConn writes at once: a request body in memory, such as the *bytes.Reader
// of http.NewRequest (net/http unwraps its NopCloser), whose Len is its unread length (-1: not
// known).
type memBody interface {
	io.WriterTo
	Len() int
}

// bodyConn is an upstream connection. net/http writes a request body of known length past its
// 4 KiB buffer as io.LimitReader(body, ContentLength) through the connection's ReadFrom, which
// for a plain TCP connection copies it through a fresh buffer of up to 32 KiB per request; for
// a memBody that fits the limit, ReadFrom writes it directly, in one write.
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
