package proxy

import (
	"encoding/json"
	"slices"
)

// fallbacks lists the groups to try after c's group failed with err, in LiteLLM's order: the
// request body's "fallbacks"; then, for a context-window or content-policy error, that kind's
// list (context_window_fallbacks / content_policy_fallbacks); else router fallbacks for the
// group (key "*" for all), then default_fallbacks. A request with "disable_fallbacks": true,
// errors that are the client's (400/413/422 other than those two kinds) and groups already
// tried are left out; at most max_fallbacks groups.
func (p *Proxy) fallbacks(c *Call, v Verdict, err error) []string {
	if p.resolve == nil || string(c.Req.Value("disable_fallbacks")) == "true" {
		return nil
	}
	var out []string
	if raw := c.Req.Value("fallbacks"); raw != nil {
		var names []string
		if json.Unmarshal(raw, &names) == nil {
			out = append(out, names...)
		}
	}
	group := c.Route.Group
	lookup := func(m map[string][]string) []string {
		if l, ok := m[group]; ok {
			return l
		}
		return m["*"]
	}
	switch {
	case v.ContextWindow:
		out = append(out, lookup(p.router.ContextWindowFallbacks)...)
	case v.ContentPolicy:
		out = append(out, lookup(p.router.ContentPolicyFallbacks)...)
	case v.Action == FailFast && !isNoDeployments(err) && v.Kind != 0 && !v.Counts:
		// The client's own error: another group would refuse it too.
	default:
		out = append(out, lookup(p.router.Fallbacks)...)
		if len(out) == 0 {
			out = append(out, p.router.DefaultFallbacks...)
		}
	}
	seen := []string{group}
	kept := out[:0]
	for _, name := range out {
		if !slices.Contains(seen, name) {
			seen = append(seen, name)
			kept = append(kept, name)
		}
	}
	limit := p.router.MaxFallbacks
	if limit <= 0 {
		limit = 5
	}
	return kept[:min(len(kept), limit)]
}
