package balancer

import "github.com/switchyard/switchyard/internal/deployment"

// UsageBased is usage-based-routing and usage-based-routing-v2 (one rule for both): the
// candidate that used the fewest tokens in the current usage window (Usage.Used(id).Tokens),
// uniformly at random among ties. It ranks only: the caller has already dropped candidates
// without rpm/tpm headroom for this request, and the reservation that follows the pick is what
// enforces the quota.
type UsageBased struct {
	// Usage reads each candidate's usage; nil ranks every candidate as unused (uniform choice).
	Usage UsageReader
	// Rand draws a float in [0, 1); one draw per Pick.
	Rand Rand
}

// Pick implements Strategy. It reads each candidate's usage once (twice beyond 64 candidates).
func (s *UsageBased) Pick(cands []*deployment.Deployment) *deployment.Deployment {
	switch len(cands) {
	case 0:
		return nil
	case 1:
		return cands[0]
	}
	u := s.Rand()
	if s.Usage == nil {
		return cands[nth(u, len(cands))]
	}
	return lowest(cands, u, func(_ int, d *deployment.Deployment) float64 {
		return float64(s.Usage.Used(d.ID).Tokens)
	})
}
