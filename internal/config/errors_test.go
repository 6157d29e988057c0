package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		env  map[string]string
		want string // the complete error text
	}{
		{
			name: "invalid YAML",
			yaml: "model_list:\n  - model_name: a\n    litellm_params: @x\n",
			want: "config.yaml:3: invalid YAML: found character that cannot start any token",
		},
		{
			name: "missing model_list",
			yaml: "router_settings:\n  num_retries: 1\n",
			want: "config.yaml: model_list: at least one deployment is required (models stored in a database are not supported)",
		},
		{
			name: "empty model_list",
			yaml: "general_settings: {}\nmodel_list: []\n",
			want: "config.yaml:2: model_list: at least one deployment is required (models stored in a database are not supported)",
		},
		{
			name: "empty file",
			yaml: "",
			want: "config.yaml: model_list: at least one deployment is required (models stored in a database are not supported)",
		},
		{
			name: "deployment without model",
			yaml: "model_list:\n  - model_name: a\n    litellm_params:\n      api_key: x\n",
			want: "config.yaml:3: model_list[0].litellm_params.model: required",
		},
		{
			name: "deployment without litellm_params",
			yaml: "model_list:\n  - model_name: a\n",
			want: "config.yaml:2: model_list[0].litellm_params.model: required",
		},
		{
			name: "deployment without model_name",
			yaml: "model_list:\n  - litellm_params:\n      model: openai/x\n",
			want: "config.yaml:2: model_list[0].model_name: required",
		},
		{
			name: "unknown provider prefix",
			yaml: "model_list:\n  - model_name: a\n    litellm_params:\n      model: foo/bar\n",
			want: `config.yaml:4: model_list[0].litellm_params.model: unknown provider "foo" in model "foo/bar"`,
		},
		{
			name: "unknown custom_llm_provider",
			yaml: "model_list:\n  - model_name: a\n    litellm_params:\n      model: bar\n      custom_llm_provider: foo\n",
			want: `config.yaml:4: model_list[0].litellm_params.model: unknown provider "foo" in custom_llm_provider`,
		},
		{
			name: "unknown routing strategy",
			yaml: oneDeployment + "router_settings:\n  routing_strategy: fastest\n",
			want: `config.yaml:6: router_settings.routing_strategy: unknown routing strategy "fastest" (valid: simple-shuffle, least-busy, usage-based-routing, usage-based-routing-v2, latency-based-routing, cost-based-routing)`,
		},
		{
			name: "bad redis_fallback",
			yaml: oneDeployment + "router_settings:\n  redis_fallback: panic\n",
			want: `config.yaml:6: router_settings.redis_fallback: unknown redis_fallback "panic" (valid: share, open, closed)`,
		},
		{
			name: "negative rpm",
			yaml: "model_list:\n  - model_name: a\n    litellm_params:\n      model: openai/x\n      rpm: -1\n",
			want: "config.yaml:5: model_list[0].litellm_params.rpm: must not be negative",
		},
		{
			name: "rpm of the wrong type",
			yaml: "model_list:\n  - model_name: a\n    litellm_params:\n      model: openai/x\n      rpm: lots\n",
			want: `config.yaml:5: model_list[0].litellm_params.rpm: expected an integer, got "lots"`,
		},
		{
			name: "negative timeout",
			yaml: "model_list:\n  - model_name: a\n    litellm_params:\n      model: openai/x\n      timeout: -0.5\n",
			want: "config.yaml:5: model_list[0].litellm_params.timeout: must not be negative",
		},
		{
			name: "router timeout of zero",
			yaml: oneDeployment + "router_settings:\n  timeout: 0\n",
			want: "config.yaml:6: router_settings.timeout: must be greater than 0",
		},
		{
			name: "boolean of the wrong type",
			yaml: oneDeployment + "router_settings:\n  disable_cooldowns: maybe\n",
			want: `config.yaml:6: router_settings.disable_cooldowns: expected true or false, got "maybe"`,
		},
		{
			name: "unset env var in a used key",
			yaml: "model_list:\n  - model_name: a\n    litellm_params:\n      model: azure/x\n      api_base: https://x.example\n      api_key: os.environ/AZURE_API_KEY # comment\n",
			want: "config.yaml:6: model_list[0].litellm_params.api_key: environment variable AZURE_API_KEY is not set",
		},
		{
			name: "unset env var, quoted, in general_settings.master_key",
			yaml: oneDeployment + "general_settings:\n  master_key: \"os.environ/MK\"\n",
			want: "config.yaml:6: general_settings.master_key: environment variable MK is not set",
		},
		{
			name: "env value of the wrong type is not printed",
			yaml: "model_list:\n  - model_name: a\n    litellm_params:\n      model: openai/x\n      rpm: os.environ/RPM\n",
			env:  map[string]string{"RPM": "s3cret-value"},
			want: "config.yaml:5: model_list[0].litellm_params.rpm: expected an integer, got the value of RPM",
		},
		{
			name: "model_list is not a list",
			yaml: "model_list:\n  a: b\n",
			want: "config.yaml:1: model_list: expected a list of deployments, got a mapping",
		},
		{
			name: "only unsupported providers",
			yaml: "model_list:\n  - model_name: a\n    litellm_params:\n      model: vertex_ai/gemini-pro\n  - model_name: b\n    litellm_params:\n      model: huggingface/zephyr\n",
			want: "config.yaml:1: model_list: no deployment left to serve: providers not supported by Switchyard yet: vertex_ai, huggingface",
		},
		{
			name: "helm values file",
			yaml: "replicaCount: 1\nproxy_config:\n  model_list:\n    - model_name: a\n      litellm_params:\n        model: openai/x\n",
			want: "config.yaml:2: proxy_config: " + helmMessage,
		},
		{
			name: "unknown credential",
			yaml: "model_list:\n  - model_name: a\n    litellm_params:\n      model: openai/x\n      litellm_credential_name: nope\n",
			want: `config.yaml:5: model_list[0].litellm_params.litellm_credential_name: credential "nope" is not in credential_list`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseYAMLText(tt.yaml, tt.env)
			if err == nil {
				t.Fatalf("got no error, want %q", tt.want)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("got error\n%s\nwant\n%s", got, tt.want)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error %q prints a value from the environment", err)
			}
			var list *Errors
			if !errors.As(err, &list) || len(list.Errs) == 0 {
				t.Errorf("got %T, want *Errors with at least one entry", err)
			}
		})
	}
}

func TestNotSupportedYet(t *testing.T) {
	const head = "model_list:\n  - model_name: a\n    litellm_params:\n      model: azure/x\n      api_base: https://a.example\n"
	tests := []struct {
		name, yaml, wantPath string
	}{
		{"tags", head + "      tags: [free]\n", "model_list[0].litellm_params.tags"},
		{"tag_regex", head + "      tag_regex: [\"^x\"]\n", "model_list[0].litellm_params.tag_regex"},
		{"region_name", head + "      region_name: eu\n", "model_list[0].litellm_params.region_name"},
		{"allowed_model_region", head + "      allowed_model_region: eu\n", "model_list[0].litellm_params.allowed_model_region"},
		{"azure_ad_token oidc", head + "      azure_ad_token: oidc/github/audience\n", "model_list[0].litellm_params.azure_ad_token"},
		{"access_groups", head + "    model_info:\n      access_groups: [beta]\n", "model_list[0].model_info.access_groups"},
		{"enable_tag_filtering", head + "router_settings:\n  enable_tag_filtering: True\n", "router_settings.enable_tag_filtering"},
		{"custom_auth", head + "general_settings:\n  custom_auth: my_module.auth\n", "general_settings.custom_auth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseYAMLText(tt.yaml, nil)
			if err == nil {
				t.Fatalf("got no error, want %s not supported", tt.wantPath)
			}
			if !strings.Contains(err.Error(), tt.wantPath+": ") || !strings.Contains(err.Error(), "is not supported by Switchyard yet") {
				t.Errorf("got error %q, want one naming %s and saying it is not supported by Switchyard yet", err, tt.wantPath)
			}
		})
	}
	// Off switches and a lone tenant_id (predibase uses one) are fine.
	mustParse(t, head+"      tenant_id: t\nrouter_settings:\n  enable_tag_filtering: false\n", nil)
}

func TestAzureADParams(t *testing.T) {
	const head = "model_list:\n  - model_name: a\n    litellm_params:\n      model: %s\n      api_base: https://a.example\n"
	creds := "      tenant_id: os.environ/TENANT\n      client_id: c\n      client_secret: os.environ/SECRET\n"
	env := map[string]string{"TENANT": "t-1", "SECRET": "s-1"}
	cfg := mustParse(t, fmt.Sprintf(head, "azure/x")+creds, env)
	p := cfg.Deployments[0].Params
	if p["tenant_id"] != "t-1" || p["client_id"] != "c" || p["client_secret"] != Secret("s-1") {
		t.Errorf("Params: got %v, want the client credentials (the secret as a Secret)", p)
	}
	cfg = mustParse(t, fmt.Sprintf(head, "azure/x")+"      azure_ad_token: eyJ0eXAi\n", nil)
	if cfg.Deployments[0].Params["azure_ad_token"] != Secret("eyJ0eXAi") {
		t.Errorf("azure_ad_token: got %#v, want a Secret", cfg.Deployments[0].Params["azure_ad_token"])
	}
	for _, tt := range []struct{ name, yaml, want string }{
		{"unset secret", fmt.Sprintf(head, "azure/x") + creds, "config.yaml:8: model_list[0].litellm_params.client_secret: environment variable SECRET is not set"},
		{"not azure", fmt.Sprintf(head, "openai/x") + "      tenant_id: t\n      client_id: c\n      client_secret: s\n", `config.yaml:6: model_list[0].litellm_params.tenant_id: tenant_id + client_id + client_secret (Azure AD authentication) apply to azure deployments only, not "openai"`},
		{"token not azure", fmt.Sprintf(head, "openai/x") + "      azure_ad_token: t\n", `config.yaml:6: model_list[0].litellm_params.azure_ad_token: azure_ad_token applies to azure deployments only, not "openai"`},
	} {
		_, err := parseYAMLText(tt.yaml, map[string]string{"TENANT": "t-1"})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got error %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestAllErrorsCollected(t *testing.T) {
	yaml := "model_list:\n" +
		"  - model_name: a\n    litellm_params:\n      model: openai/x\n      rpm: -1\n" +
		"  - model_name: b\n    litellm_params:\n      api_key: k\n" +
		"router_settings:\n  routing_strategy: nope\n  num_retries: many\n"
	_, err := parseYAMLText(yaml, nil)
	var list *Errors
	if !errors.As(err, &list) {
		t.Fatalf("got %v, want *Errors", err)
	}
	want := []string{
		"config.yaml:5: model_list[0].litellm_params.rpm: must not be negative",
		"config.yaml:7: model_list[1].litellm_params.model: required",
		`config.yaml:10: router_settings.routing_strategy: unknown routing strategy "nope"`,
		`config.yaml:11: router_settings.num_retries: expected an integer, got "many"`,
	}
	if len(list.Errs) != len(want) {
		t.Fatalf("got %d errors:\n%v\nwant %d", len(list.Errs), err, len(want))
	}
	for i, w := range want {
		if got := list.Errs[i].Error(); !strings.HasPrefix(got, w) {
			t.Errorf("error %d: got %q, want prefix %q", i, got, w)
		}
	}
	if got := strings.Count(err.Error(), "\n"); got != len(want)-1 {
		t.Errorf("got %d lines, want one error per line", got+1)
	}
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Line != 5 {
		t.Errorf("errors.As(*FieldError): got %+v, want the first error (line 5)", fe)
	}
}
