package proxy

import (
	"fmt"

	"github.com/switchyard/switchyard/internal/deployment"
	"github.com/switchyard/switchyard/internal/provider"
)

// keepServing leaves out of c's candidates the deployments whose provider cannot serve c.Op
// (an /embeddings call in a group that also holds Anthropic deployments), before any is
// picked: they are not failures and do not cool down. None left is a 400 naming the group.
// It allocates only when it leaves one out.
func (p *Proxy) keepServing(c *Call) error {
	cands := c.Route.Candidates
	var kept []*deployment.Deployment
	for i, d := range cands {
		serves := provider.Serves(p.providers[d.Index], c.Op)
		switch {
		case !serves && kept == nil:
			kept = append(make([]*deployment.Deployment, 0, len(cands)), cands[:i]...)
		case serves && kept != nil:
			kept = append(kept, d)
		}
	}
	switch {
	case kept == nil:
		return nil
	case len(kept) == 0:
		return &provider.ParamError{Param: "model", Reason: fmt.Sprintf("no deployment of model group %q serves %s", c.Route.Group, c.Op)}
	}
	c.Route.Candidates = kept
	return nil
}
