package deployment

import (
	"sort"
	"strings"

	"github.com/switchyard/switchyard/internal/config"
)

// Group is a model group: the deployments that share a model_name.
type Group struct {
	// Name is the model_name.
	Name string
	// Deployments are the group's members in config order.
	Deployments []*Deployment
	// prefix and suffix are the parts around "*" for a wildcard group ("openai/*" → "openai/", "").
	prefix, suffix string
	wildcard       bool
}

// Route is where a request's model string resolved to.
type Route struct {
	// Group is the model group's name (for x-litellm-model-group and errors).
	Group string
	// Candidates are the deployments that may serve the request.
	Candidates []*Deployment
	// Wildcard is the part of the requested model a wildcard group matched ("gpt-4o" for
	// "openai/gpt-4o" against "openai/*"); "" when no wildcard was involved.
	Wildcard string
}

// UpstreamModel is the model name to send to d for this route: d's own, with a wildcard "*"
// replaced by the matched part.
func (r *Route) UpstreamModel(d *Deployment) string {
	if r.Wildcard != "" && strings.Contains(d.UpstreamModel, "*") {
		return strings.Replace(d.UpstreamModel, "*", r.Wildcard, 1)
	}
	return d.UpstreamModel
}

// Table is every deployment, indexed for resolution. Immutable after NewTable.
type Table struct {
	all       []*Deployment
	groups    map[string]*Group
	order     []*Group
	byID      map[string]*Deployment
	byModel   map[string][]*Deployment
	aliases   map[string]config.Alias
	wildcards []*Group
}

// NewTable indexes deps (in config order) and the model_group_alias map.
func NewTable(deps []config.Deployment, aliases map[string]config.Alias) *Table {
	t := &Table{
		groups:  make(map[string]*Group),
		byID:    make(map[string]*Deployment),
		byModel: make(map[string][]*Deployment),
		aliases: aliases,
	}
	for i, c := range deps {
		d := New(c, i)
		t.all = append(t.all, d)
		g := t.groups[c.ModelName]
		if g == nil {
			g = &Group{Name: c.ModelName}
			if pre, suf, ok := strings.Cut(c.ModelName, "*"); ok {
				g.prefix, g.suffix, g.wildcard = pre, suf, true
				t.wildcards = append(t.wildcards, g)
			}
			t.groups[c.ModelName] = g
			t.order = append(t.order, g)
		}
		g.Deployments = append(g.Deployments, d)
		if _, dup := t.byID[c.ID]; !dup {
			t.byID[c.ID] = d
		}
		if !strings.Contains(c.Model, "*") {
			t.byModel[c.Model] = append(t.byModel[c.Model], d)
		}
	}
	// Longest prefix first, so "claude-*" wins over "*".
	sort.SliceStable(t.wildcards, func(i, j int) bool {
		return len(t.wildcards[i].prefix)+len(t.wildcards[i].suffix) >
			len(t.wildcards[j].prefix)+len(t.wildcards[j].suffix)
	})
	return t
}

// All returns every deployment in config order.
func (t *Table) All() []*Deployment { return t.all }

// Groups returns the model groups in config order.
func (t *Table) Groups() []*Group { return t.order }

// Aliases returns the model_group_alias map.
func (t *Table) Aliases() map[string]config.Alias { return t.aliases }

// Resolve finds the deployments for a request's model string, in LiteLLM's order: deployment id,
// alias (hidden ones too), model group name, a deployment's litellm_params.model (only those
// deployments), wildcard group. ok is false when nothing matched.
func (t *Table) Resolve(model string) (Route, bool) {
	if d, ok := t.byID[model]; ok {
		return Route{Group: d.ModelName, Candidates: []*Deployment{d}}, true
	}
	name := model
	if a, ok := t.aliases[model]; ok {
		name = a.Group
	}
	if g, ok := t.groups[name]; ok && !g.wildcard {
		return Route{Group: g.Name, Candidates: g.Deployments}, true
	}
	if ds, ok := t.byModel[name]; ok {
		return Route{Group: ds[0].ModelName, Candidates: ds}, true
	}
	for _, g := range t.wildcards {
		if len(name) >= len(g.prefix)+len(g.suffix) && strings.HasPrefix(name, g.prefix) &&
			strings.HasSuffix(name, g.suffix) {
			m := name[len(g.prefix) : len(name)-len(g.suffix)]
			return Route{Group: name, Candidates: g.Deployments, Wildcard: m}, m != "" || g.prefix == name
		}
	}
	return Route{}, false
}
