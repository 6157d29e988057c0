package server

import (
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/fake"
)

// TestShutdownDrainsStreams is K4: on cancel (SIGTERM) readiness fails at once, the listener
// closes after the shutdown delay, and all 20 open streams still complete with [DONE].
func TestShutdownDrainsStreams(t *testing.T) {
	// Streams of about 1.4 s outlast the 800 ms shutdown delay.
	up := startUpstream(t, fake.Options{Chunks: 10, ChunkGap: 150 * time.Millisecond})
	srv, logs := newServer(t, oneDeployment(up.URL), Options{ShutdownDelay: 800 * time.Millisecond, DrainTimeout: 20 * time.Second})
	s := serve(t, srv, logs)
	client := &http.Client{}
	if got := statusOf(client, "GET", s.url+"/health/readiness", ""); got != 200 {
		t.Fatalf("readiness before shutdown: got %d, want 200", got)
	}

	const n = 20
	streams := make([]*stream, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { streams[i] = openStream(t, client, s.url, "gpt-3.5-turbo") })
	}
	wg.Wait()
	s.stop()

	probe := freshClient()
	eventually(t, 600*time.Millisecond, func() bool {
		return statusOf(probe, "GET", s.url+"/health/readiness", "") == http.StatusServiceUnavailable
	}, "readiness answers 503 while draining (within the 800 ms shutdown delay)")
	resp, err := probe.Get(s.url + "/health/readiness")
	if err == nil {
		b := readAll(resp)
		resp.Body.Close()
		if !strings.Contains(b, `"draining"`) {
			t.Errorf("readiness body while draining: got %s, want status draining", b)
		}
	}
	eventually(t, 5*time.Second, func() bool {
		c, err := net.DialTimeout("tcp", s.addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err != nil
	}, "new connections refused once the listener closed")
	open := 0
	for _, st := range streams {
		if len(st.body) == 0 {
			open++
		}
	}
	if open == 0 {
		t.Error("every stream had finished when the listener closed; the test needs them in flight")
	}
	if !srv.Draining() {
		t.Error("Draining() is false during the drain")
	}

	for i, st := range streams {
		if body := st.result(t, 10*time.Second); st.status != 200 || !completeStream(body) {
			t.Errorf("stream %d: got status %d body %q, want 200 ending in [DONE]", i, st.status, body)
		}
	}
	if err, took := s.waitServe(t, 10*time.Second); err != nil {
		t.Errorf("Serve: got %v after %v, want nil", err, took)
	}
	if got := up.h.Count(); got != n {
		t.Errorf("upstream requests: got %d, want %d", got, n)
	}
	for _, want := range []string{"draining", "drained"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
}

// TestShutdownCutsOffAtDrainTimeout: streams that outlast the drain timeout end with an error
// event and no [DONE], and Serve returns soon after the deadline.
func TestShutdownCutsOffAtDrainTimeout(t *testing.T) {
	up := startUpstream(t, fake.Options{Chunks: 100, ChunkGap: 50 * time.Millisecond})
	srv, logs := newServer(t, oneDeployment(up.URL), Options{DrainTimeout: 300 * time.Millisecond})
	s := serve(t, srv, logs)
	client := &http.Client{}
	streams := make([]*stream, 5)
	var wg sync.WaitGroup
	for i := range streams {
		wg.Go(func() { streams[i] = openStream(t, client, s.url, "gpt-3.5-turbo") })
	}
	wg.Wait()
	s.stop()
	if err, took := s.waitServe(t, 5*time.Second); err != nil || took > 2*time.Second {
		t.Errorf("Serve: got %v after %v, want nil within about 2 s (drain 300 ms + 1 s grace)", err, took)
	}
	for i, st := range streams {
		body := st.result(t, 5*time.Second)
		if !strings.Contains(body, `data: {"error"`) || strings.Contains(body, "[DONE]") {
			t.Errorf("stream %d: got body ending %q, want an error event and no [DONE]", i, tail(body))
		}
	}
	if !strings.Contains(logs.String(), "cut_off=5") {
		t.Errorf("logs do not say 5 requests were cut off:\n%s", logs)
	}
}

// TestIdleShutdown: a gateway with no request in flight stops promptly, even with a
// keep-alive connection open.
func TestIdleShutdown(t *testing.T) {
	up := startUpstream(t, fake.Options{})
	srv, logs := newServer(t, oneDeployment(up.URL), Options{})
	s := serve(t, srv, logs)
	if got := statusOf(&http.Client{}, "POST", s.url+"/v1/chat/completions", `{"model":"gpt-3.5-turbo","messages":[]}`); got != 200 {
		t.Fatalf("request before shutdown: got %d, want 200", got)
	}
	s.stop()
	// Expected well under a second; the bound is generous for -race.
	if err, took := s.waitServe(t, 5*time.Second); err != nil || took > 5*time.Second {
		t.Errorf("Serve: got %v after %v, want nil within a second", err, took)
	}
}

func tail(s string) string {
	if len(s) > 300 {
		return "…" + s[len(s)-300:]
	}
	return s
}
