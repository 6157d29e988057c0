package config

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestProviderResolution(t *testing.T) {
	tests := []struct {
		group, model, extra string
		wantProvider        string
		wantUpstream        string
		wantSkip            string // a warning containing this, and no deployment
	}{
		{"g", "azure/gpt-x", "", "azure", "gpt-x", ""},
		{"g", "openai/gpt-4o", "", "openai", "gpt-4o", ""},
		{"g", "gpt-4o", "", "openai", "gpt-4o", ""},
		{"g", "gpt-3.5-turbo", "", "openai", "gpt-3.5-turbo", ""},
		{"g", "groq/openai/gpt-oss-120b", "", "groq", "openai/gpt-oss-120b", ""},
		{"g", "hosted_vllm/facebook/opt-125m", "", "hosted_vllm", "facebook/opt-125m", ""},
		{"g", "fake/echo", "", "fake", "echo", ""},
		{"g", "text-completion-openai/gpt-3.5-turbo-instruct", "", "text-completion-openai", "gpt-3.5-turbo-instruct", ""},
		{"g", "mistralai/mistral-7b-instruct", "", "openrouter", "mistralai/mistral-7b-instruct", ""},
		{"g", "my-model", "      custom_llm_provider: openai\n", "openai", "my-model", ""},
		{"g", "openai/my-model", "      custom_llm_provider: openai\n", "openai", "my-model", ""},
		{"openai/*", "openai/*", "", "openai", "*", ""},
		{"*", "*", "", "openai", "*", ""},
		{"*", "openai/*", "", "openai", "*", ""},
		{"claude-*", "openai/claude-*", "", "openai", "claude-*", ""},
		{"g", "anthropic/claude-3", "", "anthropic", "claude-3", ""},
		{"g", "gemini/gemini-2.0-flash", "", "gemini", "gemini-2.0-flash", ""},
		{"g", "ollama_chat/llama3", "", "ollama_chat", "llama3", ""},
		{"g", "anthropic.claude-3-sonnet-20240229-v1:0", "", "bedrock", "anthropic.claude-3-sonnet-20240229-v1:0", ""},
		{"anthropic/*", "*", "", "anthropic", "*", ""},
		{"g", "vertex_ai/gemini-pro", "", "", "", `provider "vertex_ai" (model "vertex_ai/gemini-pro") is not supported by Switchyard yet; deployment skipped`},
		{"g", "vllm/facebook/opt", "", "", "", `provider "vllm"`},
		{"vertex_ai/*", "*", "", "", "", `provider "vertex_ai" (model "*")`},
		{"g", "o1-preview", "", "", "", `model "o1-preview" has no provider prefix and is not in LiteLLM's model map`},
		{"g", "azure/", "", "", "", `model "azure/" names no upstream model`},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			yaml := "model_list:\n" +
				"  - model_name: " + `"` + tt.group + `"` + "\n    litellm_params:\n      model: \"" + tt.model + "\"\n" + tt.extra +
				"  - model_name: other\n    litellm_params:\n      model: openai/other\n"
			cfg := mustParse(t, yaml, nil)
			if tt.wantSkip != "" {
				if len(cfg.Deployments) != 1 {
					t.Errorf("got %d deployments, want the entry skipped", len(cfg.Deployments))
				}
				if !hasWarning(cfg, "config.yaml:4: model_list[0].litellm_params.model: ") || !hasWarning(cfg, tt.wantSkip) {
					t.Errorf("got warnings %q, want one at config.yaml:4 containing %q", cfg.Warnings, tt.wantSkip)
				}
				return
			}
			d := cfg.Deployments[0]
			if d.Provider != tt.wantProvider || d.UpstreamModel != tt.wantUpstream || d.Model != tt.model {
				t.Errorf("got provider %q upstream %q model %q, want %q %q %q", d.Provider, d.UpstreamModel, d.Model, tt.wantProvider, tt.wantUpstream, tt.model)
			}
		})
	}
}

func TestSupportedAndKnown(t *testing.T) {
	tests := []struct {
		p                string
		known, supported bool
	}{
		{"openai", true, true}, {"azure", true, true}, {"fake", true, true}, {"groq", true, true},
		{"hosted_vllm", true, true}, {"openrouter", true, true}, {"litellm_proxy", true, true},
		{"anthropic", true, true}, {"bedrock", true, true}, {"vertex_ai", true, false},
		{"gemini", true, true}, {"ollama", true, true}, {"ollama_chat", true, true},
		{"huggingface", true, false},
		{"sagemaker", true, false}, {"vllm", true, false},
		{"foo", false, false}, {"mistralai", false, false}, {"anyscale", false, false},
	}
	for _, tt := range tests {
		if got := KnownProvider(tt.p); got != tt.known {
			t.Errorf("KnownProvider(%q): got %v, want %v", tt.p, got, tt.known)
		}
		if got := Supported(tt.p); got != tt.supported {
			t.Errorf("Supported(%q): got %v, want %v", tt.p, got, tt.supported)
		}
	}
	for p := range supportedProviders {
		if !KnownProvider(p) {
			t.Errorf("supported provider %q is not in LiteLLM's list", p)
		}
	}
}

func TestRPMTPMPlaces(t *testing.T) {
	tests := []struct {
		name     string
		entry    string
		rpm, tpm int64
	}{
		{"litellm_params", "    litellm_params:\n      model: openai/x\n      rpm: 10\n      tpm: 1000\n", 10, 1000},
		{"entry top level", "    litellm_params:\n      model: openai/x\n    rpm: 20\n    tpm: 2000\n", 20, 2000},
		{"model_info", "    litellm_params:\n      model: openai/x\n    model_info:\n      rpm: 30\n      tpm: 3000\n", 30, 3000},
		{"litellm_params wins", "    litellm_params:\n      model: openai/x\n      rpm: 1\n    rpm: 2\n    model_info:\n      rpm: 3\n      tpm: 3000\n", 1, 3000},
		{"top level beats model_info", "    rpm: 2\n    litellm_params:\n      model: openai/x\n    model_info:\n      rpm: 3\n", 2, 0},
		{"underscores and strings", "    litellm_params:\n      model: openai/x\n      rpm: \"60\"\n      tpm: 20_000\n", 60, 20000},
		{"from the environment", "    litellm_params:\n      model: openai/x\n      rpm: os.environ/RPM\n", 7, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := mustParse(t, "model_list:\n  - model_name: g\n"+tt.entry, map[string]string{"RPM": "7"})
			d := cfg.Deployments[0]
			if d.RPM != tt.rpm || d.TPM != tt.tpm {
				t.Errorf("got rpm %d tpm %d, want %d %d", d.RPM, d.TPM, tt.rpm, tt.tpm)
			}
		})
	}
}

func TestDeploymentFields(t *testing.T) {
	yaml := "model_list:\r\n" +
		"  - model_name: gpt-4o\r\n" +
		"    litellm_params:\r\n" +
		"      model: azure/gpt-4o\r\n" +
		"      api_base: https://eu.example/\r\n" +
		"      api_key: os.environ/AZURE_KEY\r\n" +
		"      api_version: 2024-10-21\r\n" +
		"      organization: org-1\r\n" +
		"      weight: 2.5\r\n" +
		"      order: 2\r\n" +
		"      timeout: 30\r\n" +
		"      stream_timeout: 0.5\r\n" +
		"      max_parallel_requests: 8\r\n" +
		"      cooldown_time: 0\r\n" +
		"      num_retries: 4\r\n" +
		"      stream_usage: True\r\n" +
		"    model_info:\r\n" +
		"      base_model: azure/gpt-4o\r\n" +
		"      mode: chat\r\n" +
		"      description: free-form keys are fine\r\n"
	cfg := mustParse(t, yaml, map[string]string{"AZURE_KEY": "k-123"})
	d := cfg.Deployments[0]
	zero := time.Duration(0)
	checks := []struct {
		name      string
		got, want any
	}{
		{"APIBase", d.APIBase, "https://eu.example/"},
		{"APIKey", d.APIKey.Reveal(), "k-123"},
		{"APIVersion", d.APIVersion, "2024-10-21"},
		{"Organization", d.Organization, "org-1"},
		{"Weight", d.Weight, 2.5},
		{"Order", d.Order, 2},
		{"Timeout", d.Timeout, 30 * time.Second},
		{"StreamTimeout", d.StreamTimeout, 500 * time.Millisecond},
		{"MaxParallelRequests", d.MaxParallelRequests, 8},
		{"CooldownTime", *d.CooldownTime, zero},
		{"NumRetries", *d.NumRetries, 4},
		{"StreamUsage", *d.StreamUsage, true},
		{"BaseModel", d.BaseModel, "azure/gpt-4o"},
		{"Mode", d.Mode, "chat"},
		{"MaxInputTokens (model map)", d.MaxInputTokens, 128000},
		{"InputCostPerToken (model map)", d.InputCostPerToken, 2.5e-06},
		{"Line", d.Line, 2},
		{"Source", d.Source, "config.yaml"},
		{"Defaults", len(d.Defaults), 0},
		{"Params", len(d.Params), 13},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
	if d.CooldownTime == nil || d.NumRetries == nil {
		t.Errorf("CooldownTime/NumRetries: got nil, want set")
	}
}

func TestModelMapFallback(t *testing.T) {
	tests := []struct {
		name    string
		entry   string
		wantMax int
		wantIn  float64
		wantOut float64
	}{
		{"bare name", "      model: gpt-4o\n", 128000, 2.5e-06, 1e-05},
		{"openai prefix", "      model: openai/gpt-4o\n", 128000, 2.5e-06, 1e-05},
		{"provider/name key", "      model: azure/gpt-4o\n", 128000, 2.5e-06, 1e-05},
		{"base_model for an azure deployment name", "      model: azure/my-deployment\n    model_info:\n      base_model: gpt-4o\n", 128000, 2.5e-06, 1e-05},
		{"config overrides", "      model: gpt-4o\n      input_cost_per_token: 0.5\n    model_info:\n      max_input_tokens: 1000\n      output_cost_per_token: 0.25\n", 1000, 0.5, 0.25},
		{"unknown model", "      model: openai/my-fine-tune\n", 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := mustParse(t, "model_list:\n  - model_name: g\n    litellm_params:\n"+tt.entry, nil).Deployments[0]
			if d.MaxInputTokens != tt.wantMax || d.InputCostPerToken != tt.wantIn || d.OutputCostPerToken != tt.wantOut {
				t.Errorf("got max_input_tokens %d costs %g/%g, want %d %g/%g", d.MaxInputTokens, d.InputCostPerToken, d.OutputCostPerToken, tt.wantMax, tt.wantIn, tt.wantOut)
			}
			if d.Mode != "chat" {
				t.Errorf("Mode: got %q, want chat", d.Mode)
			}
		})
	}
}

func TestCallDefaults(t *testing.T) {
	yaml := "model_list:\n  - model_name: g\n    litellm_params:\n" +
		"      model: openai/gpt-4o\n      api_key: os.environ/KEY\n      rpm: 5\n" +
		"      temperature: 0.2\n      max_tokens: 100\n      seed: 7\n      reasoning_effort: \"low\"\n" +
		"      stop: [\"\\n\"]\n      thinking: {type: adaptive}\n" +
		"      extra_body: {top_k: 3, temperature: 0.9}\n" +
		"      extra_headers: {\"X-Team Name\": blue, X-Num: 5}\n" +
		"      mock_response: hi\n      aws_region_name: eu-west-1\n      latency: 0.25\n" +
		"      additional_drop_params: [\"temperature\"]\n"
	d := mustParse(t, yaml, map[string]string{"KEY": "sk-secret"}).Deployments[0]
	wantDefaults := map[string]string{
		"temperature": "0.9", "max_tokens": "100", "seed": "7", "reasoning_effort": `"low"`,
		"stop": `["\n"]`, "thinking": `{"type":"adaptive"}`, "top_k": "3",
	}
	if len(d.Defaults) != len(wantDefaults) {
		t.Errorf("Defaults: got %d keys %v, want %d", len(d.Defaults), keysOf(d.Defaults), len(wantDefaults))
	}
	for k, want := range wantDefaults {
		if got := string(d.Defaults[k]); got != want {
			t.Errorf("Defaults[%q]: got %s, want %s", k, got, want)
		}
	}
	wantHeaders := map[string]string{"X-Team Name": "blue", "X-Num": "5"}
	for k, want := range wantHeaders {
		if got := d.ExtraHeaders[k]; got != want {
			t.Errorf("ExtraHeaders[%q]: got %q, want %q", k, got, want)
		}
	}
	for _, k := range []string{"model", "api_key", "rpm", "mock_response", "aws_region_name", "latency", "extra_body", "temperature"} {
		if _, ok := d.Params[k]; !ok {
			t.Errorf("Params: missing %q", k)
		}
	}
	if got := d.Params["latency"]; got != 0.25 {
		t.Errorf("Params[latency]: got %v, want 0.25", got)
	}
	b, _ := json.Marshal(d.Defaults)
	if strings.Contains(string(b), "sk-secret") {
		t.Errorf("Defaults %s contain the api key", b)
	}
}

func keysOf(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestDeploymentID(t *testing.T) {
	const base = "model_list:\n  - model_name: g\n    litellm_params:\n      model: azure/x\n" +
		"      api_base: %s\n      api_key: %s\n      rpm: %s\n      timeout: %s\n"
	parseID := func(apiBase, apiKey, rpm, timeout string, env map[string]string) string {
		t.Helper()
		yaml := strings.NewReplacer("%s", "\x00").Replace(base)
		for _, v := range []string{apiBase, apiKey, rpm, timeout} {
			yaml = strings.Replace(yaml, "\x00", v, 1)
		}
		return mustParse(t, yaml, env).Deployments[0].ID
	}
	ref := parseID("https://a.example", "os.environ/K", "10", "30", map[string]string{"K": "one"})
	if len(ref) != 32 {
		t.Errorf("id %q: got %d characters, want 32 hex", ref, len(ref))
	}
	tests := []struct {
		name              string
		base, key, rpm, t string
		env               map[string]string
		same              bool
	}{
		{"same config", "https://a.example", "os.environ/K", "10", "30", map[string]string{"K": "one"}, true},
		{"rotated key value", "https://a.example", "os.environ/K", "10", "30", map[string]string{"K": "two"}, true},
		{"changed rpm and timeout", "https://a.example", "os.environ/K", "999", "5", map[string]string{"K": "one"}, true},
		{"changed api_base", "https://b.example", "os.environ/K", "10", "30", map[string]string{"K": "one"}, false},
		{"another key variable", "https://a.example", "os.environ/K2", "10", "30", map[string]string{"K2": "one"}, false},
	}
	for _, tt := range tests {
		got := parseID(tt.base, tt.key, tt.rpm, tt.t, tt.env)
		if (got == ref) != tt.same {
			t.Errorf("%s: got id %q vs %q, want same=%v", tt.name, got, ref, tt.same)
		}
	}
	cfg := mustParse(t, "model_list:\n  - model_name: g\n    litellm_params:\n      model: openai/x\n    model_info:\n      id: my-id\n", nil)
	if got := cfg.Deployments[0].ID; got != "my-id" {
		t.Errorf("model_info.id: got %q, want my-id", got)
	}
}

func TestDuplicateIDs(t *testing.T) {
	yaml := "model_list:\n" +
		"  - model_name: g\n    litellm_params:\n      model: openai/x\n      rpm: 1\n" +
		"  - model_name: g\n    litellm_params:\n      model: openai/x\n      rpm: 2\n" +
		"  - model_name: h\n    litellm_params:\n      model: openai/y\n    model_info:\n      id: fixed\n" +
		"  - model_name: h2\n    litellm_params:\n      model: openai/z\n    model_info:\n      id: fixed\n"
	cfg := mustParse(t, yaml, nil)
	if len(cfg.Deployments) != 2 || cfg.Deployments[0].RPM != 1 || cfg.Deployments[1].ModelName != "h" {
		t.Errorf("got %d deployments (%+v), want the first of each id kept", len(cfg.Deployments), cfg.Deployments)
	}
	if !hasWarning(cfg, "config.yaml:6: model_list[1]: deployment id") || !hasWarning(cfg, `deployment id "fixed" is already used by model_list[2] (config.yaml:10)`) {
		t.Errorf("got warnings %q, want duplicate-id warnings naming both entries", cfg.Warnings)
	}
}

func TestDeploymentIDParamReplacesUpstreamModel(t *testing.T) {
	d := mustParse(t, "model_list:\n  - model_name: g\n    litellm_params:\n      model: azure/gpt-4o\n      deployment_id: prod-gpt-4o\n", nil).Deployments[0]
	if d.UpstreamModel != "prod-gpt-4o" || d.Model != "azure/gpt-4o" {
		t.Errorf("got upstream %q model %q, want prod-gpt-4o, azure/gpt-4o", d.UpstreamModel, d.Model)
	}
}

func TestCredentialList(t *testing.T) {
	yaml := "model_list:\n  - model_name: g\n    litellm_params:\n      model: azure/gpt-4o\n      litellm_credential_name: eu\n      api_version: \"2024-10-21\"\n" +
		"credential_list:\n  - credential_name: eu\n    credential_values:\n      api_key: os.environ/K\n      api_base: https://eu.example\n      api_version: \"2023-05-15\"\n    credential_info:\n      description: EU\n"
	d := mustParse(t, yaml, map[string]string{"K": "k"}).Deployments[0]
	if d.APIKey.Reveal() != "k" || d.APIBase != "https://eu.example" || d.APIVersion != "2024-10-21" {
		t.Errorf("got key %q base %q version %q, want the credential's key and base, the deployment's own version", d.APIKey.Reveal(), d.APIBase, d.APIVersion)
	}
	_, err := parseYAMLText(strings.Replace(yaml, "os.environ/K", "os.environ/UNSET", 1), nil)
	if err == nil || err.Error() != "config.yaml:10: credential_list[0].credential_values.api_key: environment variable UNSET is not set" {
		t.Errorf("unset credential variable: got %v, want an error at the credential", err)
	}
}
