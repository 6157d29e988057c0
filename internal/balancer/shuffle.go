package balancer

import "github.com/switchyard/switchyard/internal/deployment"

// SimpleShuffle is LiteLLM's default strategy: weighted random by weight, else rpm, else tpm,
// else uniform. The basis is chosen per candidate set: weights are used when any candidate has
// one (candidates without get none), else rpm, else tpm. LiteLLM takes the basis from the group's
// first deployment only; here a group whose first deployment lacks a weight still honours the
// others'. Proportions hold among the available candidates.
type SimpleShuffle struct {
	// Rand draws a float in [0, 1).
	Rand Rand
}

// Pick implements Strategy.
func (s *SimpleShuffle) Pick(cands []*deployment.Deployment) *deployment.Deployment {
	switch len(cands) {
	case 0:
		return nil
	case 1:
		return cands[0]
	}
	for _, weight := range weighers {
		total := 0.0
		for _, d := range cands {
			total += weight(d)
		}
		if total <= 0 {
			continue
		}
		x := s.Rand() * total
		for _, d := range cands {
			w := weight(d)
			if x < w {
				return d
			}
			x -= w
		}
		// Rounding: the last candidate with weight.
		for i := len(cands) - 1; i >= 0; i-- {
			if weight(cands[i]) > 0 {
				return cands[i]
			}
		}
	}
	return cands[int(s.Rand()*float64(len(cands)))%len(cands)]
}

// weighers are the weight bases in order of precedence.
var weighers = [...]func(*deployment.Deployment) float64{
	func(d *deployment.Deployment) float64 { return d.Weight },
	func(d *deployment.Deployment) float64 { return float64(d.RPM) },
	func(d *deployment.Deployment) float64 { return float64(d.TPM) },
}
