package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/fake"
)

// groupOf returns a config of one group "m" whose deployments point at urls with the given
// litellm_params (YAML flow-map bodies, e.g. "rpm: 6"), and router settings.
func groupOf(urls []string, params []string, router string) string {
	var b strings.Builder
	b.WriteString("model_list:\n")
	for i, u := range urls {
		fmt.Fprintf(&b, "  - model_name: m\n    litellm_params: {model: openai/d%d, api_base: %s/v1, %s}\n    model_info: {id: d%d}\n", i, u, params[i], i)
	}
	b.WriteString("router_settings:\n" + router)
	return b.String()
}

// burst sends n requests from conc concurrent clients and counts answers by status.
func burst(t *testing.T, g *gateway, n, conc int, body string) map[int]int {
	t.Helper()
	var mu sync.Mutex
	got := map[int]int{}
	var wg sync.WaitGroup
	jobs := make(chan struct{})
	for range conc {
		wg.Go(func() {
			for range jobs {
				resp, b := g.post(t, "/v1/chat/completions", body)
				mu.Lock()
				got[resp.StatusCode]++
				mu.Unlock()
				if resp.StatusCode == http.StatusTooManyRequests {
					ra, err := strconv.Atoi(resp.Header.Get("Retry-After"))
					if err != nil || ra < 1 || ra > 60 {
						t.Errorf("429 Retry-After %q, want 1..60 s", resp.Header.Get("Retry-After"))
					}
					if msg := checkEnvelope(t, resp, b); !strings.Contains(msg, "No deployments available for selected model: m") {
						t.Errorf("429 message %q, want LiteLLM's text naming the group", msg)
					}
				}
			}
		})
	}
	for range n {
		jobs <- struct{}{}
	}
	close(jobs)
	wg.Wait()
	return got
}

func TestUsageBasedRoutingHoldsRPM(t *testing.T) {
	ups := []*upstream{startUpstream(t, fake.Options{}), startUpstream(t, fake.Options{}), startUpstream(t, fake.Options{})}
	g := startGateway(t, groupOf([]string{ups[0].URL, ups[1].URL, ups[2].URL},
		[]string{"rpm: 6", "rpm: 6", "rpm: 1440"}, "  routing_strategy: usage-based-routing\n"), Options{})
	got := burst(t, g, 300, 16, fmt.Sprintf(chat, "m"))
	if got[200] != 300 {
		t.Errorf("got statuses %v, want 300 × 200", got)
	}
	for i, u := range ups[:2] {
		if n := u.h.Count(); n > 6 {
			t.Errorf("rpm-6 deployment d%d got %d requests in the minute, want ≤ 6", i, n)
		}
	}
	if n := ups[0].h.Count() + ups[1].h.Count() + ups[2].h.Count(); n != 300 {
		t.Errorf("upstreams saw %d requests, want 300", n)
	}
}

func TestTinyQuotasGive429(t *testing.T) {
	for _, strategy := range []string{"simple-shuffle", "least-busy", "usage-based-routing-v2", "latency-based-routing", "cost-based-routing"} {
		t.Run(strategy, func(t *testing.T) {
			a, b := startUpstream(t, fake.Options{}), startUpstream(t, fake.Options{})
			g := startGateway(t, groupOf([]string{a.URL, b.URL}, []string{"rpm: 2", "rpm: 3"},
				"  routing_strategy: "+strategy+"\n"), Options{})
			got := burst(t, g, 12, 4, fmt.Sprintf(chat, "m"))
			if got[200] != 5 || got[429] != 7 {
				t.Errorf("got statuses %v, want 5 × 200 and 7 × 429", got)
			}
			if a.h.Count() > 2 || b.h.Count() > 3 {
				t.Errorf("upstreams got %d/%d requests, want ≤ 2/3", a.h.Count(), b.h.Count())
			}
			resp, body := g.post(t, "/v1/chat/completions", fmt.Sprintf(chat, "m"))
			if msg := checkEnvelope(t, resp, body); !strings.Contains(msg, "d0: rpm 2/2") || !strings.Contains(msg, "d1: rpm 3/3") {
				t.Errorf("429 message %q, want each deployment's rpm used/limit", msg)
			}
		})
	}
}

func TestTPMWithLargePrompts(t *testing.T) {
	up := startUpstream(t, fake.Options{OutputTokens: 10})
	g := startGateway(t, groupOf([]string{up.URL}, []string{"tpm: 10000"}, ""), Options{})
	// ≈ 2,000 prompt tokens each (8 KiB / 4): the 10,000-token quota admits 4 to 5 of them;
	// sent one at a time there is nothing in flight, so the documented overshoot is 0.
	prompt := strings.Repeat("a", 8000)
	body := fmt.Sprintf(`{"model":"m","messages":[{"role":"user","content":%q}]}`, prompt)
	var statuses []int
	for range 8 {
		resp, _ := g.post(t, "/v1/chat/completions", body)
		statuses = append(statuses, resp.StatusCode)
	}
	if n := up.h.Count(); n < 4 || n > 5 {
		t.Errorf("upstream got %d requests of ≈2,000 tokens under tpm 10,000, want 4 or 5 (statuses %v)", n, statuses)
	}
	if statuses[7] != http.StatusTooManyRequests {
		t.Errorf("statuses %v, want 429 once the quota is full", statuses)
	}
	used := g.srv.usage.Used("d0").Tokens
	if used > 10000 {
		t.Errorf("tokens counted %d, want ≤ tpm 10,000", used)
	}
}

func TestRateLimitHeaders(t *testing.T) {
	a, b := startUpstream(t, fake.Options{}), startUpstream(t, fake.Options{})
	g := startGateway(t, groupOf([]string{a.URL, b.URL}, []string{"rpm: 10, tpm: 1000", "rpm: 20"}, ""), Options{})
	resp, _ := g.post(t, "/v1/chat/completions", fmt.Sprintf(chat, "m"))
	want := map[string]string{"x-ratelimit-limit-requests": "30", "x-ratelimit-remaining-requests": "29",
		"x-ratelimit-limit-tokens": "1000"}
	for h, v := range want {
		if got := resp.Header.Get(h); got != v {
			t.Errorf("%s: got %q, want %q", h, got, v)
		}
	}
	if rem, _ := strconv.Atoi(resp.Header.Get("x-ratelimit-remaining-tokens")); rem >= 1000 && a.h.Count() == 1 {
		t.Errorf("x-ratelimit-remaining-tokens %d after a call on the tpm deployment, want < 1000", rem)
	}
}

func TestLeastBusyPrefersTheFastDeployment(t *testing.T) {
	slow := startUpstream(t, fake.Options{Latency: 300 * time.Millisecond})
	fast := startUpstream(t, fake.Options{Latency: 10 * time.Millisecond})
	g := startGateway(t, groupOf([]string{slow.URL, fast.URL}, []string{"rpm: 100000", "rpm: 100000"},
		"  routing_strategy: least-busy\n"), Options{})
	got := burst(t, g, 200, 16, fmt.Sprintf(chat, "m"))
	if got[200] != 200 {
		t.Fatalf("statuses %v, want all 200", got)
	}
	if s, f := slow.h.Count(), fast.h.Count(); f < 3*s {
		t.Errorf("slow got %d, fast %d: want the fast deployment to take the clear majority (≥ 3×)", s, f)
	}
}

func TestLeastBusyStreamHoldsItsSlot(t *testing.T) {
	a := startUpstream(t, fake.Options{Chunks: 50, ChunkGap: 100 * time.Millisecond})
	b := startUpstream(t, fake.Options{})
	g := startGateway(t, groupOf([]string{a.URL, b.URL}, []string{"weight: 1", "weight: 1"},
		"  routing_strategy: least-busy\n"), Options{Rand: first})
	// Rand 0 breaks the 0/0 tie towards d0: the stream goes to a.
	resp, err := g.Client().Post(g.URL+"/v1/chat/completions", "application/json",
		strings.NewReader(`{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := make([]byte, 256)
	if _, err := resp.Body.Read(buf); err != nil {
		t.Fatal(err)
	}
	if resp.Header.Get("x-litellm-model-id") != "d0" {
		t.Fatalf("stream went to %s, want d0", resp.Header.Get("x-litellm-model-id"))
	}
	for range 10 {
		r, body := g.post(t, "/v1/chat/completions", fmt.Sprintf(chat, "m"))
		if id := r.Header.Get("x-litellm-model-id"); id != "d1" {
			t.Errorf("while d0 streams, a request went to %s (%s), want d1", id, body)
		}
	}
}

// adjustable wraps a fake upstream whose latency can change while the test runs.
type adjustable struct {
	h       *fake.Handler
	latency atomic.Int64
	count   atomic.Int64
}

func (a *adjustable) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.count.Add(1)
	time.Sleep(time.Duration(a.latency.Load()))
	a.h.ServeHTTP(w, r)
}

func TestLatencyBasedRouting(t *testing.T) {
	fastH := &adjustable{h: fake.NewHandler(fake.Options{})}
	slowH := &adjustable{h: fake.NewHandler(fake.Options{})}
	fastH.latency.Store(int64(5 * time.Millisecond))
	slowH.latency.Store(int64(80 * time.Millisecond))
	fast, slow := startUpstreamHandler(t, fastH), startUpstreamHandler(t, slowH)
	g := startGateway(t, groupOf([]string{slow, fast}, []string{"rpm: 100000", "rpm: 100000"},
		"  routing_strategy: latency-based-routing\n  routing_strategy_args: {ttl: 1}\n"), Options{})
	body := fmt.Sprintf(chat, "m")
	for range 10 { // warm-up
		g.post(t, "/v1/chat/completions", body)
	}
	f0, s0 := fastH.count.Load(), slowH.count.Load()
	burst(t, g, 100, 4, body)
	f, s := fastH.count.Load()-f0, slowH.count.Load()-s0
	if f*100 < 75*(f+s) {
		t.Errorf("after warm-up fast got %d, slow %d: want the fast deployment over 75 %%", f, s)
	}
	// The fast one turns slow: traffic moves away once the window (ttl 1 s) forgets.
	fastH.latency.Store(int64(150 * time.Millisecond))
	slowH.latency.Store(int64(5 * time.Millisecond))
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		f0, s0 = fastH.count.Load(), slowH.count.Load()
		burst(t, g, 20, 4, body)
		f, s = fastH.count.Load()-f0, slowH.count.Load()-s0
		if s*100 >= 75*(f+s) {
			return
		}
	}
	t.Errorf("10 s after the fast deployment turned slow, the last 20 requests still went %d fast / %d slow", f, s)
}

func TestConcurrentRequestsLeaveNoLeaks(t *testing.T) {
	a, b := startUpstream(t, fake.Options{Latency: 2 * time.Millisecond}), startUpstream(t, fake.Options{})
	g := startGateway(t, groupOf([]string{a.URL, b.URL}, []string{"rpm: 50, max_parallel_requests: 8", "rpm: 100000"},
		"  routing_strategy: usage-based-routing\n"), Options{})
	stream := `{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}`
	var wg sync.WaitGroup
	for i := range 200 {
		body := fmt.Sprintf(chat, "m")
		if i%3 == 0 {
			body = stream
		}
		wg.Go(func() {
			resp, b := g.post(t, "/v1/chat/completions", body)
			if resp.StatusCode != 200 {
				t.Errorf("status %d: %s", resp.StatusCode, b)
			}
		})
	}
	wg.Wait()
	if a.h.Count() > 50 {
		t.Errorf("rpm-50 deployment got %d requests, want ≤ 50", a.h.Count())
	}
	for i, d := range g.srv.Table().All() {
		if n := d.InFlight.Load(); n != 0 {
			t.Errorf("d%d in flight %d after all requests ended, want 0", i, n)
		}
		u := g.srv.usage.Used(d.ID)
		want := []int{a.h.Count(), b.h.Count()}[i]
		if u.Requests != int64(want) || u.Tokens < 0 {
			t.Errorf("d%d usage %+v, want %d requests (what its upstream saw) and tokens ≥ 0", i, u, want)
		}
	}
}

func TestMaxParallelRequestsWaitsThenServes(t *testing.T) {
	var cur, peak atomic.Int64
	h := fake.NewHandler(fake.Options{})
	srv := startUpstreamHandler(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := cur.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		time.Sleep(50 * time.Millisecond)
		h.ServeHTTP(w, r)
		cur.Add(-1)
	}))
	g := startGateway(t, groupOf([]string{srv}, []string{"max_parallel_requests: 2"}, "  timeout: 10\n"), Options{})
	got := burst(t, g, 8, 8, fmt.Sprintf(chat, "m"))
	if got[200] != 8 {
		t.Errorf("statuses %v, want all 8 served after waiting for a slot", got)
	}
	if p := peak.Load(); p > 2 {
		t.Errorf("upstream saw %d requests at once, want ≤ max_parallel_requests 2", p)
	}
	// With a timeout shorter than the wait, the excess gets 429.
	g2 := startGateway(t, groupOf([]string{srv}, []string{"max_parallel_requests: 1"}, "  timeout: 0.02\n  num_retries: 0\n"), Options{})
	if got := burst(t, g2, 4, 4, fmt.Sprintf(chat, "m")); got[429] == 0 {
		t.Errorf("statuses %v, want some 429 when the wait for a slot outlasts the timeout", got)
	}
}

func TestStreamUsageAskedAndStripped(t *testing.T) {
	up := startUpstream(t, fake.Options{Chunks: 3})
	g := startGateway(t, groupOf([]string{up.URL}, []string{"tpm: 100000"}, ""), Options{})
	resp, b := g.post(t, "/v1/chat/completions", `{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	var sent struct {
		StreamOptions struct {
			IncludeUsage bool `json:"include_usage"`
		} `json:"stream_options"`
	}
	json.Unmarshal(up.h.Requests()[0].Body, &sent)
	if !sent.StreamOptions.IncludeUsage {
		t.Errorf("upstream body %s: want stream_options.include_usage true", up.h.Requests()[0].Body)
	}
	if strings.Contains(string(b), `"prompt_tokens"`) {
		t.Errorf("client that did not ask for usage got a usage chunk: %s", b)
	}
	if !strings.HasSuffix(string(b), "data: [DONE]\n\n") {
		t.Errorf("stream does not end with [DONE]")
	}
	used := g.srv.usage.Used("d0").Tokens
	if used <= 0 {
		t.Errorf("tokens counted %d, want the upstream's usage", used)
	}
	// A client that asks keeps the chunk.
	_, b = g.post(t, "/v1/chat/completions", `{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`)
	if !strings.Contains(string(b), `"prompt_tokens"`) {
		t.Errorf("client that asked for usage did not get it: %s", b)
	}
}

// A run that crosses a minute boundary changes nothing: the window rolls, so 6 requests at
// 0:59.5 still count at 1:00.5 (LiteLLM's calendar minute would admit 6 more), and room comes
// back only 60 s after them.
func TestQuotaAcrossMinuteBoundary(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 11, 22, 10, 0, 59, 500_000_000, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	up := startUpstream(t, fake.Options{})
	g := startGateway(t, groupOf([]string{up.URL}, []string{"rpm: 6"}, "  routing_strategy: usage-based-routing\n"), Options{Now: clock})
	body := fmt.Sprintf(chat, "m")
	for i := range 6 {
		if resp, b := g.post(t, "/v1/chat/completions", body); resp.StatusCode != 200 {
			t.Fatalf("request %d at 0:59.5: status %d: %s", i, resp.StatusCode, b)
		}
	}
	advance(time.Second) // 1:00.5: a new calendar minute, the same rolling window
	if resp, _ := g.post(t, "/v1/chat/completions", body); resp.StatusCode != 429 {
		t.Errorf("at 1:00.5 got %d, want 429: the 6 from 0:59.5 are still in the window", resp.StatusCode)
	}
	advance(59 * time.Second) // 1:59.5
	if resp, _ := g.post(t, "/v1/chat/completions", body); resp.StatusCode != 429 {
		t.Errorf("at 1:59.5 got %d, want 429", resp.StatusCode)
	}
	advance(2 * time.Second) // 2:01.5: more than 60 s after them
	if resp, b := g.post(t, "/v1/chat/completions", body); resp.StatusCode != 200 {
		t.Errorf("at 2:01.5 got %d, want 200: %s", resp.StatusCode, b)
	}
	if n := up.h.Count(); n != 7 {
		t.Errorf("upstream got %d requests, want 7", n)
	}
}
