package balancer

import (
	"math"

	"github.com/switchyard/switchyard/internal/deployment"
)

// Cost is cost-based-routing: the candidate with the lowest InputCostPerToken +
// OutputCostPerToken (USD per token, from litellm_params or the model price map), uniformly at
// random among equal prices (exact equality).
//
// A deployment whose input and output prices are both 0 has an unknown price and ranks after
// every priced one (random among the unpriced when no priced one is available): a zero there
// almost always means "not in the price map", and ranking it as free would silently send all
// traffic to the one deployment nobody priced. LiteLLM prices such deployments at $5 + $5 per
// token, so it, too, ranks them last. To prefer a truly free deployment (self-hosted), give it
// a tiny positive price such as input_cost_per_token: 1e-12. One price of the two being 0
// (embeddings have no output price) is a known price.
type Cost struct {
	// Rand draws a float in [0, 1); one draw per Pick.
	Rand Rand
}

// Pick implements Strategy.
func (s *Cost) Pick(cands []*deployment.Deployment) *deployment.Deployment {
	switch len(cands) {
	case 0:
		return nil
	case 1:
		return cands[0]
	}
	return lowest(cands, s.Rand(), price)
}

// price is cost-based-routing's rank key: USD per input plus output token, +Inf when unknown.
func price(_ int, d *deployment.Deployment) float64 {
	if d.InputCostPerToken == 0 && d.OutputCostPerToken == 0 {
		return math.Inf(1)
	}
	return d.InputCostPerToken + d.OutputCostPerToken
}
