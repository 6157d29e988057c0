package server

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/switchyard/switchyard/internal/fake"
)

// TestMetricsAfterTraffic scripts traffic through a group with a failing and a healthy
// deployment and a group that falls back to it, then reads /metrics.
func TestMetricsAfterTraffic(t *testing.T) {
	bad := startUpstream(t, fake.Options{FailRate: 1, FailStatus: 500})
	good := startUpstream(t, fake.Options{})
	down := startUpstream(t, fake.Options{FailRate: 1, FailStatus: 503})
	g := startGateway(t, fmt.Sprintf(`model_list:
  - model_name: m
    litellm_params: {model: openai/bad, api_base: %s/v1, api_key: sk-bad-key-123456}
    model_info: {id: bad}
  - model_name: m
    litellm_params: {model: openai/good, api_base: %s/v1, api_key: sk-good-key-123456}
    model_info: {id: good}
  - model_name: down
    litellm_params: {model: openai/down, api_base: %s/v1, rpm: 100, tpm: 100000}
    model_info: {id: down1}
router_settings:
  num_retries: 2
  cooldown_time: 30
  fallbacks: [{down: [m]}]
`, bad.URL, good.URL, down.URL), Options{Rand: first})

	// 5 requests: the first 4 fail on "bad" and are retried on "good"; then "bad" cools down.
	for i := range 5 {
		if resp, b := g.post(t, "/v1/chat/completions", fmt.Sprintf(chat, "m")); resp.StatusCode != http.StatusOK {
			t.Fatalf("request %d: %d %s", i, resp.StatusCode, b)
		}
	}
	if resp, b := g.post(t, "/v1/chat/completions", `{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}`); resp.StatusCode != http.StatusOK {
		t.Fatalf("stream: %d %s", resp.StatusCode, b)
	}
	if resp, b := g.post(t, "/v1/chat/completions", `{"model":"down","num_retries":0,"messages":[{"role":"user","content":"hi"}]}`); resp.StatusCode != http.StatusOK {
		t.Fatalf("fallback: %d %s", resp.StatusCode, b)
	}
	if resp, _ := g.post(t, "/v1/chat/completions", fmt.Sprintf(chat, "no-such-model")); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("unknown model: %d, want 400", resp.StatusCode)
	}

	m := g.srv.metrics
	reg := m.Registry()
	counts := []struct {
		name   string
		labels string
		want   float64
	}{
		{"switchyard_requests_total", "model_group=m deployment=good provider=openai outcome=success status=200", 7},
		{"switchyard_requests_total", "model_group= deployment= provider= outcome=error status=400", 1},
		{"switchyard_upstream_attempts_total", "model_group=m deployment=bad provider=openai outcome=error error_class=InternalServerError", 4},
		{"switchyard_upstream_attempts_total", "model_group=down deployment=down1 provider=openai outcome=error error_class=InternalServerError", 1},
		{"switchyard_upstream_attempts_total", "model_group=m deployment=good provider=openai outcome=success error_class=", 7},
		{"switchyard_retries_total", "model_group=m deployment=bad provider=openai", 4},
		{"switchyard_fallbacks_total", "model_group=down fallback_group=m", 1},
		// 6 non-streaming answers of 10 tokens, one stream of 5 chunks.
		{"switchyard_output_tokens_total", "model_group=m deployment=good provider=openai", 6*fake.DefaultOutputTokens + fake.DefaultChunks},
		{"switchyard_time_to_first_token_seconds", "model_group=m deployment=good provider=openai", 1},
		{"switchyard_request_duration_seconds", "model_group=m deployment=good provider=openai", 7},
	}
	for _, c := range counts {
		if got := metricValue(t, reg, c.name, c.labels); got != c.want {
			t.Errorf("%s{%s}: got %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if n, err := testutil.GatherAndCount(reg, "switchyard_time_to_first_token_seconds"); err != nil || n != 1 {
		t.Errorf("TTFT histograms: %d series (%v), want 1 (the stream on good)", n, err)
	}
	if n, err := testutil.GatherAndCount(reg, "switchyard_input_tokens_total"); err != nil || n != 1 {
		t.Errorf("input token series: %d (%v), want 1 (good)", n, err)
	}

	// Scrape-time gauges, as Prometheus reads them.
	want := `
# HELP switchyard_deployment_cooling_down 1 while the deployment is in cooldown (taken out of routing after failures), else 0.
# TYPE switchyard_deployment_cooling_down gauge
switchyard_deployment_cooling_down{deployment="bad",model_group="m",provider="openai"} 1
switchyard_deployment_cooling_down{deployment="down1",model_group="down",provider="openai"} 0
switchyard_deployment_cooling_down{deployment="good",model_group="m",provider="openai"} 0
# HELP switchyard_deployment_requests_limit The deployment's rpm quota (absent when unlimited).
# TYPE switchyard_deployment_requests_limit gauge
switchyard_deployment_requests_limit{deployment="down1",model_group="down",provider="openai"} 100
# HELP switchyard_deployment_requests_used Requests counted against the deployment's rpm over the last 60 s (only deployments with an rpm or tpm quota are counted).
# TYPE switchyard_deployment_requests_used gauge
switchyard_deployment_requests_used{deployment="down1",model_group="down",provider="openai"} 1
# HELP switchyard_deployment_tokens_limit The deployment's tpm quota (absent when unlimited).
# TYPE switchyard_deployment_tokens_limit gauge
switchyard_deployment_tokens_limit{deployment="down1",model_group="down",provider="openai"} 100000
# HELP switchyard_deployment_in_flight_requests Upstream calls to the deployment not yet finished (a stream until its end).
# TYPE switchyard_deployment_in_flight_requests gauge
switchyard_deployment_in_flight_requests{deployment="bad",model_group="m",provider="openai"} 0
switchyard_deployment_in_flight_requests{deployment="down1",model_group="down",provider="openai"} 0
switchyard_deployment_in_flight_requests{deployment="good",model_group="m",provider="openai"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"switchyard_deployment_cooling_down", "switchyard_deployment_requests_limit", "switchyard_deployment_requests_used",
		"switchyard_deployment_tokens_limit", "switchyard_deployment_in_flight_requests"); err != nil {
		t.Error(err)
	}

	// The endpoint serves the same registry, with no key and no secret in it.
	resp, b := g.get(t, "/metrics")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d", resp.StatusCode)
	}
	body := string(b)
	for _, s := range []string{`switchyard_requests_total{deployment="good",model_group="m",outcome="success",provider="openai",status="200"} 7`,
		"switchyard_request_duration_seconds_bucket", "switchyard_time_to_first_token_seconds_count", "go_goroutines"} {
		if !strings.Contains(body, s) {
			t.Errorf("/metrics lacks %q", s)
		}
	}
	for _, secret := range []string{"sk-bad-key-123456", "sk-good-key-123456", "no-such-model", bad.URL, good.URL} {
		if strings.Contains(body, secret) {
			t.Errorf("/metrics contains %q", secret)
		}
	}
}

func TestMetricsAuth(t *testing.T) {
	good := startUpstream(t, fake.Options{})
	base := fmt.Sprintf("model_list:\n  - model_name: m\n    litellm_params: {model: openai/m, api_base: %s/v1}\ngeneral_settings:\n  master_key: sk-master-1234\n", good.URL)
	for _, tt := range []struct {
		name         string
		extra        string
		noKey, okKey int
	}{
		{"open by default", "", http.StatusOK, http.StatusOK},
		{"require_auth_for_metrics_endpoint", "litellm_settings:\n  require_auth_for_metrics_endpoint: true\n", http.StatusUnauthorized, http.StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := startGateway(t, base+tt.extra, Options{})
			if resp, _ := g.get(t, "/metrics"); resp.StatusCode != tt.noKey {
				t.Errorf("no key: %d, want %d", resp.StatusCode, tt.noKey)
			}
			if resp, _ := g.get(t, "/metrics", "Authorization", "Bearer sk-master-1234"); resp.StatusCode != tt.okKey {
				t.Errorf("master key: %d, want %d", resp.StatusCode, tt.okKey)
			}
		})
	}
}

// TestMetricsReloadDropsRemoved: a deployment removed by a reload leaves /metrics.
func TestMetricsReloadDropsRemoved(t *testing.T) {
	a := startUpstream(t, fake.Options{})
	two := fmt.Sprintf("model_list:\n  - model_name: m\n    litellm_params: {model: openai/a, api_base: %[1]s/v1}\n    model_info: {id: a}\n  - model_name: n\n    litellm_params: {model: openai/b, api_base: %[1]s/v1}\n    model_info: {id: b}\n", a.URL)
	g := startGateway(t, two, Options{})
	g.post(t, "/v1/chat/completions", fmt.Sprintf(chat, "m"))
	g.post(t, "/v1/chat/completions", fmt.Sprintf(chat, "n"))
	one := fmt.Sprintf("model_list:\n  - model_name: m\n    litellm_params: {model: openai/a, api_base: %s/v1}\n    model_info: {id: a}\n", a.URL)
	if err := g.srv.Reload(mustParse(t, one)); err != nil {
		t.Fatal(err)
	}
	_, b := g.get(t, "/metrics")
	if !strings.Contains(string(b), `deployment="a"`) {
		t.Errorf("/metrics lost deployment a, which the reload kept")
	}
	if strings.Contains(string(b), `deployment="b"`) {
		t.Errorf("/metrics still shows deployment b after the reload removed it")
	}
}

// metricValue returns the value of name's series whose labels are exactly labels ("k=v k=v",
// any order, empty values allowed): a counter's or gauge's value, a histogram's sample count.
// It fails the test when there is no such series.
func metricValue(t *testing.T, reg *prometheus.Registry, name, labels string) float64 {
	t.Helper()
	want := strings.Fields(labels)
	slices.Sort(want)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			var got []string
			for _, lp := range m.GetLabel() {
				got = append(got, lp.GetName()+"="+lp.GetValue())
			}
			slices.Sort(got)
			seen = append(seen, strings.Join(got, " "))
			if !slices.Equal(got, want) {
				continue
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount())
			}
		}
	}
	t.Errorf("%s{%s}: no such series; have %q", name, labels, seen)
	return -1
}
