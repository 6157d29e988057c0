package fake_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// waitLimit bounds every wait on a channel in these tests; it is generous on purpose and
// only reached when something is broken.
const waitLimit = 10 * time.Second

// serve starts a real HTTP server for h, closed at the end of the test.
func serve(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// post sends body to url with ctx and returns the response; the body is closed at cleanup.
func post(t *testing.T, ctx context.Context, client *http.Client, url, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// readAll returns the whole response body.
func readAll(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return b
}

// decodeJSON decodes b into v, failing the test with the body on error.
func decodeJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
}

// event is one server-sent event.
type event struct {
	name string // the "event:" field, empty for OpenAI
	data string
}

// eventReader reads server-sent events one at a time.
type eventReader struct{ sc *bufio.Scanner }

// newEventReader reads events from r.
func newEventReader(r io.Reader) *eventReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	return &eventReader{sc: sc}
}

// next returns the next event; ok is false at the end of the stream.
func (er *eventReader) next() (ev event, ok bool) {
	started := false
	for er.sc.Scan() {
		line := er.sc.Text()
		switch {
		case line == "":
			if started {
				return ev, true
			}
		case strings.HasPrefix(line, "event: "):
			ev.name, started = strings.TrimPrefix(line, "event: "), true
		case strings.HasPrefix(line, "data: "):
			ev.data, started = strings.TrimPrefix(line, "data: "), true
		}
	}
	return ev, started
}

// readEvents reads every event until the end of the stream.
func readEvents(t *testing.T, r io.Reader) []event {
	t.Helper()
	er := newEventReader(r)
	var evs []event
	for {
		ev, ok := er.next()
		if !ok {
			break
		}
		evs = append(evs, ev)
	}
	if err := er.sc.Err(); err != nil {
		t.Fatalf("reading stream: %v", err)
	}
	return evs
}

// waitClosed fails the test unless ch is closed within waitLimit.
func waitClosed(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(waitLimit):
		t.Fatalf("%s: not within %v", what, waitLimit)
	}
}

// sequence returns a concurrency-safe Rand that yields vals in order, then repeats the last.
func sequence(vals ...float64) func() float64 {
	var mu sync.Mutex
	i := 0
	return func() float64 {
		mu.Lock()
		defer mu.Unlock()
		v := vals[min(i, len(vals)-1)]
		i++
		return v
	}
}

// chatChunk is the part of an OpenAI chat.completion.chunk the tests look at.
type chatChunk struct {
	ID                string `json:"id"`
	Object            string `json:"object"`
	Model             string `json:"model"`
	SystemFingerprint string `json:"system_fingerprint"`
	Choices           []struct {
		Index int `json:"index"`
		Delta struct {
			Role    *string `json:"role"`
			Content *string `json:"content"`
		} `json:"delta"`
		Text         *string `json:"text"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *usage `json:"usage"`
}

// usage is OpenAI's usage object.
type usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// openAIError is OpenAI's error envelope with every field kept raw, to check nulls too.
type openAIError struct {
	Error map[string]json.RawMessage `json:"error"`
}

// compact returns b with insignificant JSON whitespace removed.
func compact(t *testing.T, b []byte) string {
	t.Helper()
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		t.Fatalf("compact %s: %v", b, err)
	}
	return out.String()
}
