package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// uiYAML has three deployments of one group: ok, flaky (its client requests fail with 429, which
// cools it down at once in a group of more than one) and sick (fails everything, so its
// background health checks fail). %s takes extra general_settings lines.
const uiYAML = `
model_list:
  - model_name: gpt-4o
    litellm_params: {model: openai/gpt-4o, api_base: %q, api_key: sk-key-ok-1111, rpm: 1200, tpm: 20000}
    model_info: {id: eastus-ok}
  - model_name: gpt-4o
    litellm_params: {model: openai/gpt-4o, api_base: %q, api_key: sk-key-flaky-2222, rpm: 600}
    model_info: {id: westeu-flaky}
  - model_name: gpt-4o
    litellm_params: {model: openai/gpt-4o, api_base: %q, api_key: sk-key-sick-3333, max_parallel_requests: 8}
    model_info: {id: japan-sick}
  - model_name: embed
    litellm_params: {model: openai/text-embedding-3-small, api_base: %q, api_key: sk-key-ok-1111}
    model_info: {id: embed-1, mode: embedding}
router_settings: {num_retries: 0, cooldown_time: 30}
general_settings:
  master_key: sk-master-ui
%s`

type uiTestState struct {
	SpanS  int `json:"span_s"`
	StepS  int `json:"step_s"`
	Groups []struct {
		Name        string
		Deployments []struct {
			ID     string `json:"id"`
			State  string `json:"state"`
			Series struct {
				Requests []int `json:"requests"`
				Errors   []int `json:"errors"`
			} `json:"series"`
			RPMUsed  int64 `json:"rpm_used"`
			RPMLimit int64 `json:"rpm_limit"`
		}
	}
}

func TestUIStateAndPage(t *testing.T) {
	ok, flaky := startSwitchable(t, "ok"), startSwitchable(t, "flaky")
	flaky.failClients.Store(http.StatusTooManyRequests)
	g := startGateway(t, fmt.Sprintf(uiYAML, ok.URL, flaky.URL, ok.URL, ok.URL, ""), Options{})

	resp, page := g.get(t, "/ui")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(string(page), "/ui/state") || resp.Header.Get("Content-Security-Policy") == "" {
		t.Fatalf("GET /ui without a key: got %d %s, want the page (open route, with a CSP)", resp.StatusCode, resp.Header)
	}
	if resp, _ := g.get(t, "/ui/state"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET /ui/state without a key: got %d, want 401", resp.StatusCode)
	}

	for range 10 {
		g.post(t, "/v1/chat/completions", fmt.Sprintf(chat, "gpt-4o"), "Authorization", "Bearer sk-master-ui")
	}
	resp, body := g.get(t, "/ui/state?span=60", "Authorization", "Bearer sk-master-ui")
	if resp.StatusCode != 200 {
		t.Fatalf("GET /ui/state: %d %s", resp.StatusCode, body)
	}
	for _, secret := range []string{"sk-key-ok-1111", "sk-key-flaky-2222", "sk-key-sick-3333", "sk-master-ui"} {
		if strings.Contains(string(body), secret) {
			t.Fatalf("GET /ui/state shows a key: %s", body)
		}
	}
	var st uiTestState
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatal(err)
	}
	if st.SpanS != 60 || st.StepS != 1 || len(st.Groups) != 2 || len(st.Groups[0].Deployments) != 3 {
		t.Fatalf("state: got span %d step %d and %d groups: %s", st.SpanS, st.StepS, len(st.Groups), body)
	}
	var total, errs int
	states := map[string]string{}
	for _, d := range st.Groups[0].Deployments {
		states[d.ID] = d.State
		for i := range d.Series.Requests {
			total += d.Series.Requests[i]
			errs += d.Series.Errors[i]
		}
		if len(d.Series.Requests) != 60 {
			t.Errorf("%s: %d points, want 60", d.ID, len(d.Series.Requests))
		}
	}
	if states["westeu-flaky"] != "cooling" || states["eastus-ok"] != "healthy" {
		t.Errorf("states: got %v, want westeu-flaky cooling and eastus-ok healthy", states)
	}
	// Every attempt is recorded: ten requests, no retries; the flaky one failed once and then
	// cooled down.
	if total != 10 || errs != 1 {
		t.Errorf("recorded attempts: got %d with %d errors, want 10 with 1", total, errs)
	}
	if d := st.Groups[0].Deployments[0]; d.RPMLimit != 1200 || d.RPMUsed < 1 {
		t.Errorf("eastus-ok quota: got %d/%d, want some of 1200", d.RPMUsed, d.RPMLimit)
	}
}
