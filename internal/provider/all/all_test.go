package all

import (
	"testing"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/provider"
)

func TestRegistryCoversSupported(t *testing.T) {
	r := Registry()
	for _, p := range config.SupportedProviders() {
		if r[p] == nil {
			t.Errorf("provider %q is supported by config but has no family", p)
		}
	}
	for name := range compatible {
		if !config.Supported(name) {
			t.Errorf("compatible lists %q, which config does not support", name)
		}
	}
}

func TestTranslatedAreSupported(t *testing.T) {
	r := Registry()
	for name := range translated {
		if !config.Supported(name) || r[name] == nil {
			t.Errorf("translated lists %q, which config does not support", name)
		}
	}
}

func TestServes(t *testing.T) {
	env := &provider.Env{Transports: provider.NewTransports(provider.TransportOptions{}),
		LookupEnv: func(string) (string, bool) { return "x", true }}
	r := Registry()
	for _, tt := range []struct {
		prov       string
		chat, emb  bool
		completion bool
	}{
		{"openai", true, true, true}, {"azure", true, true, true}, {"anthropic", true, false, false},
		{"gemini", true, true, false}, {"ollama", true, true, false}, {"bedrock", true, true, false},
	} {
		p, err := r.New(&config.Deployment{Provider: tt.prov, Model: tt.prov + "/m", UpstreamModel: "m", APIBase: "https://x.example"}, env)
		if err != nil {
			t.Fatalf("%s: %v", tt.prov, err)
		}
		if provider.Serves(p, provider.Chat) != tt.chat || provider.Serves(p, provider.Embedding) != tt.emb || provider.Serves(p, provider.Completion) != tt.completion {
			t.Errorf("%s: Serves chat/embeddings/completions: got %v/%v/%v, want %v/%v/%v", tt.prov,
				provider.Serves(p, provider.Chat), provider.Serves(p, provider.Embedding), provider.Serves(p, provider.Completion), tt.chat, tt.emb, tt.completion)
		}
	}
}
