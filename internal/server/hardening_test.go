package server

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/fake"
)

// TestTrickledBodyGets408 is C6: a client that sends its headers, then its body slower than
// the body read timeout, gets an OpenAI-shaped 408 and the upstream is never contacted.
func TestTrickledBodyGets408(t *testing.T) {
	up := startUpstream(t, fake.Options{})
	srv, logs := newServer(t, oneDeployment(up.URL), Options{BodyReadTimeout: 200 * time.Millisecond})
	s := serve(t, srv, logs)
	conn, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"model":"gpt-3.5-turbo","messages":[{"role":"user","content":"hi"}]}`
	start := time.Now()
	io.WriteString(conn, "POST /v1/chat/completions HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"+
		"Content-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body[:1])
	// One more byte inside the timeout, then nothing: the body never completes in time. (No
	// writes after the server's answer, so the kernel does not reset the connection under it.)
	go func() {
		time.Sleep(120 * time.Millisecond)
		io.WriteString(conn, body[1:2])
	}()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the answer: %v (after %v)", err, time.Since(start))
	}
	took := time.Since(start)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Fatalf("got %d %s, want 408", resp.StatusCode, b)
	}
	msg := checkEnvelope(t, resp, b)
	var env struct {
		Error struct{ Type string } `json:"error"`
	}
	json.Unmarshal(b, &env)
	if env.Error.Type != "timeout" || !strings.Contains(msg, "200ms") {
		t.Errorf("408 body: got type %q message %q, want type timeout naming the 200ms limit", env.Error.Type, msg)
	}
	if took < 150*time.Millisecond || took > 2*time.Second {
		t.Errorf("answered after %v, want about 200 ms", took)
	}
	if n := up.h.Count(); n != 0 {
		t.Errorf("upstream saw %d requests, want 0", n)
	}
}

// TestBodyDeadlineClearedForStreams: a body read in time leaves no deadline behind that could
// cut a stream lasting longer than the body read timeout.
func TestBodyDeadlineClearedForStreams(t *testing.T) {
	up := startUpstream(t, fake.Options{Chunks: 5, ChunkGap: 100 * time.Millisecond})
	srv, logs := newServer(t, oneDeployment(up.URL), Options{BodyReadTimeout: 100 * time.Millisecond})
	s := serve(t, srv, logs)
	st := openStream(t, &http.Client{}, s.url, "gpt-3.5-turbo")
	if body := st.result(t, 10*time.Second); st.status != 200 || !completeStream(body) {
		t.Errorf("stream of ~400 ms with a 100 ms body timeout: got %d %q, want 200 ending in [DONE]", st.status, tail(body))
	}
}

// TestSlowHeadersClosed is C5: a connection that sends only part of its headers is closed
// after ReadHeaderTimeout.
func TestSlowHeadersClosed(t *testing.T) {
	up := startUpstream(t, fake.Options{})
	srv, logs := newServer(t, oneDeployment(up.URL), Options{ReadHeaderTimeout: 200 * time.Millisecond})
	s := serve(t, srv, logs)
	conn, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	io.WriteString(conn, "POST /v1/chat/completions HTTP/1.1\r\nHost: gateway\r\n")
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := conn.Read(make([]byte, 1))
	took := time.Since(start)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("connection still open after 5 s, want it closed after the 200 ms header timeout")
	}
	if n != 0 || took < 150*time.Millisecond || took > 2*time.Second {
		t.Errorf("got %d bytes, %v after %v; want the connection closed after about 200 ms", n, err, took)
	}
	if c := up.h.Count(); c != 0 {
		t.Errorf("upstream saw %d requests, want 0", c)
	}
}
