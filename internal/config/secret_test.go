package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestSecretNeverPrints(t *testing.T) {
	const value = "sk-very-secret"
	cfg := mustParse(t, oneDeployment+"      api_key: "+value+"\ngeneral_settings:\n  master_key: "+value+"\nrouter_settings:\n  redis_host: h\n  redis_password: "+value+"\n", nil)
	s := Secret(value)
	var logged bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logged, nil))
	logger.Info("x", "secret", s, "cfg", cfg.General.MasterKey)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "secret", s)
	jsonCfg, err := json.Marshal(cfg)
	if err != nil {
		t.Fatalf("json.Marshal(cfg): %v", err)
	}
	outputs := map[string]string{
		"%v":           fmt.Sprintf("%v", s),
		"%s":           fmt.Sprintf("%s", s),
		"%#v":          fmt.Sprintf("%#v", s),
		"%d %x %X %q":  fmt.Sprintf("%d %x %X %q %10.3s %+v", s, s, s, s, s, s),
		"%v pointer":   fmt.Sprintf("%v %+v", &s, []Secret{s}),
		"errorf %w":    fmt.Errorf("wrapped %v: %w", s, fmt.Errorf("inner %s", s)).Error(),
		"%+v config":   fmt.Sprintf("%+v", *cfg),
		"%#v redis":    fmt.Sprintf("%#v", *cfg.Redis),
		"%v deploy":    fmt.Sprintf("%v", cfg.Deployments[0]),
		"json secret":  mustJSON(t, s),
		"json config":  string(jsonCfg),
		"slog":         logged.String(),
		"String":       s.String(),
		"GoString":     s.GoString(),
		"LogValue":     s.LogValue().String(),
		"Error() text": fmt.Sprint(cfg.Deployments[0].APIKey),
	}
	for name, out := range outputs {
		if strings.Contains(out, value) {
			t.Errorf("%s: got %q, want the value redacted", name, out)
		}
	}
	if got := fmt.Sprint(s); got != "[redacted]" {
		t.Errorf("fmt.Sprint: got %q, want [redacted]", got)
	}
	if got := s.Reveal(); got != value {
		t.Errorf("Reveal: got %q, want %q", got, value)
	}
	if got := fmt.Sprint(Secret("")); got != "" {
		t.Errorf("empty secret: got %q, want \"\"", got)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	return string(b)
}
