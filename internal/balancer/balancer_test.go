package balancer

import (
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/deployment"
	"github.com/switchyard/switchyard/internal/usage"
)

// group returns n deployments "d0"… at indexes 0…n-1, as one Table would hold them.
func group(n int) []*deployment.Deployment {
	ds := make([]*deployment.Deployment, n)
	for i := range ds {
		ds[i] = deployment.New(config.Deployment{ID: fmt.Sprintf("d%d", i)}, i)
	}
	return ds
}

// tally picks n times and counts the picks per deployment id.
func tally(s Strategy, cands []*deployment.Deployment, n int) map[string]int {
	got := map[string]int{}
	for range n {
		got[s.Pick(cands).ID]++
	}
	return got
}

// checkTally compares picks with want (exact, ± slack); ids missing from want must get none.
func checkTally(t *testing.T, got, want map[string]int, slack int) {
	t.Helper()
	for id, n := range want {
		if diff := got[id] - n; diff < -slack || diff > slack {
			t.Errorf("%s: got %d picks, want %d", id, got[id], n)
		}
	}
	for id, n := range got {
		if _, ok := want[id]; !ok {
			t.Errorf("%s: got %d picks, want none", id, n)
		}
	}
}

// usedTokens is a UsageReader over fixed token counts.
type usedTokens map[string]int64

func (u usedTokens) Used(id string) usage.Used { return usage.Used{Tokens: u[id]} }

func TestNew(t *testing.T) {
	want := map[string]string{
		"":                       "*balancer.SimpleShuffle",
		"simple-shuffle":         "*balancer.SimpleShuffle",
		"least-busy":             "*balancer.LeastBusy",
		"usage-based-routing":    "*balancer.UsageBased",
		"usage-based-routing-v2": "*balancer.UsageBased",
		"latency-based-routing":  "*balancer.Latency",
		"cost-based-routing":     "*balancer.Cost",
	}
	for _, name := range append([]string{""}, config.RoutingStrategies...) {
		s, err := New(name, Options{})
		if err != nil {
			t.Errorf("New(%q): %v", name, err)
			continue
		}
		if got := fmt.Sprintf("%T", s); got != want[name] {
			t.Errorf("New(%q): got %s, want %s", name, got, want[name])
		}
	}
	if _, err := New("round-robin", Options{}); err == nil {
		t.Error("New(\"round-robin\"): got nil error, want one")
	}
}

func TestNewLatencyArgs(t *testing.T) {
	tests := []struct {
		name    string
		args    map[string]any
		ttl     int64
		buffer  float64
		size    int
		wantErr string
	}{
		{"defaults", nil, 3600, 0, 10, ""},
		{"int", map[string]any{"ttl": 60, "lowest_latency_buffer": 1, "max_latency_list_size": 5}, 60, 1, 5, ""},
		{"int64 and float64", map[string]any{"ttl": int64(90), "lowest_latency_buffer": 0.5, "max_latency_list_size": 3.0}, 90, 0.5, 3, ""},
		{"numeric strings", map[string]any{"ttl": "30", "lowest_latency_buffer": "0.25"}, 30, 0.25, 10, ""},
		{"fractional ttl rounds up", map[string]any{"ttl": 0.5}, 1, 0, 10, ""},
		{"null is the default", map[string]any{"ttl": nil}, 3600, 0, 10, ""},
		{"other keys ignored", map[string]any{"rpm": 5}, 3600, 0, 10, ""},
		{"zero ttl", map[string]any{"ttl": 0}, 0, 0, 0, "routing_strategy_args.ttl: must be more than 0 seconds, got 0"},
		{"negative buffer", map[string]any{"lowest_latency_buffer": -0.1}, 0, 0, 0,
			"routing_strategy_args.lowest_latency_buffer: must be 0 or more, got -0.1"},
		{"not a number", map[string]any{"ttl": "soon"}, 0, 0, 0, `routing_strategy_args.ttl: expected a number, got "soon"`},
		{"wrong type", map[string]any{"ttl": []any{1}}, 0, 0, 0, "routing_strategy_args.ttl: expected a number, got []interface {}"},
		{"infinite", map[string]any{"lowest_latency_buffer": math.Inf(1)}, 0, 0, 0,
			"routing_strategy_args.lowest_latency_buffer: expected a finite number, got +Inf"},
		{"list size too big", map[string]any{"max_latency_list_size": 1000}, 0, 0, 0,
			"routing_strategy_args.max_latency_list_size: must be a whole number from 1 to 100, got 1000"},
		{"list size fractional", map[string]any{"max_latency_list_size": 2.5}, 0, 0, 0,
			"routing_strategy_args.max_latency_list_size: must be a whole number from 1 to 100, got 2.5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := NewLatency(Options{Args: tt.args})
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("got error %v, want %q", err, tt.wantErr)
				}
				if _, err := New("latency-based-routing", Options{Args: tt.args}); err == nil {
					t.Error("New: got nil error, want one")
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if l.ttl != tt.ttl || l.buffer != tt.buffer || l.size != tt.size {
				t.Errorf("got ttl %d, buffer %v, size %d; want %d, %v, %d", l.ttl, l.buffer, l.size, tt.ttl, tt.buffer, tt.size)
			}
		})
	}
}

func TestLowest(t *testing.T) {
	big := group(100)
	tests := []struct {
		name  string
		cands []*deployment.Deployment
		key   func(*deployment.Deployment) float64
		want  map[string]int // picks out of 1000
	}{
		{"unique lowest", group(3), func(d *deployment.Deployment) float64 { return float64(2 - d.Index) },
			map[string]int{"d2": 1000}},
		{"ties even", group(4), func(d *deployment.Deployment) float64 { return float64(d.Index % 2) },
			map[string]int{"d0": 500, "d2": 500}},
		{"all +Inf tie", group(4), func(*deployment.Deployment) float64 { return math.Inf(1) },
			map[string]int{"d0": 250, "d1": 250, "d2": 250, "d3": 250}},
		{"NaN never wins", group(2), func(d *deployment.Deployment) float64 {
			if d.Index == 0 {
				return math.NaN()
			}
			return 7
		}, map[string]int{"d1": 1000}},
		{"all NaN: uniform", group(2), func(*deployment.Deployment) float64 { return math.NaN() },
			map[string]int{"d0": 500, "d1": 500}},
		{"beyond the key buffer", big, func(d *deployment.Deployment) float64 { return float64(d.Index % 50) },
			map[string]int{"d0": 500, "d50": 500}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := grid(1000)
			got := map[string]int{}
			for range 1000 {
				got[lowest(tt.cands, u(), func(_ int, d *deployment.Deployment) float64 { return tt.key(d) }).ID]++
			}
			checkTally(t, got, tt.want, 0)
		})
	}

	// A key that changes between the passes (candidates beyond the key buffer are read twice):
	// the first pass sees d1 and d2 tied lowest; by the second d2 has risen, so a draw that
	// wanted d2 falls back to d1.
	t.Run("key changes between passes", func(t *testing.T) {
		cands := group(3)
		reads := 0
		key := func(d *deployment.Deployment) float64 {
			reads++
			if d.Index == 0 || (d.Index == 2 && reads > 3) {
				return 9
			}
			return 1
		}
		if got := lowestUnbuffered(cands, 0.9, key); got.ID != "d1" {
			t.Errorf("got %s, want d1", got.ID)
		}
	})
}

// lowestUnbuffered runs lowest over keyBuffer padding candidates followed by cands, so every
// key of cands is read in both passes, as for large groups.
func lowestUnbuffered(cands []*deployment.Deployment, u float64, key func(*deployment.Deployment) float64) *deployment.Deployment {
	pad := make([]*deployment.Deployment, keyBuffer, keyBuffer+len(cands))
	for i := range pad {
		pad[i] = deployment.New(config.Deployment{ID: "pad"}, -1)
	}
	padded := append(pad, cands...)
	return lowest(padded, u, func(_ int, d *deployment.Deployment) float64 {
		if d.Index < 0 {
			return math.Inf(1)
		}
		return key(d)
	})
}

// strategies builds every named strategy with a clock and usage, for the tests that run them all.
func strategies(t testing.TB, rnd Rand, now func() time.Time) map[string]Strategy {
	ss := map[string]Strategy{}
	for _, name := range config.RoutingStrategies {
		s, err := New(name, Options{Rand: rnd, Now: now, Usage: usedTokens{"d1": 5, "d2": 5}})
		if err != nil {
			t.Fatalf("New(%q): %v", name, err)
		}
		ss[name] = s
	}
	return ss
}

// TestConcurrentPickObserve runs Pick, Observe and in-flight changes from many goroutines;
// run it with -race.
func TestConcurrentPickObserve(t *testing.T) {
	for name, s := range strategies(t, nil, time.Now) {
		t.Run(name, func(t *testing.T) {
			cands := group(50)
			obs, _ := s.(Observer)
			var wg sync.WaitGroup
			for g := range 8 {
				wg.Go(func() {
					for i := range 500 {
						d := s.Pick(cands[g:]) // overlapping sets, so new stats appear mid-Pick
						if d == nil {
							t.Error("Pick: got nil, want a deployment")
							return
						}
						d.InFlight.Add(1)
						if obs != nil {
							obs.Observe(d, Outcome{Latency: time.Duration(i%7+1) * time.Millisecond,
								Stream: i%2 == 0, OutputTokens: i % 5, TimedOut: i%97 == 0, Failed: i%89 == 0})
						}
						d.InFlight.Add(-1)
					}
				})
			}
			wg.Wait()
		})
	}
}

// warm gives every deployment of cands samples of both kinds, so Pick takes its full path.
func warm(s Strategy, cands []*deployment.Deployment) {
	if obs, ok := s.(Observer); ok {
		for i, d := range cands {
			for j := range 10 {
				obs.Observe(d, Outcome{Latency: time.Duration(i+j+1) * time.Millisecond, OutputTokens: 10})
				obs.Observe(d, Outcome{Latency: time.Duration(i+j+1) * time.Millisecond, Stream: true})
			}
		}
	}
}

func TestPickDoesNotAllocate(t *testing.T) {
	at := time.Unix(1_000_000, 0)
	for name, s := range strategies(t, grid(1<<10), func() time.Time { return at }) {
		for _, n := range []int{3, 50, 100} {
			cands := group(n)
			warm(s, cands)
			if got := testing.AllocsPerRun(100, func() { s.Pick(cands) }); got != 0 {
				t.Errorf("%s with %d candidates: got %v allocs per Pick, want 0", name, n, got)
			}
		}
	}
}

func BenchmarkPick(b *testing.B) {
	at := time.Unix(1_000_000, 0)
	for _, name := range config.RoutingStrategies {
		for _, n := range []int{3, 50} {
			b.Run(fmt.Sprintf("%s/%d", name, n), func(b *testing.B) {
				s := strategies(b, grid(1<<20), func() time.Time { return at })[name]
				cands := group(n)
				for i, d := range cands {
					d.RPM, d.InputCostPerToken = int64(i+1), float64(i%3+1)*1e-6
				}
				warm(s, cands)
				b.ReportAllocs()
				for b.Loop() {
					s.Pick(cands)
				}
			})
		}
	}
}
