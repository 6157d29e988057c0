// Package modelmap embeds LiteLLM's model map (model_prices_and_context_window.json, MIT licence,
// see NOTICE) and answers, for a model name, its provider, mode, context window and prices.
//
// The map is parsed on the first lookup, not at program start; later lookups are map reads and
// safe for concurrent use.
package modelmap

import (
	_ "embed"
	"encoding/json"
	"sync"
)

//go:embed model_prices_and_context_window.json
var rawMap []byte

// Info is what the model map says about one model. Zero values mean "not given".
type Info struct {
	// Provider is the entry's litellm_provider ("openai", "azure", "bedrock", …).
	Provider string
	// Mode is "chat", "embedding", "completion", "image_generation", … ("" when unset).
	Mode string
	// MaxInputTokens is the context window in tokens (0 = unknown).
	MaxInputTokens int
	// MaxOutputTokens is the longest completion in tokens (0 = unknown).
	MaxOutputTokens int
	// InputCostPerToken and OutputCostPerToken are USD per token (0 = unknown or free).
	InputCostPerToken, OutputCostPerToken float64
}

// notModels are top-level keys of the file that do not describe a model.
var notModels = [...]string{"sample_spec", "fallback_generalizations"}

// load parses the embedded file once, on first use.
var load = sync.OnceValue(func() map[string]Info { return parse(rawMap) })

// Lookup returns the entry whose key is exactly name, e.g. "gpt-4o" or "azure/gpt-4o".
// The keys "sample_spec" and "fallback_generalizations" are not models and are never found.
func Lookup(name string) (Info, bool) {
	info, ok := load()[name]
	return info, ok
}

// entry is one model as written in the JSON file; numbers tolerate strings and nulls.
type entry struct {
	Provider        string `json:"litellm_provider"`
	Mode            any    `json:"mode"`
	MaxInputTokens  number `json:"max_input_tokens"`
	MaxOutputTokens number `json:"max_output_tokens"`
	InputCost       number `json:"input_cost_per_token"`
	OutputCost      number `json:"output_cost_per_token"`
}

// number decodes a JSON number and ignores anything else (null, strings, objects).
type number float64

func (n *number) UnmarshalJSON(b []byte) error {
	var f float64
	if json.Unmarshal(b, &f) == nil {
		*n = number(f)
	}
	return nil
}

func parse(data []byte) map[string]Info {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		panic("modelmap: embedded model map is not valid JSON: " + err.Error())
	}
	for _, k := range notModels {
		delete(raw, k)
	}
	idx := make(map[string]Info, len(raw))
	for key, msg := range raw {
		var e entry
		if json.Unmarshal(msg, &e) != nil {
			continue // not a model entry (not an object)
		}
		mode, _ := e.Mode.(string)
		info := Info{
			Provider:           e.Provider,
			Mode:               mode,
			MaxInputTokens:     int(e.MaxInputTokens),
			MaxOutputTokens:    int(e.MaxOutputTokens),
			InputCostPerToken:  float64(e.InputCost),
			OutputCostPerToken: float64(e.OutputCost),
		}
		idx[key] = info
	}
	return idx
}
