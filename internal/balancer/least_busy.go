package balancer

import "github.com/switchyard/switchyard/internal/deployment"

// LeastBusy is least-busy routing: the candidate with the fewest requests in flight
// (Deployment.InFlight, counted by the proxy per attempt until the response or stream ends),
// uniformly at random among ties. LiteLLM gives ties to the first deployment, so an idle group
// sends everything to one; here an idle group spreads evenly. Counts are this instance's only.
type LeastBusy struct {
	// Rand draws a float in [0, 1); one draw per Pick.
	Rand Rand
}

// Pick implements Strategy.
func (s *LeastBusy) Pick(cands []*deployment.Deployment) *deployment.Deployment {
	switch len(cands) {
	case 0:
		return nil
	case 1:
		return cands[0]
	}
	return lowest(cands, s.Rand(), inFlight)
}

// inFlight is least-busy's rank key.
func inFlight(_ int, d *deployment.Deployment) float64 { return float64(d.InFlight.Load()) }
