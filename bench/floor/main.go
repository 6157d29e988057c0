// Command floor is the benchmark's floor: a plain net/http/httputil.ReverseProxy in front of
// one upstream, tuned as a careful engineer would tune it, so the gateway's costs can be
// read against the least any Go proxy must pay.
//
//	floor --upstream http://127.0.0.1:PORT [--host 127.0.0.1] [--port 0] [--conns 1024]
//
// Once listening it prints "floor listening on http://HOST:PORT". It stops on SIGINT or
// SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"
)

func main() {
	upstream := flag.String("upstream", "", "base URL of the upstream, e.g. http://127.0.0.1:8090")
	host := flag.String("host", "127.0.0.1", "address to listen on")
	port := flag.Int("port", 0, "TCP port to listen on (0 picks a free one)")
	conns := flag.Int("conns", 1024, "idle keep-alive connections kept to the upstream (≥ the benchmark's concurrency)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *upstream, net.JoinHostPort(*host, strconv.Itoa(*port)), *conns); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

// run serves the proxy on addr until ctx is done.
func run(ctx context.Context, upstream, addr string, conns int) error {
	target, err := url.Parse(upstream)
	if err != nil || target.Scheme == "" || target.Host == "" {
		return fmt.Errorf("--upstream %q: want an absolute http URL", upstream)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           fullDuplex(newProxy(target, conns)),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	fmt.Printf("floor listening on http://%s\n", ln.Addr())
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}

// newProxy returns a ReverseProxy to target with a keep-alive pool of conns connections,
// HTTP/1.1 only (the upstream speaks nothing else), no compression negotiation, pooled copy
// buffers, and a flush after every write so streams pass through as they arrive.
func newProxy(target *url.URL, conns int) *httputil.ReverseProxy {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   false,
		DisableCompression:  true,
	}
	return &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Header.Del("Authorization") // like a gateway: the client's key stays here
		},
		Transport:     tr,
		FlushInterval: -1,
		BufferPool:    &bufferPool{pool: sync.Pool{New: func() any { return make([]byte, 32<<10) }}},
		ErrorLog:      log.New(os.Stderr, "floor: ", log.Lmicroseconds),
	}
}

// fullDuplex lets h keep reading the request body after the response has started. Without
// it, the server closes the body when the upstream's headers are relayed, and the Transport's
// final read of that body (checking it is not longer than declared) can then tear down the
// upstream connection mid-stream (golang/go#40747): streams cut with "unexpected EOF".
func fullDuplex(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = http.NewResponseController(w).EnableFullDuplex()
		h.ServeHTTP(w, r)
	})
}

// bufferPool recycles ReverseProxy's copy buffers.
type bufferPool struct{ pool sync.Pool }

func (b *bufferPool) Get() []byte  { return b.pool.Get().([]byte) }
func (b *bufferPool) Put(p []byte) { b.pool.Put(p) }
