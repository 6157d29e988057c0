package config

import (
	"strings"
	"testing"
)

// envMap returns a lookupEnv over m.
func envMap(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// parseYAMLText parses a config given as text, with "config.yaml" as its name.
func parseYAMLText(text string, env map[string]string) (*Config, error) {
	return Parse("config.yaml", []byte(text), envMap(env))
}

// mustParse parses text and fails the test on error.
func mustParse(t *testing.T, text string, env map[string]string) *Config {
	t.Helper()
	cfg, err := parseYAMLText(text, env)
	if err != nil {
		t.Fatalf("Parse: got error\n%v\nwant none", err)
	}
	return cfg
}

// oneDeployment is a minimal valid model_list for tests of other sections.
const oneDeployment = "model_list:\n  - model_name: g\n    litellm_params:\n      model: openai/gpt-4o\n"

// hasWarning reports whether any warning contains sub.
func hasWarning(cfg *Config, sub string) bool {
	for _, w := range cfg.Warnings {
		if strings.Contains(w, sub) {
			return true
		}
	}
	return false
}
