package balancer

import "testing"

func TestUsageBased(t *testing.T) {
	tests := []struct {
		name  string
		usage UsageReader
		n     int // candidates d0…
		want  map[string]int
	}{
		{"lowest tokens", usedTokens{"d0": 900, "d1": 100, "d2": 500}, 3, map[string]int{"d1": 1000}},
		{"unseen means unused", usedTokens{"d0": 900, "d1": 100}, 3, map[string]int{"d2": 1000}},
		{"ties random", usedTokens{"d0": 100, "d1": 300, "d2": 100}, 3, map[string]int{"d0": 500, "d2": 500}},
		{"all unused", usedTokens{}, 4, map[string]int{"d0": 250, "d1": 250, "d2": 250, "d3": 250}},
		{"nil usage", nil, 4, map[string]int{"d0": 250, "d1": 250, "d2": 250, "d3": 250}},
		{"single", usedTokens{"d0": 1 << 40}, 1, map[string]int{"d0": 1000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &UsageBased{Usage: tt.usage, Rand: grid(1000)}
			checkTally(t, tally(s, group(tt.n), 1000), tt.want, 0)
		})
	}
	if got := (&UsageBased{Rand: grid(2)}).Pick(nil); got != nil {
		t.Errorf("Pick(nil): got %v, want nil", got)
	}
}

// New wires opts.Usage, and a nil Options.Usage stays a nil interface.
func TestNewUsageBased(t *testing.T) {
	for _, tt := range []struct {
		name  string
		usage UsageReader
		want  string
	}{
		{"with usage", usedTokens{"d0": 1}, "d1"},
		{"without usage", nil, "d0"},
	} {
		s, err := New("usage-based-routing-v2", Options{Rand: func() float64 { return 0 }, Usage: tt.usage})
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Pick(group(2)).ID; got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
	}
}
