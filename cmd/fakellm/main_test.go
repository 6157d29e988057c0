package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// start runs fakellm with args (plus --port 0) and returns its base URL, a stop function that
// cancels it, and the channel its result arrives on.
func start(t *testing.T, args ...string) (base string, stop context.CancelFunc, errc <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	pr, pw := io.Pipe()
	ch := make(chan error, 1)
	go func() {
		err := run(ctx, append([]string{"--port", "0"}, args...), pw, io.Discard)
		pw.CloseWithError(io.EOF)
		ch <- err
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	go io.Copy(io.Discard, pr) // nothing else is printed, but never block the writer
	if err != nil {
		t.Fatalf("reading the listening line: %v (run: %v)", err, <-ch)
	}
	base, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "fakellm listening on ")
	if !ok || !strings.HasPrefix(base, "http://127.0.0.1:") || strings.HasSuffix(base, ":0") {
		t.Fatalf("listening line: got %q", line)
	}
	return base, cancel, ch
}

// waitRun fails the test unless run returns nil within limit.
func waitRun(t *testing.T, errc <-chan error, limit time.Duration) {
	t.Helper()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("run: got %v want nil", err)
		}
	case <-time.After(limit):
		t.Fatalf("run did not return within %v of cancellation", limit)
	}
}

func TestServesAndStops(t *testing.T) {
	base, stop, errc := start(t, "--chunks", "3", "--name", "bench-a", "--output-tokens", "7")
	resp, err := http.Post(base+"/v1/chat/completions", "application/json", strings.NewReader(`{"model":"m"}`))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Model             string `json:"model"`
		SystemFingerprint string `json:"system_fingerprint"`
		Usage             struct {
			CompletionTokens int `json:"completion_tokens"`
		} `json:"usage"`
	}
	err = json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || got.Model != "m" || got.SystemFingerprint != "bench-a" ||
		got.Usage.CompletionTokens != 7 || resp.Header.Get("x-fake-name") != "bench-a" {
		t.Fatalf("got %d %+v (%v)", resp.StatusCode, got, err)
	}
	stop()
	waitRun(t, errc, 5*time.Second)
}

// TestStopCutsStreams: a stream in flight does not hold up the exit.
func TestStopCutsStreams(t *testing.T) {
	base, stop, errc := start(t, "--chunks", "1000000", "--chunk-gap", "10ms")
	resp, err := http.Post(base+"/v1/chat/completions", "application/json", strings.NewReader(`{"model":"m","stream":true}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	if line, err := br.ReadString('\n'); err != nil || !strings.HasPrefix(line, "data: {") {
		t.Fatalf("first line: got %q, %v", line, err)
	}
	began := time.Now()
	stop()
	waitRun(t, errc, 5*time.Second)
	if took := time.Since(began); took > time.Second {
		t.Errorf("exit took %v, want under 1s", took)
	}
}

func TestBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--port", "70000"}, "--port"},
		{[]string{"--fail-rate", "1.5"}, "--fail-rate"},
		{[]string{"--fail-status", "200"}, "--fail-status"},
		{[]string{"--chunks", "0"}, "--chunks"},
		{[]string{"--latency", "-1s"}, "negative"},
		{[]string{"--latency", "fast"}, "invalid value"},
		{[]string{"extra"}, "unexpected arguments"},
	}
	for _, tt := range tests {
		err := run(context.Background(), tt.args, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("run(%q): got %v, want an error mentioning %q", tt.args, err, tt.want)
		}
	}
}
