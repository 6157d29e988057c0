package all

import (
	"testing"

	"github.com/switchyard/switchyard/internal/config"
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

func TestTranslatedAreKnown(t *testing.T) {
	for name := range translated {
		if !config.KnownProvider(name) {
			t.Errorf("translated lists %q, which LiteLLM does not know", name)
		}
	}
}
