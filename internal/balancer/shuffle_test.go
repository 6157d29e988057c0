package balancer

import (
	"testing"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/deployment"
)

func dep(id string, weight float64, rpm, tpm int64) *deployment.Deployment {
	return deployment.New(config.Deployment{ID: id, Weight: weight, RPM: rpm, TPM: tpm}, 0)
}

// grid returns a Rand that walks [0, 1) in n even steps, so a pick's share is exact.
func grid(n int) Rand {
	i := 0
	return func() float64 {
		v := (float64(i%n) + 0.5) / float64(n)
		i++
		return v
	}
}

func TestSimpleShuffle(t *testing.T) {
	tests := []struct {
		name  string
		cands []*deployment.Deployment
		want  map[string]int // picks out of 1000
	}{
		{"weights", []*deployment.Deployment{dep("a", 9, 0, 0), dep("b", 1, 0, 0)}, map[string]int{"a": 900, "b": 100}},
		{"rpm when no weight", []*deployment.Deployment{dep("a", 0, 6, 0), dep("b", 0, 6, 0), dep("c", 0, 1440, 0)},
			map[string]int{"a": 4, "b": 4, "c": 992}},
		{"weight beats rpm", []*deployment.Deployment{dep("a", 1, 1000, 0), dep("b", 3, 1, 0)}, map[string]int{"a": 250, "b": 750}},
		{"tpm when no rpm", []*deployment.Deployment{dep("a", 0, 0, 100), dep("b", 0, 0, 300)}, map[string]int{"a": 250, "b": 750}},
		{"uniform", []*deployment.Deployment{dep("a", 0, 0, 0), dep("b", 0, 0, 0), dep("c", 0, 0, 0), dep("d", 0, 0, 0)},
			map[string]int{"a": 250, "b": 250, "c": 250, "d": 250}},
		{"basis from the set, not the first", []*deployment.Deployment{dep("a", 0, 0, 0), dep("b", 1, 0, 0), dep("c", 1, 0, 0)},
			map[string]int{"b": 500, "c": 500}},
		{"single", []*deployment.Deployment{dep("a", 0, 0, 0)}, map[string]int{"a": 1000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &SimpleShuffle{Rand: grid(1000)}
			got := map[string]int{}
			for range 1000 {
				got[s.Pick(tt.cands).ID]++
			}
			for id, n := range tt.want {
				// rpm 6/6/1440 over a 1000-point grid: 6/1452 of 1000 is 4.13.
				if diff := got[id] - n; diff < -1 || diff > 1 {
					t.Errorf("%s: got %d picks, want %d", id, got[id], n)
				}
			}
			for id, n := range got {
				if _, ok := tt.want[id]; !ok {
					t.Errorf("%s: got %d picks, want none", id, n)
				}
			}
		})
	}
	if got := (&SimpleShuffle{Rand: grid(2)}).Pick(nil); got != nil {
		t.Errorf("Pick(nil): got %v, want nil", got)
	}
}
