package metrics

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestSuccessSeriesCachedAndForgotten checks that the cached success-path series count like
// the vectors' own, appear only once used, and are dropped with their deployment.
func TestSuccessSeriesCachedAndForgotten(t *testing.T) {
	m := New(Options{})
	l := Labels{Group: "g", Deployment: "d1", Provider: "openai"}
	for range 3 {
		m.Request(l, "success", 200, time.Millisecond)
		m.Attempt(l, "", 0, time.Millisecond, 10, 0)
	}
	m.Request(l, "error", 502, time.Millisecond)
	if got := testutil.ToFloat64(m.requests.WithLabelValues("g", "d1", "openai", "success", "200")); got != 3 {
		t.Errorf("requests success/200 = %v, want 3", got)
	}
	if got := testutil.ToFloat64(m.inTokens.WithLabelValues("g", "d1", "openai")); got != 30 {
		t.Errorf("input tokens = %v, want 30", got)
	}
	if n := testutil.CollectAndCount(m.outTokens); n != 0 {
		t.Errorf("output token series = %d, want 0 (none recorded)", n)
	}
	m.Forget("d1")
	if n := testutil.CollectAndCount(m.requests); n != 0 {
		t.Errorf("after Forget: %d request series, want 0", n)
	}
	m.Request(l, "success", 200, time.Millisecond)
	if got := testutil.ToFloat64(m.requests.WithLabelValues("g", "d1", "openai", "success", "200")); got != 1 {
		t.Errorf("after Forget and one request: %v, want 1 (a fresh series, not the forgotten one)", got)
	}
}

// BenchmarkSuccessPath is what one successful request costs the metrics: its request and its
// attempt.
func BenchmarkSuccessPath(b *testing.B) {
	m := New(Options{})
	l := Labels{Group: "gpt-4o", Deployment: "eastus-1", Provider: "azure"}
	b.ReportAllocs()
	for b.Loop() {
		m.Attempt(l, "", 0, time.Millisecond, 12, 30)
		m.Request(l, "success", 200, time.Millisecond)
	}
}
