package fake_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/switchyard/switchyard/internal/fake"
)

// newRequest builds a POST to the fake host with ctx.
func newRequest(t *testing.T, ctx context.Context, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://fake.invalid/v1/chat/completions?x=1", body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// trackedBody reports when it is closed.
type trackedBody struct {
	io.Reader
	closed chan struct{}
}

func (b *trackedBody) Close() error { close(b.closed); return nil }

func TestTransportAnswers(t *testing.T) {
	h := fake.NewHandler(fake.Options{Name: "local", OutputTokens: 2})
	body := &trackedBody{Reader: strings.NewReader(`{"model":"m"}`), closed: make(chan struct{})}
	resp, err := fake.Transport(h).RoundTrip(newRequest(t, context.Background(), body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b := readAll(t, resp)
	var c chatCompletion
	decodeJSON(t, b, &c)
	if resp.StatusCode != 200 || resp.Status != "200 OK" || resp.ContentLength != int64(len(b)) ||
		resp.Header.Get("x-fake-name") != "local" || c.Choices[0].Message.Content != "tok0 tok1" {
		t.Errorf("got %d %q length %d header %v body %s", resp.StatusCode, resp.Status, resp.ContentLength, resp.Header, b)
	}
	waitClosed(t, body.closed, "request body closed")
	r := h.Requests()[0]
	if r.Path != "/v1/chat/completions" || r.RawQuery != "x=1" || string(r.Body) != `{"model":"m"}` {
		t.Errorf("recorded %+v", r)
	}
}

func TestTransportHandlerShapes(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		status  int
		ctype   string
		body    string
	}{
		{"nothing written", func(http.ResponseWriter, *http.Request) {}, 200, "", ""},
		{"status only", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) }, 204, "", ""},
		{"sniffed", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "<html>hi") }, 200, "text/html; charset=utf-8", "<html>hi"},
		{"informational then final", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(103)
			w.Header().Set("Content-Type", "a/b")
			w.WriteHeader(418)
			w.WriteHeader(500) // superfluous: ignored
			io.WriteString(w, "x")
		}, 418, "a/b", "x"},
		{"header changes after commit ignored", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "a/b")
			w.WriteHeader(200)
			w.Header().Set("Content-Type", "c/d")
		}, 200, "a/b", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := fake.Transport(tt.handler).RoundTrip(newRequest(t, context.Background(), nil))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b := readAll(t, resp)
			if resp.StatusCode != tt.status || resp.Header.Get("Content-Type") != tt.ctype || string(b) != tt.body {
				t.Errorf("got %d %q %q, want %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), b, tt.status, tt.ctype, tt.body)
			}
		})
	}
}

// TestTransportStreams: chunks reach the client while the handler is still running.
func TestTransportStreams(t *testing.T) {
	release := make(chan struct{})
	done := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range 3 {
			io.WriteString(w, "data: "+strconv.Itoa(i)+"\n\n")
			w.(http.Flusher).Flush()
		}
		<-release
		io.WriteString(w, "data: [DONE]\n\n")
	})
	resp, err := fake.Transport(h).RoundTrip(newRequest(t, context.Background(), nil))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	er := newEventReader(resp.Body)
	for i := range 3 {
		ev, ok := er.next()
		if !ok || ev.data != strconv.Itoa(i) {
			t.Fatalf("event %d: got %+v, %v", i, ev, ok)
		}
	}
	select {
	case <-done:
		t.Fatal("handler finished before it was released")
	default:
	}
	close(release)
	if ev, ok := er.next(); !ok || ev.data != "[DONE]" {
		t.Fatalf("last event: got %+v, %v", ev, ok)
	}
	if _, ok := er.next(); ok {
		t.Fatal("events after [DONE]")
	}
	waitClosed(t, done, "handler done")
}

// blockingHandler commits (when commit is set) and then waits for its request to be cancelled,
// recording whether its write afterwards failed.
func blockingHandler(commit bool, started, done chan<- struct{}, writeFailed *atomic.Bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		close(started)
		if commit {
			io.WriteString(w, "data: first\n\n")
		}
		<-r.Context().Done()
		_, err := io.WriteString(w, "data: late\n\n")
		writeFailed.Store(err != nil)
	}
}

func TestTransportCancel(t *testing.T) {
	for _, commit := range []bool{false, true} {
		t.Run("committed="+strconv.FormatBool(commit), func(t *testing.T) {
			started, done := make(chan struct{}), make(chan struct{})
			var writeFailed atomic.Bool
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			rt := fake.Transport(blockingHandler(commit, started, done, &writeFailed))
			errc := make(chan error, 1)
			var resp *http.Response
			go func() {
				var err error
				resp, err = rt.RoundTrip(newRequest(t, ctx, nil))
				errc <- err
			}()
			if commit {
				if err := <-errc; err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				br := bufio.NewReader(resp.Body)
				if line, err := br.ReadString('\n'); err != nil || line != "data: first\n" {
					t.Fatalf("first line: got %q, %v", line, err)
				}
				cancel()
				if _, err := io.ReadAll(br); !errors.Is(err, context.Canceled) {
					t.Errorf("body read after cancel: got %v want context.Canceled", err)
				}
			} else {
				waitClosed(t, started, "handler started")
				cancel()
				if err := <-errc; !errors.Is(err, context.Canceled) {
					t.Errorf("RoundTrip: got %v want context.Canceled", err)
				}
			}
			waitClosed(t, done, "handler done after cancel")
			if !writeFailed.Load() {
				t.Error("handler's write after cancel succeeded")
			}
		})
	}
}

// TestTransportBodyClose: closing the body early ends the handler (writes fail, context done).
func TestTransportBodyClose(t *testing.T) {
	done := make(chan struct{})
	var ctxDone atomic.Bool
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		for {
			if _, err := io.WriteString(w, "data: x\n\n"); err != nil {
				ctxDone.Store(r.Context().Err() != nil)
				return
			}
		}
	})
	resp, err := fake.Transport(h).RoundTrip(newRequest(t, context.Background(), nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(resp.Body, make([]byte, 100)); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	waitClosed(t, done, "handler done after Body.Close")
	if !ctxDone.Load() {
		t.Error("handler's context not cancelled by Body.Close")
	}
}

func TestTransportPanic(t *testing.T) {
	t.Run("before commit", func(t *testing.T) {
		h := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })
		resp, err := fake.Transport(h).RoundTrip(newRequest(t, context.Background(), nil))
		if err == nil || !strings.Contains(err.Error(), "boom") {
			t.Fatalf("got resp %v err %v, want an error naming the panic", resp, err)
		}
	})
	t.Run("after commit", func(t *testing.T) {
		h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			io.WriteString(w, "partial")
			panic(http.ErrAbortHandler)
		})
		resp, err := fake.Transport(h).RoundTrip(newRequest(t, context.Background(), nil))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if string(b) != "partial" || err == nil || !strings.Contains(err.Error(), "panic") {
			t.Errorf("got %q, %v; want the partial body then a panic error", b, err)
		}
	})
	t.Run("invalid status", func(t *testing.T) {
		h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(42) })
		if _, err := fake.Transport(h).RoundTrip(newRequest(t, context.Background(), nil)); err == nil {
			t.Error("WriteHeader(42) did not turn into an error")
		}
	})
}

func TestTransportCancelledBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	body := &trackedBody{Reader: strings.NewReader("{}"), closed: make(chan struct{})}
	called := false
	rt := fake.Transport(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true }))
	if _, err := rt.RoundTrip(newRequest(t, ctx, body)); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v want context.Canceled", err)
	}
	waitClosed(t, body.closed, "request body closed")
	if called {
		t.Error("handler called for a cancelled request")
	}
}
