package server

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/fake"
)

// twoDeployments is a group "m" with a bad deployment first and a healthy one second.
func twoDeployments(bad, good string, extra string) string {
	return fmt.Sprintf(`model_list:
  - model_name: m
    litellm_params: {model: openai/bad, api_base: %s/v1, api_key: sk-bad-key-123456}
  - model_name: m
    litellm_params: {model: openai/good, api_base: %s/v1, api_key: sk-good-key-123456}
router_settings:
  num_retries: 2
%s`, bad, good, extra)
}

// first always picks the first candidate, so the bad deployment is tried first.
func first() float64 { return 0 }

func TestFailover(t *testing.T) {
	tests := []struct {
		name string
		bad  func(t *testing.T) (url string, hits func() int)
		// hits is how many requests reach the bad deployment before it cools down: allowed_fails
		// (3) + 1 for errors, 1 for a 429 in a group with others.
		hits int
	}{
		{"upstream answers 500", func(t *testing.T) (string, func() int) {
			u := startUpstream(t, fake.Options{FailRate: 1, FailStatus: 500})
			return u.URL, u.h.Count
		}, 4},
		{"upstream answers 429", func(t *testing.T) (string, func() int) {
			u := startUpstream(t, fake.Options{FailRate: 1, FailStatus: 429})
			return u.URL, u.h.Count
		}, 1},
		{"connection refused", func(t *testing.T) (string, func() int) {
			return refusedURL(t), nil
		}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			badURL, badHits := tt.bad(t)
			good := startUpstream(t, fake.Options{})
			g := startGateway(t, twoDeployments(badURL, good.URL, "  cooldown_time: 30\n"), Options{Rand: first})
			retried := 0
			for i := range 20 {
				resp, b := g.post(t, "/v1/chat/completions", fmt.Sprintf(chat, "m"))
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("request %d: status %d: %s", i, resp.StatusCode, b)
				}
				if resp.Header.Get("x-litellm-attempted-retries") == "1" {
					retried++
				}
			}
			// Every request succeeds; the bad deployment is tried until it cools down, then
			// skipped for the rest of its cooldown.
			if retried != tt.hits {
				t.Errorf("%d requests needed a retry, want %d (until the bad deployment cools down)", retried, tt.hits)
			}
			if good.h.Count() != 20 {
				t.Errorf("good deployment got %d requests, want 20", good.h.Count())
			}
			if badHits != nil && badHits() != tt.hits {
				t.Errorf("bad deployment got %d requests, want %d", badHits(), tt.hits)
			}
		})
	}
}

func TestAllDeploymentsFailing(t *testing.T) {
	bad1 := startUpstream(t, fake.Options{FailRate: 1, FailStatus: 503})
	bad2 := startUpstream(t, fake.Options{FailRate: 1, FailStatus: 503})
	g := startGateway(t, twoDeployments(bad1.URL, bad2.URL, ""), Options{})
	resp, b := g.post(t, "/v1/chat/completions", fmt.Sprintf(chat, "m"))
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("got status %d, want 503: %s", resp.StatusCode, b)
	}
	checkEnvelope(t, resp, b)
	// num_retries 2: three attempts in all, the first two on different deployments.
	if n := bad1.h.Count() + bad2.h.Count(); n != 3 {
		t.Errorf("got %d upstream attempts, want 3 (1 + num_retries)", n)
	}
	if bad1.h.Count() == 0 || bad2.h.Count() == 0 {
		t.Errorf("got %d/%d attempts, want both deployments tried", bad1.h.Count(), bad2.h.Count())
	}
}

func TestNotRetried(t *testing.T) {
	for _, status := range []int{400, 413, 422} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			bad := startUpstream(t, fake.Options{FailRate: 1, FailStatus: status})
			good := startUpstream(t, fake.Options{})
			g := startGateway(t, twoDeployments(bad.URL, good.URL, ""), Options{Rand: first})
			resp, b := g.post(t, "/v1/chat/completions", fmt.Sprintf(chat, "m"))
			if resp.StatusCode != status {
				t.Errorf("got status %d, want the upstream's %d: %s", resp.StatusCode, status, b)
			}
			checkEnvelope(t, resp, b)
			if bad.h.Count() != 1 || good.h.Count() != 0 {
				t.Errorf("got %d/%d attempts, want 1/0 (not retried)", bad.h.Count(), good.h.Count())
			}
		})
	}
}

// A deployment answering 401/403/404 is misconfigured: another deployment of the group serves
// the request (U9); alone in its group, its answer goes to the client, not retried, with any
// key it echoes scrubbed.
func TestAuthErrorsTryOthers(t *testing.T) {
	for _, status := range []int{401, 403, 404} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			bad := startUpstreamHandler(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(status)
				fmt.Fprint(w, `{"error":{"message":"Incorrect API key provided: sk-bad-key-123456. You can find your API key at …","type":"invalid_request_error","code":"invalid_api_key"}}`)
			}))
			good := startUpstream(t, fake.Options{})
			g := startGateway(t, twoDeployments(bad, good.URL, ""), Options{Rand: first})
			resp, b := g.post(t, "/v1/chat/completions", fmt.Sprintf(chat, "m"))
			if resp.StatusCode != 200 || good.h.Count() != 1 {
				t.Errorf("got %d with %d good attempts, want 200 served by the other deployment: %s", resp.StatusCode, good.h.Count(), b)
			}
			alone := startGateway(t, fmt.Sprintf("model_list:\n  - model_name: m\n    litellm_params: {model: openai/x, api_base: %s/v1, api_key: sk-bad-key-123456}\n", bad), Options{})
			resp, b = alone.post(t, "/v1/chat/completions", fmt.Sprintf(chat, "m"))
			if resp.StatusCode != status {
				t.Errorf("alone: got %d, want %d", resp.StatusCode, status)
			}
			msg := checkEnvelope(t, resp, b)
			if strings.Contains(string(b), "sk-bad-key") || !strings.Contains(msg, "Incorrect API key") {
				t.Errorf("alone: message %q, want the upstream's with the key scrubbed", msg)
			}
			if strings.Contains(alone.logs.String(), "sk-bad-key") {
				t.Error("the key reached the logs")
			}
		})
	}
}

func TestSlowUpstreamTimesOut(t *testing.T) {
	slow := startUpstream(t, fake.Options{Latency: 30 * time.Second})
	fast := startUpstream(t, fake.Options{})
	g := startGateway(t, twoDeployments(slow.URL, fast.URL, "  timeout: 1\n"), Options{Rand: first})
	start := time.Now()
	resp, b := g.post(t, "/v1/chat/completions", fmt.Sprintf(chat, "m"))
	elapsed := time.Since(start)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("got status %d, want 200: %s", resp.StatusCode, b)
	}
	// Expected ≈ 1 s (the attempt timeout) plus a fast answer; 10 s bounds it generously while
	// staying far below the slow upstream's 30 s.
	if elapsed < 900*time.Millisecond || elapsed > 10*time.Second {
		t.Errorf("took %v, want about 1 s", elapsed)
	}
	if fast.h.Count() != 1 || slow.h.Count() != 1 {
		t.Errorf("got slow %d fast %d attempts, want 1 each", slow.h.Count(), fast.h.Count())
	}
	rec := slow.h.Requests()[0]
	select {
	case <-rec.Cancelled:
	case <-time.After(10 * time.Second):
		t.Error("the slow upstream never saw its request cancelled")
	}

	// With only the slow deployment, the client gets 408 after 1 + num_retries attempts.
	only := startGateway(t, fmt.Sprintf(`model_list:
  - model_name: m
    litellm_params: {model: openai/slow, api_base: %s/v1}
router_settings: {num_retries: 0, timeout: 0.3}
`, slow.URL), Options{})
	resp, b = only.post(t, "/v1/chat/completions", fmt.Sprintf(chat, "m"))
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Errorf("only a slow deployment: got status %d, want 408: %s", resp.StatusCode, b)
	}
}
