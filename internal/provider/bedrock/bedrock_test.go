package bedrock_test

import (
	"context"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/provider/bedrock"
	pt "github.com/switchyard/switchyard/internal/provider/providertest"
)

func TestNewCredentials(t *testing.T) {
	envVars := map[string]string{"AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "s", "AWS_REGION": "eu-west-1", "AWS_SESSION_TOKEN": "tok"}
	env := &provider.Env{Transports: provider.NewTransports(provider.TransportOptions{}),
		LookupEnv: func(k string) (string, bool) { v, ok := envVars[k]; return v, ok }}
	p, err := bedrock.New(&config.Deployment{Provider: "bedrock", UpstreamModel: "m"}, env)
	if err != nil {
		t.Fatal(err)
	}
	req, err := p.NewRequest(context.Background(), provider.Chat, pt.RequestBody(pt.CaseStream, "arn:aws:bedrock:eu-west-1:1:inference-profile/eu.m"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://bedrock-runtime.eu-west-1.amazonaws.com/model/arn%3Aaws%3Abedrock%3Aeu-west-1%3A1%3Ainference-profile%2Feu.m/converse-stream"; req.URL.String() != want {
		t.Errorf("URL: got %s, want %s", req.URL, want)
	}
	if a := req.Header.Get("Authorization"); !strings.Contains(a, "Credential=AKIDENV/") || !strings.Contains(a, "/eu-west-1/bedrock/") {
		t.Errorf("Authorization %q: want AKIDENV credentials for eu-west-1", a)
	}
	if got := req.Header.Get("X-Amz-Security-Token"); got != "tok" {
		t.Errorf("X-Amz-Security-Token: got %q, want tok", got)
	}

	for _, tt := range []struct {
		name   string
		params map[string]any
		want   string
	}{
		{"no region", map[string]any{"aws_access_key_id": "a", "aws_secret_access_key": config.Secret("b")}, "no region"},
		{"no key", map[string]any{"aws_region_name": "us-east-1"}, "no credentials"},
		{"role", map[string]any{"aws_role_name": "r"}, "aws_role_name"},
	} {
		_, err := bedrock.New(&config.Deployment{Provider: "bedrock", UpstreamModel: "m", Params: tt.params},
			&provider.Env{Transports: provider.NewTransports(provider.TransportOptions{})})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want an error about %q", tt.name, err, tt.want)
		}
	}
}
