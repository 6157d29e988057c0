package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/config"
)

// served is a Server running Serve on a real 127.0.0.1 listener.
type served struct {
	srv  *Server
	url  string
	addr string
	logs *syncBuffer
	// stop cancels Serve's context, as SIGTERM does.
	stop context.CancelFunc
	// done receives Serve's result.
	done chan error
}

// newServer builds a Server for yaml with logs captured and no environment.
func newServer(t *testing.T, yaml string, opts Options) (*Server, *syncBuffer) {
	t.Helper()
	cfg, err := config.Parse("test.yaml", []byte(yaml), noEnv)
	if err != nil {
		t.Fatalf("config: %v\n%s", err, yaml)
	}
	logs := &syncBuffer{}
	opts.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts.LookupEnv = noEnv
	srv, err := New(cfg, opts)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	return srv, logs
}

// serve runs srv.Serve on 127.0.0.1; the test's cleanup stops it if the test did not.
func serve(t *testing.T, srv *Server, logs *syncBuffer) *served {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &served{srv: srv, url: "http://" + ln.Addr().String(), addr: ln.Addr().String(), logs: logs,
		stop: cancel, done: make(chan error, 1)}
	go func() { s.done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(15 * time.Second):
			t.Error("Serve did not return within 15 s of cleanup")
		}
	})
	return s
}

// waitServe waits up to within for Serve to return and reports how long it took.
func (s *served) waitServe(t *testing.T, within time.Duration) (error, time.Duration) {
	t.Helper()
	start := time.Now()
	select {
	case err := <-s.done:
		s.done <- err // for the cleanup
		return err, time.Since(start)
	case <-time.After(within):
		t.Fatalf("Serve still running %v after cancel; logs:\n%s", within, s.logs)
		return nil, 0
	}
}

// freshClient opens a new connection per request, so each request tests the listener.
func freshClient() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 30 * time.Second}
}

// stream is one streaming chat request: opened returns once the answer's headers arrived.
type stream struct {
	status int
	body   chan string
}

// openStream posts a streaming request for model and waits for the response headers; the
// rest of the body arrives on the returned stream's body channel.
func openStream(t *testing.T, client *http.Client, url, model string) *stream {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/v1/chat/completions",
		strings.NewReader(fmt.Sprintf(`{"model":%q,"stream":true,"messages":[{"role":"user","content":"hi"}]}`, model)))
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("opening a stream: %v", err)
	}
	s := &stream{status: resp.StatusCode, body: make(chan string, 1)}
	go func() {
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			b = append(b, "\nREAD ERROR: "+err.Error()...)
		}
		s.body <- string(b)
	}()
	return s
}

// result waits for the stream's whole body.
func (s *stream) result(t *testing.T, within time.Duration) string {
	t.Helper()
	select {
	case b := <-s.body:
		return b
	case <-time.After(within):
		t.Fatalf("stream not finished within %v", within)
		return ""
	}
}

// completeStream reports whether body is a stream that ended cleanly with [DONE].
func completeStream(body string) bool {
	return strings.Contains(body, "data: [DONE]") && !strings.Contains(body, `"error"`) &&
		!strings.Contains(body, "READ ERROR")
}

// eventually polls cond every 5 ms for up to within.
func eventually(t *testing.T, within time.Duration, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", within, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// statusOf sends a request and returns its status, or 0 when the connection failed.
func statusOf(client *http.Client, method, url, body string) int {
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}
