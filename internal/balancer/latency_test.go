package balancer

import (
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/deployment"
)

// named returns deployments with the given ids at indexes 0, 1, …
func named(ids ...string) []*deployment.Deployment {
	ds := make([]*deployment.Deployment, len(ids))
	for i, id := range ids {
		ds[i] = deployment.New(config.Deployment{ID: id}, i)
	}
	return ds
}

// clock is a settable time source for one goroutine.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// Outcome shorthands.
func answer(d time.Duration, tokens int) Outcome { return Outcome{Latency: d, OutputTokens: tokens} }
func firstToken(d time.Duration) Outcome         { return Outcome{Latency: d, Stream: true} }

const ms = time.Millisecond

func TestLatencyPick(t *testing.T) {
	type obs struct {
		id  string
		o   Outcome
		ago time.Duration // before the picks
	}
	// perToken are n non-streaming samples of id at per seconds per output token (100 tokens).
	perToken := func(id string, per time.Duration, n int) []obs {
		s := make([]obs, n)
		for i := range s {
			s[i] = obs{id: id, o: answer(per*100, 100)}
		}
		return s
	}
	cat := func(parts ...[]obs) []obs {
		var all []obs
		for _, p := range parts {
			all = append(all, p...)
		}
		return all
	}
	tests := []struct {
		name     string
		args     map[string]any
		obs      []obs
		inFlight map[string]int64
		want     map[string]int // picks out of 1000
	}{
		{"fastest per token", nil,
			[]obs{{"a", answer(1000*ms, 100), 0}, {"b", answer(3000*ms, 100), 0}, {"c", answer(2000*ms, 50), 0}},
			nil, map[string]int{"a": 1000}},
		{"mean of the window", nil,
			cat(perToken("a", 10*ms, 1), perToken("a", 50*ms, 1), perToken("b", 20*ms, 1), perToken("c", 40*ms, 1)),
			nil, map[string]int{"b": 1000}},
		{"unseen tried first", nil, cat(perToken("a", 10*ms, 3), perToken("b", 20*ms, 3)),
			nil, map[string]int{"c": 1000}},
		{"unseen split evenly", nil, perToken("a", 10*ms, 3), nil, map[string]int{"b": 500, "c": 500}},
		{"unseen with requests in flight waits for its answer", nil, cat(perToken("a", 10*ms, 3), perToken("b", 20*ms, 3)),
			map[string]int64{"c": 1}, map[string]int{"a": 1000}},
		{"nothing seen: the idle ones", nil, nil, map[string]int64{"b": 2}, map[string]int{"a": 500, "c": 500}},
		{"all waiting: uniform", nil, nil, map[string]int64{"a": 1, "b": 1, "c": 1},
			map[string]int{"a": 333, "b": 333, "c": 333}},
		{"buffer", map[string]any{"lowest_latency_buffer": 0.5},
			cat(perToken("a", 10*ms, 2), perToken("b", 14*ms, 2), perToken("c", 16*ms, 2)),
			nil, map[string]int{"a": 500, "b": 500}},
		{"no buffer: exact ties only", nil,
			cat(perToken("a", 10*ms, 2), perToken("b", 10*ms, 2), perToken("c", 10500*time.Microsecond, 2)),
			nil, map[string]int{"a": 500, "b": 500}},
		{"timeout is a very slow sample", nil,
			cat(perToken("a", 5*ms, 9), []obs{{"a", Outcome{Latency: 30 * time.Second, TimedOut: true}, 0}},
				perToken("b", 50*ms, 1), perToken("c", 80*ms, 1)),
			nil, map[string]int{"b": 1000}},
		{"stream timeout is a very slow TTFT", nil,
			[]obs{{"a", firstToken(100 * ms), 0}, {"a", Outcome{Stream: true, TimedOut: true}, 0},
				{"b", firstToken(400 * ms), 0}, {"c", firstToken(900 * ms), 0}},
			nil, map[string]int{"b": 1000}},
		{"failure is not a sample", nil,
			cat([]obs{{"a", Outcome{Latency: time.Second, Failed: true}, 0}}, perToken("b", 20*ms, 1), perToken("c", 30*ms, 1)),
			nil, map[string]int{"a": 1000}},
		{"samples older than ttl are forgotten", map[string]any{"ttl": 60},
			[]obs{{"a", answer(50*time.Second, 100), 60 * time.Second}, {"b", answer(2*time.Second, 100), 0}, {"c", answer(3*time.Second, 100), 0}},
			nil, map[string]int{"a": 1000}},
		{"samples younger than ttl count", map[string]any{"ttl": 60},
			[]obs{{"a", answer(50*time.Second, 100), 59 * time.Second}, {"b", answer(2*time.Second, 100), 0}, {"c", answer(3*time.Second, 100), 0}},
			nil, map[string]int{"b": 1000}},
		{"default ttl: an hour, still counted", nil,
			[]obs{{"a", answer(50*time.Second, 100), 3599 * time.Second}, {"b", answer(2*time.Second, 100), 0}, {"c", answer(3*time.Second, 100), 0}},
			nil, map[string]int{"b": 1000}},
		{"default ttl: an hour, then forgotten", nil,
			[]obs{{"a", answer(50*time.Second, 100), 3600 * time.Second}, {"b", answer(2*time.Second, 100), 0}, {"c", answer(3*time.Second, 100), 0}},
			nil, map[string]int{"a": 1000}},
		{"streams rank by TTFT", nil,
			[]obs{{"a", firstToken(200 * ms), 0}, {"b", firstToken(500 * ms), 0}, {"c", firstToken(300 * ms), 0}},
			nil, map[string]int{"a": 1000}},
		{"per-token score preferred over TTFT", nil,
			[]obs{{"a", answer(time.Second, 100), 0}, {"a", firstToken(2 * time.Second), 0},
				{"b", answer(2*time.Second, 100), 0}, {"b", firstToken(100 * ms), 0},
				{"c", answer(3*time.Second, 100), 0}},
			nil, map[string]int{"a": 1000}},
		{"each kind compared with its kind", nil,
			[]obs{{"a", answer(time.Second, 100), 0}, {"b", firstToken(300 * ms), 0}, {"c", firstToken(500 * ms), 0}},
			nil, map[string]int{"a": 500, "b": 500}},
		{"TTFT-only candidate against a faster TTFT elsewhere", nil,
			[]obs{{"a", answer(time.Second, 100), 0}, {"a", firstToken(100 * ms), 0}, {"b", firstToken(300 * ms), 0},
				{"c", answer(3*time.Second, 100), 0}},
			nil, map[string]int{"a": 1000}},
		{"no output tokens: the whole latency", nil,
			[]obs{{"a", answer(100*ms, 0), 0}, {"b", answer(2*time.Second, 100), 0}, {"c", answer(3*time.Second, 100), 0}},
			nil, map[string]int{"b": 1000}},
		{"window keeps the last samples", map[string]any{"max_latency_list_size": 2},
			cat(perToken("a", 500*ms, 5), perToken("a", 10*ms, 2), perToken("b", 20*ms, 1), perToken("c", 30*ms, 1)),
			nil, map[string]int{"a": 1000}},
		{"default window: last ten", nil,
			cat(perToken("a", 500*ms, 5), perToken("a", 10*ms, 2), perToken("b", 20*ms, 1), perToken("c", 30*ms, 1)),
			nil, map[string]int{"b": 1000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Unix(1_000_000, 0)
			clk := &clock{t: start}
			l, err := NewLatency(Options{Rand: grid(999), Now: clk.now, Args: tt.args})
			if err != nil {
				t.Fatal(err)
			}
			cands := named("a", "b", "c")
			byID := map[string]*deployment.Deployment{}
			for _, d := range cands {
				byID[d.ID] = d
				d.InFlight.Store(tt.inFlight[d.ID])
			}
			picksAt := start.Add(3 * time.Hour)
			for _, o := range tt.obs {
				clk.t = picksAt.Add(-o.ago)
				l.Observe(byID[o.id], o.o)
			}
			clk.t = picksAt
			checkTally(t, tally(l, cands, 1000), tt.want, 1)
		})
	}
	l, _ := NewLatency(Options{})
	if got := l.Pick(nil); got != nil {
		t.Errorf("Pick(nil): got %v, want nil", got)
	}
}

// TestLatencyAdapts runs a schedule: each request is picked, answered at its deployment's
// current speed, observed, and the clock moves on.
func TestLatencyAdapts(t *testing.T) {
	type phase struct {
		perToken map[string]time.Duration // each deployment's answer time per output token
		stream   bool                     // answers are streams and perToken is their TTFT
		timeout  map[string]bool          // these deployments time out
		n        int                      // requests in the phase
		want     map[string][2]int        // picks per deployment in [min, max]
	}
	fast := map[string]time.Duration{"a": 10 * ms, "b": 30 * ms, "c": 50 * ms}
	slowA := map[string]time.Duration{"a": 100 * ms, "b": 30 * ms, "c": 50 * ms}
	fastB := map[string]time.Duration{"a": 10 * ms, "b": 2 * ms, "c": 50 * ms}
	tests := []struct {
		name   string
		args   map[string]any
		phases []phase
	}{
		{"fast one wins after warm-up", nil, []phase{
			{perToken: fast, n: 1000, want: map[string][2]int{"a": {750, 1000}, "b": {1, 250}, "c": {1, 250}}},
		}},
		{"fast one turns slow: traffic moves away", nil, []phase{
			{perToken: fast, n: 1000, want: map[string][2]int{"a": {750, 1000}}},
			{perToken: slowA, n: 1000, want: map[string][2]int{"a": {0, 10}, "b": {950, 1000}, "c": {0, 10}}},
		}},
		{"fast one times out: traffic moves away", nil, []phase{
			{perToken: fast, n: 100, want: map[string][2]int{"a": {75, 100}}},
			{perToken: fast, timeout: map[string]bool{"a": true}, n: 100, want: map[string][2]int{"a": {1, 1}, "b": {99, 99}}},
		}},
		{"slow one turns fast: found once its samples age out", map[string]any{"ttl": 60}, []phase{
			{perToken: fast, n: 30, want: map[string][2]int{"a": {28, 28}, "b": {1, 1}, "c": {1, 1}}},
			// b's and c's warm-up samples leave the window about 60 s in; b is retried and now wins.
			// From then on whatever goes unpicked for 60 s is retried once: c at 61, 121 and 181 s.
			{perToken: fastB, n: 200, want: map[string][2]int{"a": {25, 35}, "b": {160, 175}, "c": {3, 3}}},
		}},
		{"streams: lowest TTFT wins", nil, []phase{
			{perToken: fast, stream: true, n: 1000, want: map[string][2]int{"a": {750, 1000}}},
		}},
		{"buffer shares between the near-fastest", map[string]any{"lowest_latency_buffer": 2.5}, []phase{
			{perToken: fast, n: 1000, want: map[string][2]int{"a": {450, 550}, "b": {450, 550}, "c": {1, 1}}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := &clock{t: time.Unix(1_000_000, 0)}
			l, err := NewLatency(Options{Rand: grid(1000), Now: clk.now, Args: tt.args})
			if err != nil {
				t.Fatal(err)
			}
			cands := named("a", "b", "c")
			for i, ph := range tt.phases {
				got := map[string]int{}
				for range ph.n {
					d := l.Pick(cands)
					got[d.ID]++
					o := answer(ph.perToken[d.ID]*100, 100)
					if ph.stream {
						o = firstToken(ph.perToken[d.ID])
					}
					if ph.timeout[d.ID] {
						o = Outcome{Latency: time.Minute, Stream: ph.stream, TimedOut: true}
					}
					l.Observe(d, o)
					clk.t = clk.t.Add(time.Second)
				}
				for id, r := range ph.want {
					if got[id] < r[0] || got[id] > r[1] {
						t.Errorf("phase %d, %s: got %d picks of %d, want %d to %d", i, id, got[id], ph.n, r[0], r[1])
					}
				}
			}
		})
	}
}

// A deployment at another's index with a different id (another table's) starts afresh.
func TestLatencyIndexReuse(t *testing.T) {
	l, err := NewLatency(Options{Rand: grid(10)})
	if err != nil {
		t.Fatal(err)
	}
	old := named("a", "b")
	l.Observe(old[0], answer(time.Second, 100))
	l.Observe(old[1], answer(2*time.Second, 100))
	renamed := named("x", "b")
	if got := l.Pick(renamed).ID; got != "x" {
		t.Errorf("got %s, want x (unseen, tried first)", got)
	}
	l.Observe(renamed[0], answer(3*time.Second, 100))
	if got := l.Pick(renamed).ID; got != "b" {
		t.Errorf("got %s, want b", got)
	}
	if got := l.Pick(old).ID; got != "a" {
		t.Errorf("old table: got %s, want a (its stats were replaced, so unseen)", got)
	}
	negative := deployment.New(config.Deployment{ID: "n"}, -1)
	l.Observe(negative, answer(time.Second, 1)) // no index: not recorded, no panic
}
