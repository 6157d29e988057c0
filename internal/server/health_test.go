package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/fake"
)

// switchable is a fake upstream that can be broken (every request answers 500) and mended.
// It counts health probes (content "ping") apart from client requests; failClients, when set,
// is the status of every client request (probes pass).
type switchable struct {
	*httptest.Server
	broken          atomic.Bool
	failClients     atomic.Int32
	probes, clients atomic.Int64
	// delay adds a random wait of up to itself before each client answer (set before use).
	delay time.Duration
}

func startSwitchable(t *testing.T, name string) *switchable {
	return startSwitchableWith(t, fake.Options{Name: name}, 0)
}

// startSwitchableWith starts a switchable over a fake with opts, adding up to delay at random
// to each client answer.
func startSwitchableWith(t *testing.T, opts fake.Options, delay time.Duration) *switchable {
	t.Helper()
	u := &switchable{delay: delay}
	h := fake.NewHandler(opts)
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		probe := bytes.Contains(b, []byte(`"content":"ping"`))
		if probe {
			u.probes.Add(1)
		} else {
			u.clients.Add(1)
		}
		status := int(u.failClients.Load())
		if u.broken.Load() {
			status = http.StatusInternalServerError
		}
		if status != 0 && (!probe || u.broken.Load()) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			w.Write([]byte(`{"error":{"message":"broken on purpose","type":"server_error","param":null,"code":null}}`))
			return
		}
		if u.delay > 0 && !probe {
			time.Sleep(rand.N(u.delay))
		}
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(u.Close)
	return u
}

// healthBody is GET /health's answer.
type healthBody struct {
	Healthy        []map[string]any `json:"healthy_endpoints"`
	Unhealthy      []map[string]any `json:"unhealthy_endpoints"`
	HealthyCount   int              `json:"healthy_count"`
	UnhealthyCount int              `json:"unhealthy_count"`
}

func getHealth(t *testing.T, url, key string) (int, healthBody, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var hb healthBody
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, &hb); err != nil {
			t.Fatalf("GET /health: %v: %s", err, b)
		}
	}
	return resp.StatusCode, hb, string(b)
}

func endpointIDs(es []map[string]any) []string {
	var out []string
	for _, e := range es {
		out = append(out, fmt.Sprint(e["model_id"]))
	}
	return out
}

const healthYAML = `
model_list:
  - model_name: gpt
    litellm_params: {model: openai/gpt-4o, api_base: %q, api_key: sk-key-aaaa}
    model_info: {id: dep-a}
  - model_name: gpt
    litellm_params: {model: openai/gpt-4o, api_base: %q, api_key: sk-key-bbbb}
    model_info: {id: dep-b}
router_settings: {num_retries: 0, disable_cooldowns: true}
general_settings:
  master_key: sk-master-1234
%s`

// A deployment whose upstream fails its health checks gets no client traffic, and gets traffic
// again once its checks pass. Serve runs the checks itself.
func TestUnhealthyDeploymentLeavesAndReturns(t *testing.T) {
	a, b := startSwitchable(t, "a"), startSwitchable(t, "b")
	srv, logs := newServer(t, fmt.Sprintf(healthYAML, a.URL, b.URL,
		"  background_health_checks: true\n  health_check_interval: 0.05\n"), Options{})
	s := serve(t, srv, logs)
	b.broken.Store(true)
	eventually(t, 5*time.Second, func() bool {
		_, hb, _ := getHealth(t, s.url+"/health", "sk-master-1234")
		return hb.UnhealthyCount == 1 && endpointIDs(hb.Unhealthy)[0] == "dep-b"
	}, "GET /health to report dep-b unhealthy")

	before := b.clients.Load()
	client := freshClient()
	for i := range 30 {
		if code, id := chatAs(t, client, s.url, "sk-master-1234", "gpt"); code != 200 || id != "dep-a" {
			t.Fatalf("request %d: got %d from %q, want 200 from dep-a", i, code, id)
		}
	}
	if n := b.clients.Load() - before; n != 0 {
		t.Fatalf("the unhealthy deployment got %d client requests, want 0", n)
	}

	b.broken.Store(false)
	eventually(t, 5*time.Second, func() bool {
		_, hb, _ := getHealth(t, s.url+"/health", "sk-master-1234")
		return hb.HealthyCount == 2 && hb.UnhealthyCount == 0
	}, "GET /health to report both deployments healthy")
	for range 40 {
		chatAs(t, client, s.url, "sk-master-1234", "gpt")
	}
	if b.clients.Load() == before {
		t.Fatal("the mended deployment got no client request out of 40")
	}
	out := logs.String()
	if !strings.Contains(out, "failed its health check") || !strings.Contains(out, "back in routing") ||
		strings.Contains(out, "sk-key-bbbb") {
		t.Errorf("logs: want dep-b leaving and rejoining routing, and no key:\n%s", out)
	}
}

// Without background_health_checks nothing is sent upstream that a client did not cause, and
// GET /health probes on demand without changing routing. It needs the master key and never
// shows a key.
func TestHealthOnDemand(t *testing.T) {
	a, b := startSwitchable(t, "a"), startSwitchable(t, "b")
	srv, logs := newServer(t, fmt.Sprintf(healthYAML, a.URL, b.URL, ""), Options{})
	s := serve(t, srv, logs)
	if got := srv.cfg.General.HealthCheckInterval; got != 300*time.Second {
		t.Errorf("default health_check_interval: got %v, want 300s", got)
	}
	if code, _, body := getHealth(t, s.url+"/health", ""); code != http.StatusUnauthorized {
		t.Fatalf("GET /health without a key: got %d %s, want 401", code, body)
	}
	if n := a.probes.Load() + b.probes.Load(); n != 0 {
		t.Fatalf("probes sent with background checks off and no GET /health: %d", n)
	}
	b.broken.Store(true)
	code, hb, body := getHealth(t, s.url+"/health", "sk-master-1234")
	if code != 200 || hb.HealthyCount != 1 || hb.UnhealthyCount != 1 || endpointIDs(hb.Unhealthy)[0] != "dep-b" {
		t.Fatalf("GET /health: got %d %s, want dep-a healthy and dep-b unhealthy", code, body)
	}
	e := hb.Unhealthy[0]
	if e["model"] != "openai/gpt-4o" || e["api_base"] != b.URL || !strings.Contains(fmt.Sprint(e["error"]), "500") {
		t.Errorf("unhealthy endpoint: got %v", e)
	}
	for _, secret := range []string{"sk-key-aaaa", "sk-key-bbbb", "sk-master-1234", "api_key"} {
		if strings.Contains(body, secret) {
			t.Errorf("GET /health shows %q: %s", secret, body)
		}
	}
	if a.probes.Load() != 1 || b.probes.Load() != 1 {
		t.Errorf("probes: got a=%d b=%d, want one each", a.probes.Load(), b.probes.Load())
	}
	// The on-demand verdict does not take dep-b out of routing: it still gets client requests
	// (and fails them: retries are off).
	for range 20 {
		chatAs(t, freshClient(), s.url, "sk-master-1234", "gpt")
	}
	if b.clients.Load() == 0 {
		t.Error("dep-b got no client request: an on-demand GET /health changed routing")
	}
	if _, hb, _ := getHealth(t, s.url+"/health?model=nope", "sk-master-1234"); hb.HealthyCount+hb.UnhealthyCount != 0 {
		t.Errorf("GET /health?model=nope: got %+v, want no endpoint", hb)
	}
}

// chatAs posts a chat request for group with key and returns the status and the serving
// deployment's id.
func chatAs(t *testing.T, client *http.Client, url, key, group string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/v1/chat/completions", strings.NewReader(fmt.Sprintf(chat, group)))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("x-litellm-model-id")
}
