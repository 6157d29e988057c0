package balancer

import (
	"fmt"
	"testing"
)

func TestLeastBusy(t *testing.T) {
	tests := []struct {
		name     string
		inFlight []int64
		want     map[string]int // picks out of 1000
	}{
		{"fewest in flight", []int64{3, 1, 2}, map[string]int{"d1": 1000}},
		{"ties spread evenly", []int64{0, 4, 0}, map[string]int{"d0": 500, "d2": 500}},
		{"idle group spreads evenly", []int64{0, 0, 0, 0}, map[string]int{"d0": 250, "d1": 250, "d2": 250, "d3": 250}},
		{"all busy, one less", []int64{7, 7, 6, 7}, map[string]int{"d2": 1000}},
		{"single", []int64{9}, map[string]int{"d0": 1000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cands := group(len(tt.inFlight))
			for i, n := range tt.inFlight {
				cands[i].InFlight.Store(n)
			}
			checkTally(t, tally(&LeastBusy{Rand: grid(1000)}, cands, 1000), tt.want, 0)
		})
	}

	t.Run("fifty idle", func(t *testing.T) {
		want := map[string]int{}
		for i := range 50 {
			want[fmt.Sprintf("d%d", i)] = 20
		}
		checkTally(t, tally(&LeastBusy{Rand: grid(1000)}, group(50), 1000), want, 0)
	})

	// Picks that stay in flight fill the group level by level: a schedule, not a snapshot.
	t.Run("in-flight picks level out", func(t *testing.T) {
		cands := group(3)
		cands[0].InFlight.Store(2)
		s := &LeastBusy{Rand: grid(7)}
		for range 7 {
			s.Pick(cands).InFlight.Add(1)
		}
		for i, want := range []int64{3, 3, 3} {
			if got := cands[i].InFlight.Load(); got != want {
				t.Errorf("d%d: got %d in flight, want %d", i, got, want)
			}
		}
	})

	if got := (&LeastBusy{Rand: grid(2)}).Pick(nil); got != nil {
		t.Errorf("Pick(nil): got %v, want nil", got)
	}
}
