package fake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// Transport returns an http.RoundTripper that serves each request with h in-process: no
// sockets, no TLS, no connection pool. It is what the gateway's fake/ provider calls in demo
// mode, and it works with any http.Handler.
//
// RoundTrip runs h in its own goroutine and returns as soon as h commits its response (first
// WriteHeader with a final status, first Write, or Flush), or when h returns. The response
// body is a pipe: every Write of h reaches the reader as is, so a stream arrives chunk by chunk
// while h is still running, and a Write blocks until the reader has taken it.
//
// Invariants:
//   - Cancelling the request's context cancels h's request context, makes h's further writes
//     fail and makes body reads return the context's error; RoundTrip returns that error if h
//     had not committed yet.
//   - Closing the response body before h is done cancels h's request context (like a client
//     hanging up) and makes h's further writes fail, so h's goroutine can end.
//   - A panic in h never crashes the process: before the commit RoundTrip returns it as an
//     error, after it the body's next read returns it.
//   - The request body is closed once h returns.
func Transport(h http.Handler) http.RoundTripper { return &transport{h: h} }

// transport is the RoundTripper returned by Transport.
type transport struct{ h http.Handler }

// result is what RoundTrip waits for: a committed response or a failure before the commit.
type result struct {
	resp *http.Response
	err  error
}

// RoundTrip implements http.RoundTripper.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	parent := req.Context()
	if req.URL == nil {
		closeBody(req)
		return nil, errors.New("fake: request has no URL")
	}
	if err := parent.Err(); err != nil {
		closeBody(req)
		return nil, err
	}
	ctx, cancel := context.WithCancel(parent)
	pr, pw := io.Pipe()
	w := &pipeWriter{
		req:    req,
		ctx:    ctx,
		header: make(http.Header),
		pw:     pw,
		body:   &pipeBody{pr: pr, cancel: cancel},
		ready:  make(chan result, 1),
	}
	stopAbort := context.AfterFunc(ctx, func() { pw.CloseWithError(context.Cause(ctx)) })
	sreq := serverRequest(ctx, req)
	go func() {
		var panicErr error
		defer func() {
			if v := recover(); v != nil {
				panicErr = fmt.Errorf("fake: handler panic: %v", v)
			}
			stopAbort()
			w.finish(panicErr)
			closeBody(req)
			cancel()
		}()
		t.h.ServeHTTP(w, sreq)
	}()
	select {
	case res := <-w.ready:
		return res.resp, res.err
	case <-parent.Done():
		pr.CloseWithError(parent.Err())
		return nil, parent.Err()
	}
}

// serverRequest turns a client request into what a server handler would receive.
func serverRequest(ctx context.Context, req *http.Request) *http.Request {
	r := req.Clone(ctx)
	r.RequestURI = req.URL.RequestURI()
	if r.Host == "" {
		r.Host = req.URL.Host
	}
	if r.Body == nil {
		r.Body = http.NoBody
	}
	r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/1.1", 1, 1
	r.RemoteAddr = "127.0.0.1:0"
	r.GetBody = nil
	r.Close = false
	return r
}

// closeBody closes req's body, if any.
func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

// pipeBody is the response body: the read end of the pipe. Close also cancels the handler's
// request context.
type pipeBody struct {
	pr     *io.PipeReader
	cancel context.CancelFunc
}

// Read implements io.Reader.
func (b *pipeBody) Read(p []byte) (int, error) { return b.pr.Read(p) }

// Close implements io.Closer; it never fails.
func (b *pipeBody) Close() error {
	_ = b.pr.Close()
	b.cancel()
	return nil
}

// pipeWriter is the http.ResponseWriter (and http.Flusher) handed to the handler. Only the
// handler goroutine calls its methods.
type pipeWriter struct {
	req       *http.Request
	ctx       context.Context // the handler's request context
	header    http.Header
	pw        *io.PipeWriter
	body      *pipeBody
	ready     chan result // receives exactly one result
	committed bool
	noBody    bool // HEAD, 204 or 304: writes fail with http.ErrBodyNotAllowed
}

// Header implements http.ResponseWriter; changes after the commit have no effect.
func (w *pipeWriter) Header() http.Header { return w.header }

// WriteHeader implements http.ResponseWriter. Informational codes other than 101 are
// dropped; a second final code is ignored; a code outside 100..999 panics, as in net/http.
func (w *pipeWriter) WriteHeader(code int) {
	if code < 100 || code > 999 {
		panic("fake: invalid WriteHeader code " + strconv.Itoa(code))
	}
	if w.committed || (code < 200 && code != http.StatusSwitchingProtocols) {
		return
	}
	w.commit(code)
}

// Write implements http.ResponseWriter; it commits a 200 first if needed (sniffing a
// Content-Type when none is set) and returns once the reader has taken p.
func (w *pipeWriter) Write(p []byte) (int, error) {
	if !w.committed {
		if w.header.Get("Content-Type") == "" && len(p) > 0 {
			w.header.Set("Content-Type", http.DetectContentType(p))
		}
		w.commit(http.StatusOK)
	}
	if w.noBody {
		return 0, http.ErrBodyNotAllowed
	}
	if err := w.ctx.Err(); err != nil {
		return 0, err // the pipe is closing too, but a handler that saw ctx end must fail now
	}
	if len(p) == 0 {
		return 0, nil
	}
	return w.pw.Write(p)
}

// Flush implements http.Flusher: it commits the headers; written bytes are never buffered.
func (w *pipeWriter) Flush() {
	if !w.committed {
		w.commit(http.StatusOK)
	}
}

// commit hands the response to RoundTrip.
func (w *pipeWriter) commit(code int) {
	w.committed = true
	w.noBody = w.req.Method == http.MethodHead || code == http.StatusNoContent || code == http.StatusNotModified
	h := w.header.Clone()
	cl := int64(-1)
	if v := h.Get("Content-Length"); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
			cl = n
		}
	}
	if w.noBody {
		cl = 0
	}
	w.ready <- result{resp: &http.Response{
		Status:        strconv.Itoa(code) + " " + http.StatusText(code),
		StatusCode:    code,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          w.body,
		ContentLength: cl,
		Request:       w.req,
	}}
}

// finish runs when the handler has returned (or panicked with panicErr): it commits an empty
// 200 if nothing was written, or reports the panic, and ends the body: EOF after a normal
// return, the panic or the context's error otherwise.
func (w *pipeWriter) finish(panicErr error) {
	if panicErr != nil {
		if !w.committed {
			w.committed = true
			w.ready <- result{err: panicErr}
		}
		w.pw.CloseWithError(panicErr)
		return
	}
	if !w.committed {
		w.commit(http.StatusOK)
	}
	if w.ctx.Err() != nil {
		// Cancelled: the reader must see an error, never a clean end of a cut-short body.
		w.pw.CloseWithError(context.Cause(w.ctx))
		return
	}
	_ = w.pw.Close()
}
