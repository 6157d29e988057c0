package health_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/deployment"
	"github.com/switchyard/switchyard/internal/fake"
	"github.com/switchyard/switchyard/internal/health"
	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/provider/all"
)

// targets builds the deployments of a model_list given as YAML, with their real providers.
func targets(t *testing.T, modelList string) []health.Target {
	t.Helper()
	cfg, err := config.Parse("test.yaml", []byte("model_list:\n"+modelList), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	env := &provider.Env{Transports: provider.NewTransports(provider.TransportOptions{}), LookupEnv: func(string) (string, bool) { return "", false }}
	var out []health.Target
	for i, c := range cfg.Deployments {
		p, err := all.Registry().New(&c, env)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, health.Target{D: deployment.New(c, i), P: p})
	}
	return out
}

// oneChat is a single chat deployment of gpt-4o on url.
func oneChat(t *testing.T, url string) []health.Target {
	return targets(t, fmt.Sprintf("  - model_name: chat\n    litellm_params: {model: openai/gpt-4o, api_base: %q, api_key: sk-x}\n", url))
}

// recorder is a fake upstream that records each request's path and body; fail makes it answer 500.
type recorder struct {
	*httptest.Server
	mu     sync.Mutex
	paths  []string
	bodies []map[string]any
	fail   atomic.Bool
}

func newRecorder(t *testing.T) *recorder {
	r := &recorder{}
	h := fake.NewHandler(fake.Options{})
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var body map[string]any
		json.NewDecoder(req.Body).Decode(&body)
		r.mu.Lock()
		r.paths, r.bodies = append(r.paths, req.URL.Path), append(r.bodies, body)
		r.mu.Unlock()
		if r.fail.Load() {
			http.Error(w, `{"error":{"message":"upstream broken, key sk-secret-123 rejected"}}`, http.StatusInternalServerError)
			return
		}
		b, _ := json.Marshal(body)
		req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
		h.ServeHTTP(w, req)
	}))
	t.Cleanup(r.Close)
	return r
}

func TestProbeByMode(t *testing.T) {
	up := newRecorder(t)
	ts := targets(t, fmt.Sprintf(`
  - model_name: chat
    litellm_params: {model: openai/gpt-4o, api_base: %[1]q, api_key: sk-x}
  - model_name: emb
    litellm_params: {model: openai/text-embedding-3-small, api_base: %[1]q, api_key: sk-x}
    model_info: {mode: embedding}
  - model_name: wild
    litellm_params: {model: "openai/*", api_base: %[1]q, api_key: sk-x}
  - model_name: img
    litellm_params: {model: openai/dall-e-3, api_base: %[1]q, api_key: sk-x}
    model_info: {mode: image_generation}
`, up.URL+"/v1"))
	c := &health.Checker{}
	res := c.Check(context.Background(), ts)
	if len(res) != 2 {
		t.Fatalf("results: got %d (%+v), want 2 (the wildcard and image deployments are not probed)", len(res), res)
	}
	for _, r := range res {
		if !r.Healthy || r.Error != "" {
			t.Errorf("%s: got unhealthy (%q), want healthy", r.ID, r.Error)
		}
	}
	up.mu.Lock()
	defer up.mu.Unlock()
	got := strings.Join(up.paths, " ")
	if !strings.Contains(got, "/v1/chat/completions") || !strings.Contains(got, "/v1/embeddings") || len(up.paths) != 2 {
		t.Fatalf("probe paths: got %q, want one chat completion and one embedding", got)
	}
	for i, p := range up.paths {
		b := up.bodies[i]
		if p == "/v1/chat/completions" && (b["max_tokens"] != float64(1) || b["model"] != "gpt-4o") {
			t.Errorf("chat probe body: got %v, want model gpt-4o and max_tokens 1", b)
		}
		if p == "/v1/embeddings" && b["model"] != "text-embedding-3-small" {
			t.Errorf("embedding probe body: got %v", b)
		}
	}
}

func TestUnhealthyUntilPassing(t *testing.T) {
	up := newRecorder(t)
	ts := oneChat(t, up.URL)
	id := ts[0].D.ID
	var changes []bool
	c := &health.Checker{Scrub: func(s string) string { return strings.ReplaceAll(s, "sk-secret-123", "[redacted]") },
		Changed: func(r health.Result) { changes = append(changes, r.Healthy) }}
	c.Check(context.Background(), ts) // healthy from the start: no change reported
	if c.Unhealthy(id) {
		t.Fatal("a deployment never probed counts as unhealthy")
	}
	up.fail.Store(true)
	c.Check(context.Background(), ts)
	r, ok := c.Last(id)
	if !ok || r.Healthy || !c.Unhealthy(id) {
		t.Fatalf("after a failing probe: got %+v, want unhealthy", r)
	}
	if !strings.Contains(r.Error, "500") || strings.Contains(r.Error, "sk-secret-123") {
		t.Errorf("error text: got %q, want the status and no secret", r.Error)
	}
	c.Check(context.Background(), ts) // still failing: no new change
	up.fail.Store(false)
	c.Check(context.Background(), ts)
	if c.Unhealthy(id) {
		t.Fatal("still unhealthy after a passing probe")
	}
	if fmt.Sprint(changes) != "[false true]" {
		t.Errorf("changes reported: got %v, want [false true] (failed, then passed)", changes)
	}
}

func TestProbeTimeout(t *testing.T) {
	block := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer up.Close()
	defer close(block)
	ts := oneChat(t, up.URL)
	c := &health.Checker{Timeout: 50 * time.Millisecond}
	r := c.Probe(context.Background(), ts[0])
	if r.Healthy || !strings.Contains(r.Error, "no answer within 50ms") {
		t.Fatalf("got %+v, want unhealthy with a timeout error", r)
	}
}

func TestParallelBound(t *testing.T) {
	var inFlight, peak atomic.Int64
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		inFlight.Add(-1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"choices":[]}`))
	}))
	defer up.Close()
	var list strings.Builder
	for i := range 12 {
		fmt.Fprintf(&list, "  - model_name: m\n    litellm_params: {model: openai/m%d, api_base: %q, api_key: sk-x}\n", i, up.URL)
	}
	c := &health.Checker{Parallel: 3}
	res := c.Check(context.Background(), targets(t, list.String()))
	if len(res) != 12 {
		t.Fatalf("results: got %d, want 12", len(res))
	}
	if p := peak.Load(); p > 3 || p < 1 {
		t.Fatalf("probes in flight at once: got %d, want 1..3", p)
	}
}

func TestRunFollowsSchedule(t *testing.T) {
	up := newRecorder(t)
	ts := oneChat(t, up.URL)
	up.fail.Store(true)
	var on atomic.Bool
	on.Store(true)
	rounds := make(chan bool, 100)
	c := &health.Checker{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Run(ctx, func() (bool, time.Duration, []health.Target) {
			select {
			case rounds <- on.Load():
			default:
			}
			return on.Load(), 10 * time.Millisecond, ts
		})
	}()
	deadline := time.After(5 * time.Second)
	wait := func(cond func() bool, what string) {
		for !cond() {
			select {
			case <-rounds:
			case <-deadline:
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	wait(func() bool { return c.Unhealthy(ts[0].D.ID) }, "the failing deployment to be marked unhealthy")
	on.Store(false)
	wait(func() bool { return !c.Unhealthy(ts[0].D.ID) }, "checks turned off to forget the mark")
	up.mu.Lock()
	n := len(up.paths)
	up.mu.Unlock()
	for len(rounds) > 0 {
		<-rounds
	}
	<-rounds // a round that started after n was read
	up.mu.Lock()
	if len(up.paths) != n {
		t.Errorf("probes sent while off: %d", len(up.paths)-n)
	}
	up.mu.Unlock()
	cancel()
	<-done
}
