// Command fakellm is a standalone fake LLM upstream for benchmarks: it serves
// internal/fake's Handler (OpenAI, Azure OpenAI and Anthropic wire formats) over HTTP.
//
//	fakellm [--host 127.0.0.1] [--port 8090] [--latency 0s] [--chunks 20] [--chunk-gap 0s]
//	        [--output-tokens N] [--fail-rate 0] [--fail-status 500] [--name fakellm]
//
// Once listening it prints exactly one line, "fakellm listening on http://HOST:PORT", with
// the real port when --port 0 asked for a free one. It logs nothing per request, keeps no
// request records, and exits cleanly within a second of SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/switchyard/switchyard/internal/fake"
)

// shutdownGrace bounds how long in-flight requests may take to end after a stop signal.
const shutdownGrace = 900 * time.Millisecond

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case err != nil:
		fmt.Fprintln(os.Stderr, "fakellm:", err)
		os.Exit(1)
	}
}

// config is the parsed command line.
type config struct {
	host string
	port int
	opts fake.Options
}

// parseArgs parses the command line; usage and flag errors go to stderr.
func parseArgs(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("fakellm", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.host, "host", "127.0.0.1", "address to listen on")
	fs.IntVar(&c.port, "port", 8090, "TCP port to listen on (0 picks a free one)")
	fs.DurationVar(&c.opts.Latency, "latency", 0, "time before the answer / first chunk, e.g. 50ms")
	fs.IntVar(&c.opts.Chunks, "chunks", 20, "content chunks per stream")
	fs.DurationVar(&c.opts.ChunkGap, "chunk-gap", 0, "pause between content chunks, e.g. 5ms")
	fs.IntVar(&c.opts.OutputTokens, "output-tokens", 0, "completion tokens per answer (0: chunks for streams, 10 otherwise)")
	fs.Float64Var(&c.opts.FailRate, "fail-rate", 0, "fraction (0..1) of requests answered with --fail-status")
	fs.IntVar(&c.opts.FailStatus, "fail-status", 500, "HTTP status of injected failures (400..599)")
	fs.StringVar(&c.opts.Name, "name", "fakellm", "name reported in x-fake-name and system_fingerprint")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	switch {
	case fs.NArg() > 0:
		return c, fmt.Errorf("unexpected arguments: %q", fs.Args())
	case c.port < 0 || c.port > 65535:
		return c, fmt.Errorf("--port %d: want 0..65535", c.port)
	case c.opts.Latency < 0 || c.opts.ChunkGap < 0:
		return c, errors.New("--latency and --chunk-gap must not be negative")
	case c.opts.Chunks < 1:
		return c, fmt.Errorf("--chunks %d: want at least 1", c.opts.Chunks)
	case c.opts.OutputTokens < 0:
		return c, fmt.Errorf("--output-tokens %d: want 0 or more", c.opts.OutputTokens)
	case !(c.opts.FailRate >= 0 && c.opts.FailRate <= 1):
		return c, fmt.Errorf("--fail-rate %v: want 0..1", c.opts.FailRate)
	case c.opts.FailStatus < 400 || c.opts.FailStatus > 599:
		return c, fmt.Errorf("--fail-status %d: want 400..599", c.opts.FailStatus)
	}
	c.opts.RecordLimit = -1 // a load generator's requests are not worth keeping
	return c, nil
}

// run serves the fake until ctx is done, then shuts down within about a second. It prints the
// listening line to stdout once the socket is bound.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseArgs(args, stderr)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(c.host, strconv.Itoa(c.port)))
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           fake.NewHandler(c.opts),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          log.New(stderr, "fakellm: ", 0),
		// Requests end with ctx, so a stop signal cuts long streams short instead of
		// waiting for them.
		BaseContext: func(net.Listener) context.Context { return ctx },
	}
	if _, err := fmt.Fprintf(stdout, "fakellm listening on http://%s\n", ln.Addr()); err != nil {
		ln.Close()
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
