package deployment

import (
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/config"
)

func TestResolve(t *testing.T) {
	deps := []config.Deployment{
		{ModelName: "gpt-3.5-turbo", ID: "eu", Model: "azure/gpt-eu", UpstreamModel: "gpt-eu"},
		{ModelName: "gpt-3.5-turbo", ID: "ca", Model: "azure/gpt-turbo-small-ca", UpstreamModel: "gpt-turbo-small-ca"},
		{ModelName: "gpt-3.5-turbo", ID: "fr", Model: "azure/gpt-turbo-large", UpstreamModel: "gpt-turbo-large"},
		{ModelName: "embed", ID: "e1", Model: "openai/text-embedding-3-small", UpstreamModel: "text-embedding-3-small"},
		{ModelName: "openai/*", ID: "wild-openai", Model: "openai/*", UpstreamModel: "*"},
		{ModelName: "claude-*", ID: "wild-claude", Model: "anthropic/claude-*", UpstreamModel: "claude-*"},
		{ModelName: "*", ID: "catch-all", Model: "*", UpstreamModel: "*"},
	}
	aliases := map[string]config.Alias{"gpt-4": {Group: "gpt-3.5-turbo"}, "secret": {Group: "embed", Hidden: true}}
	tab := NewTable(deps, aliases)
	tests := []struct {
		model    string
		group    string
		ids      string
		upstream string // UpstreamModel of the first candidate
	}{
		{"fr", "gpt-3.5-turbo", "fr", "gpt-turbo-large"},
		{"gpt-4", "gpt-3.5-turbo", "eu,ca,fr", "gpt-eu"},
		{"secret", "embed", "e1", "text-embedding-3-small"},
		{"gpt-3.5-turbo", "gpt-3.5-turbo", "eu,ca,fr", "gpt-eu"},
		{"azure/gpt-turbo-small-ca", "gpt-3.5-turbo", "ca", "gpt-turbo-small-ca"},
		{"openai/gpt-4o", "openai/gpt-4o", "wild-openai", "gpt-4o"},
		{"claude-3-haiku", "claude-3-haiku", "wild-claude", "claude-3-haiku"},
		{"llama3", "llama3", "catch-all", "llama3"},
	}
	for _, tt := range tests {
		r, ok := tab.Resolve(tt.model)
		if !ok {
			t.Errorf("Resolve(%q): not found", tt.model)
			continue
		}
		var ids []string
		for _, d := range r.Candidates {
			ids = append(ids, d.ID)
		}
		if r.Group != tt.group || strings.Join(ids, ",") != tt.ids || r.UpstreamModel(r.Candidates[0]) != tt.upstream {
			t.Errorf("Resolve(%q): got group %q ids %v upstream %q, want %q %q %q",
				tt.model, r.Group, ids, r.UpstreamModel(r.Candidates[0]), tt.group, tt.ids, tt.upstream)
		}
	}
	noWild := NewTable(deps[:4], nil)
	if _, ok := noWild.Resolve("nope"); ok {
		t.Error("Resolve(\"nope\"): found, want not found")
	}
	if got := len(tab.Groups()); got != 5 {
		t.Errorf("got %d groups, want 5", got)
	}
}
