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

func TestTranslatedAreSupported(t *testing.T) {
	r := Registry()
	for name := range translated {
		if !config.Supported(name) || r[name] == nil {
			t.Errorf("translated lists %q, which config does not support", name)
		}
	}
}
