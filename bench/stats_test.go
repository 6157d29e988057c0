package main

import (
	"slices"
	"testing"
	"time"
)

// seq returns the durations 1..n milliseconds, shuffled deterministically.
func seq(n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = time.Duration((i*7919)%n+1) * time.Millisecond
	}
	return out
}

func TestPercentile(t *testing.T) {
	sorted := func(n int) []time.Duration { s := seq(n); slices.Sort(s); return s }
	tests := []struct {
		name string
		data []time.Duration
		p    float64
		want time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one sample p50", []time.Duration{3 * time.Millisecond}, 50, 3 * time.Millisecond},
		{"one sample p99.9", []time.Duration{3 * time.Millisecond}, 99.9, 3 * time.Millisecond},
		{"p0 is the minimum", sorted(10), 0, 1 * time.Millisecond},
		{"p50 of 100", sorted(100), 50, 50 * time.Millisecond},
		{"p90 of 100", sorted(100), 90, 90 * time.Millisecond},
		{"p99 of 100", sorted(100), 99, 99 * time.Millisecond},
		{"p99.9 of 100 is the max", sorted(100), 99.9, 100 * time.Millisecond},
		{"p99.9 of 1000", sorted(1000), 99.9, 999 * time.Millisecond},
		{"p99 of 1000", sorted(1000), 99, 990 * time.Millisecond},
		{"p100 of 1000", sorted(1000), 100, 1000 * time.Millisecond},
		{"p50 of 2 is the lower", []time.Duration{1, 2}, 50, 1},
		{"p51 of 2 is the upper", []time.Duration{1, 2}, 51, 2},
	}
	for _, tt := range tests {
		if got := percentile(tt.data, tt.p); got != tt.want {
			t.Errorf("%s: percentile(p%v) = %v, want %v", tt.name, tt.p, got, tt.want)
		}
	}
}

func TestSummarize(t *testing.T) {
	if got := summarize(nil); got != (Percentiles{}) {
		t.Errorf("summarize(nil) = %+v, want zero", got)
	}
	got := summarize(seq(1000))
	want := Percentiles{N: 1000, Mean: 500.5, P50: 500, P90: 900, P99: 990, P999: 999, Max: 1000}
	if got != want {
		t.Errorf("summarize(1..1000 ms) = %+v, want %+v", got, want)
	}
	one := summarize([]time.Duration{1500 * time.Microsecond})
	if one.N != 1 || one.P50 != 1.5 || one.P999 != 1.5 || one.Max != 1.5 || one.Mean != 1.5 {
		t.Errorf("summarize(1.5 ms) = %+v, want every field 1.5 and N 1", one)
	}
}
