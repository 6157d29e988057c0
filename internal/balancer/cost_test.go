package balancer

import (
	"testing"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/deployment"
)

func TestCost(t *testing.T) {
	priced := func(id string, in, out float64) *deployment.Deployment {
		return deployment.New(config.Deployment{ID: id, InputCostPerToken: in, OutputCostPerToken: out}, 0)
	}
	tests := []struct {
		name  string
		cands []*deployment.Deployment
		want  map[string]int // picks out of 1000
	}{
		{"cheapest wins", []*deployment.Deployment{priced("a", 5e-6, 15e-6), priced("b", 1e-6, 2e-6), priced("c", 2.5e-6, 10e-6)},
			map[string]int{"b": 1000}},
		{"input plus output", []*deployment.Deployment{priced("a", 1e-6, 10e-6), priced("b", 3e-6, 3e-6)},
			map[string]int{"b": 1000}},
		{"equal cost spread", []*deployment.Deployment{priced("a", 1e-6, 2e-6), priced("b", 1e-6, 2e-6), priced("c", 9e-6, 9e-6)},
			map[string]int{"a": 500, "b": 500}},
		{"unknown ranks after known", []*deployment.Deployment{priced("free?", 0, 0), priced("dear", 60e-6, 120e-6)},
			map[string]int{"dear": 1000}},
		{"only unknown: spread", []*deployment.Deployment{priced("a", 0, 0), priced("b", 0, 0), priced("c", 0, 0), priced("d", 0, 0)},
			map[string]int{"a": 250, "b": 250, "c": 250, "d": 250}},
		{"no output price is a price", []*deployment.Deployment{priced("embed", 1e-7, 0), priced("a", 1e-6, 1e-6)},
			map[string]int{"embed": 1000}},
		{"tiny price marks free", []*deployment.Deployment{priced("vllm", 1e-12, 0), priced("a", 1e-6, 1e-6), priced("b", 0, 0)},
			map[string]int{"vllm": 1000}},
		{"single", []*deployment.Deployment{priced("a", 0, 0)}, map[string]int{"a": 1000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkTally(t, tally(&Cost{Rand: grid(1000)}, tt.cands, 1000), tt.want, 0)
		})
	}
	if got := (&Cost{Rand: grid(2)}).Pick(nil); got != nil {
		t.Errorf("Pick(nil): got %v, want nil", got)
	}
}
