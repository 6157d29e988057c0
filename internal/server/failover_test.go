package server

import (
	"fmt"
	"net/http"
	"strconv"
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
	}{
		{"upstream answers 500", func(t *testing.T) (string, func() int) {
			u := startUpstream(t, fake.Options{FailRate: 1, FailStatus: 500})
			return u.URL, u.h.Count
		}},
		{"upstream answers 429", func(t *testing.T) (string, func() int) {
			u := startUpstream(t, fake.Options{FailRate: 1, FailStatus: 429})
			return u.URL, u.h.Count
		}},
		{"connection refused", func(t *testing.T) (string, func() int) {
			return refusedURL(t), func() int { return 1 }
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			badURL, badHits := tt.bad(t)
			good := startUpstream(t, fake.Options{})
			g := startGateway(t, twoDeployments(badURL, good.URL, ""), Options{Rand: first})
			for i := range 20 {
				resp, b := g.post(t, "/v1/chat/completions", fmt.Sprintf(chat, "m"))
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("request %d: status %d: %s", i, resp.StatusCode, b)
				}
				if got := resp.Header.Get("x-litellm-attempted-retries"); got != "1" {
					t.Errorf("request %d: x-litellm-attempted-retries %q, want 1", i, got)
				}
			}
			if good.h.Count() != 20 || badHits() == 0 {
				t.Errorf("got good %d bad %d upstream hits, want 20 and > 0", good.h.Count(), badHits())
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
	for _, status := range []int{400, 401, 404, 422} {
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
