package modelmap

import "testing"

func TestLookup(t *testing.T) {
	tests := []struct {
		name         string
		wantOK       bool
		wantProvider string
		wantMode     string
		wantMaxIn    int
		wantInCost   float64
	}{
		{"gpt-4o", true, "openai", "chat", 128000, 2.5e-06},
		{"gpt-3.5-turbo", true, "openai", "chat", 16385, 5e-07},
		{"azure/gpt-4o", true, "azure", "chat", 128000, 2.5e-06},
		{"anthropic.claude-3-sonnet-20240229-v1:0", true, "bedrock", "chat", 200000, 3e-06},
		{"xai/grok-4-fast-reasoning", true, "xai", "chat", 2000000, 0},
		{"sample_spec", false, "", "", 0, 0},
		{"fallback_generalizations", false, "", "", 0, 0},
		{"no-such-model", false, "", "", 0, 0},
		{"mistralai/mistral-7b-instruct", false, "", "", 0, 0},
		{"openrouter/mistralai/mistral-7b-instruct", true, "openrouter", "chat", 32768, 1.3e-07},
	}
	for _, tt := range tests {
		got, ok := Lookup(tt.name)
		if ok != tt.wantOK {
			t.Errorf("Lookup(%q): got ok %v, want %v", tt.name, ok, tt.wantOK)
			continue
		}
		if got.Provider != tt.wantProvider || got.Mode != tt.wantMode || got.MaxInputTokens != tt.wantMaxIn {
			t.Errorf("Lookup(%q): got %+v, want provider %q mode %q max_input_tokens %d",
				tt.name, got, tt.wantProvider, tt.wantMode, tt.wantMaxIn)
		}
		if tt.wantInCost != 0 && got.InputCostPerToken != tt.wantInCost {
			t.Errorf("Lookup(%q).InputCostPerToken: got %g, want %g", tt.name, got.InputCostPerToken, tt.wantInCost)
		}
	}
}

func TestLookupOutputFields(t *testing.T) {
	got, ok := Lookup("gpt-4o")
	if !ok {
		t.Fatal("Lookup(gpt-4o): not found")
	}
	if got.MaxOutputTokens <= 0 || got.OutputCostPerToken <= got.InputCostPerToken {
		t.Errorf("Lookup(gpt-4o): got max_output_tokens %d output cost %g, want > 0 and > input cost %g",
			got.MaxOutputTokens, got.OutputCostPerToken, got.InputCostPerToken)
	}
}

func TestParseSkipsNonModels(t *testing.T) {
	idx := parse([]byte(`{"sample_spec": {"litellm_provider": "x", "max_input_tokens": "many"},
		"m": {"litellm_provider": "p", "max_input_tokens": 1000.0, "input_cost_per_token": "free", "mode": null},
		"p/n": {"litellm_provider": "p", "mode": "chat"},
		"fallback_generalizations": {"rules": []}}`))
	if _, ok := idx["sample_spec"]; ok {
		t.Errorf("sample_spec: got found, want skipped")
	}
	if got := idx["m"]; got.MaxInputTokens != 1000 || got.InputCostPerToken != 0 || got.Mode != "" {
		t.Errorf("m: got %+v, want max_input_tokens 1000, no cost, no mode", got)
	}
	if got := idx["p/n"]; got.Mode != "chat" || got.Provider != "p" {
		t.Errorf("p/n: got %+v, want provider p, mode chat", got)
	}
}
