package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/switchyard/switchyard/internal/proxy"
)

// cutoffGrace is how long handlers whose context was cancelled at the drain deadline get to
// write their stream's error event before the connections are closed.
const cutoffGrace = time.Second

// Serve accepts connections on ln until ctx is done, then drains (DESIGN.md promise 11):
//
//  1. readiness answers 503 {"status":"draining"} at once;
//  2. after ShutdownDelay the listener closes (new connections are refused) and idle
//     keep-alive connections are closed;
//  3. in-flight requests and streams run to their end, for up to DrainTimeout;
//  4. past that, every request's context is cancelled with cause proxy.ErrShutdown (a
//     committed stream then ends with an error event, never a clean end), the handlers get
//     about a second to write it, and every connection is closed.
//
// An idle server returns within milliseconds of ctx ending. Serve returns nil after a drain,
// whether or not requests were cut off (the log says how many); an error only when the
// listener fails. No global write timeout is set: streams are long-lived.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	root, cut := context.WithCancelCause(context.Background())
	defer cut(context.Canceled)
	hs := &http.Server{
		Handler:           s.root,
		ReadHeaderTimeout: s.opts.ReadHeaderTimeout,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		BaseContext:       func(net.Listener) context.Context { return root },
	}
	if s.opts.Demo {
		go s.demoWarnings(ctx)
	}
	// Background health checks (health.go); they end with ctx, and Serve waits for them.
	hctx, stopChecks := context.WithCancel(ctx)
	checks := make(chan struct{})
	go func() { defer close(checks); s.health.Run(hctx, s.healthSchedule) }()
	defer func() { stopChecks(); <-checks }()
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.drain(hs, cut)
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// drain runs the shutdown sequence of Serve on hs; cut cancels every request's context.
func (s *Server) drain(hs *http.Server, cut context.CancelCauseFunc) {
	start := time.Now()
	s.draining.Store(true)
	s.log.Info("draining: readiness now fails; in-flight requests may finish",
		"in_flight", s.active.Load(), "shutdown_delay", s.opts.ShutdownDelay, "drain_timeout", s.opts.DrainTimeout)
	if s.opts.ShutdownDelay > 0 {
		time.Sleep(s.opts.ShutdownDelay)
	}
	dctx, cancel := context.WithTimeout(context.Background(), s.opts.DrainTimeout)
	err := hs.Shutdown(dctx)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		s.log.Info("drained", "took", time.Since(start).Round(time.Millisecond))
		return
	}
	cutOff := s.active.Load()
	cut(proxy.ErrShutdown)
	gctx, cancel := context.WithTimeout(context.Background(), cutoffGrace)
	hs.Shutdown(gctx)
	cancel()
	hs.Close()
	s.log.Warn("drained: drain timeout passed; requests still in flight were cut off",
		"cut_off", cutOff, "drain_timeout", s.opts.DrainTimeout, "took", time.Since(start).Round(time.Millisecond))
}

// Draining reports whether Serve has begun shutting down.
func (s *Server) Draining() bool { return s.draining.Load() }
