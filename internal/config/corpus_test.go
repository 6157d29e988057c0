package config

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// corpusDir holds real-world LiteLLM configs (see its INDEX.md), relative to this package.
const corpusDir = "../../../shared/litellm-configs"

// corpusEnv sets every variable INDEX.md lists for the loadable files to a dummy value.
func corpusEnv() func(string) (string, bool) {
	names := strings.Fields(`ANTHROPIC_API_KEY APORIA_API_BASE_1 APORIA_API_BASE_2 APORIA_API_KEY_1
		APORIA_API_KEY_2 AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AZURE_API_BASE AZURE_API_KEY
		AZURE_API_KEY_2 AZURE_API_KEY_CA AZURE_API_KEY_EU AZURE_CANADA_API_KEY AZURE_EUROPE_API_KEY
		AZURE_FRANCE_API_KEY AZURE_GPT_4O AZURE_SWEDEN_API_BASE AZURE_SWEDEN_API_KEY CEREBRAS_API_KEY
		CLOUDFLARE_API_KEY COHERE_API_KEY DATABASE_URL DEFAULT_USER_ROLE FAKE_OPENAI_API_BASE FIREWORKS
		GEMINI_API_KEY GHCP_PROXY_API_KEY GHCP_PROXY_BASE_URL GOOGLE_API_KEY GROQ_API_KEY
		GROQ_API_KEY_1 GROQ_API_KEY_2 LANGFUSE_PROJECT1_PUBLIC LANGFUSE_PROJECT1_SECRET
		LANGFUSE_PROJECT2_PUBLIC LANGFUSE_PROJECT2_SECRET LITELLM_MASTER_KEY MISTRAL_API_KEY
		OPENAI_API_KEY OPENROUTER_API_KEY PREDIBASE_API_KEY PREDIBASE_TENANT_ID PROXY_MASTER_KEY
		REDIS_HOST REDIS_PASSWORD REDIS_PORT`)
	env := map[string]string{}
	for _, n := range names {
		env[n] = "dummy-" + strings.ToLower(n)
	}
	env["REDIS_PORT"] = "6379"
	env["DATABASE_URL"] = "postgresql://user:pass@localhost:5432/litellm"
	env["FAKE_OPENAI_API_BASE"] = "https://fake-openai.example/v1"
	env["GHCP_PROXY_BASE_URL"] = "https://ghcp.example/v1"
	return envMap(env)
}

// commentOnlyVars appear in the corpus only inside comments: nothing may mention them.
var commentOnlyVars = strings.Fields(`AZURE_OPENAI_API_BASE AZURE_OPENAI_API_KEY AZURE_OPENAI_KEY
	FIREWORKS_API_KEY GITHUB_TOKEN LANGSMITH_API_KEY NVIDIA_API_KEY QWEN_API_KEY SAMBANOVA_API_KEY
	TOGETHER_API_KEY VERTEX_LOCATION VERTEX_PROJECT`)

const (
	notSupported = `is not supported by Switchyard yet`
	noneLeft     = `model_list: no deployment left to serve: providers not supported by Switchyard yet: `
	badYAML      = `:\d+: invalid YAML: `
)

// group returns the deployments of one model group.
func group(cfg *Config, name string) []Deployment {
	var out []Deployment
	for _, d := range cfg.Deployments {
		if d.ModelName == name {
			out = append(out, d)
		}
	}
	return out
}

type corpusCase struct {
	file string
	// fail, when set, is a regexp one line of the error must match once the file name is removed
	// from it; "" means the file must load (warnings allowed).
	fail string
	// check asserts one concrete fact about a file that loads.
	check func(t *testing.T, cfg *Config)
}

func want(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: got %#v, want %#v", what, got, want)
	}
}

var corpusCases = []corpusCase{
	{file: "01-proxy-server-config-azure-usage-v2.yaml", fail: `^:5: model_list\[0\]\.litellm_params\.region_name: region_name ` + notSupported},
	{file: "02-proxy-server-config-openai-wildcards.yaml", fail: `^:5: model_list\[0\]\.litellm_params\.region_name: region_name ` + notSupported},
	{file: "03-new-secret-config-guardrails-bedrock.yaml", check: func(t *testing.T, cfg *Config) {
		// vertex_ai skipped; o1-preview (no longer in the model map) skipped.
		want(t, "deployments", len(cfg.Deployments), 2)
		b := group(cfg, "fake-claude-endpoint")[0]
		want(t, "bare bedrock model", [2]string{b.Provider, b.UpstreamModel}, [2]string{"bedrock", "anthropic.claude-3-sonnet-20240229-v1:0"})
		want(t, "provider of gpt-3.5-turbo", group(cfg, "fake-openai-endpoint")[0].Provider, "openai")
	}},
	{file: "04-load-balancer-toplevel-rpm-tpm.yaml", check: func(t *testing.T, cfg *Config) {
		want(t, "deployments", len(cfg.Deployments), 4)
		want(t, "top-level rpm/tpm", []int64{cfg.Deployments[0].RPM, cfg.Deployments[0].TPM}, []int64{3, 20000})
		want(t, "mistralai/ provider", group(cfg, "mistral-7b-instruct")[0].Provider, "openrouter")
		want(t, "Redis from environment_variables", cfg.Redis.Port, 6329)
	}},
	{file: "05-proxy-config-vertex-alerting-badindent.yaml", fail: `^:24: invalid YAML: did not find expected key$`},
	{file: "06-azure-two-groups-tpm-underscore-timeouts.yaml", check: func(t *testing.T, cfg *Config) {
		want(t, "tpm 20_000", cfg.Deployments[0].TPM, int64(20000))
		want(t, "stream_timeout 0.5", cfg.Deployments[0].StreamTimeout, 500*time.Millisecond)
	}},
	{file: "07-azure-two-deployments-same-group-tpm.yaml", check: func(t *testing.T, cfg *Config) {
		want(t, "gpt-3.5-turbo deployments", len(group(cfg, "gpt-3.5-turbo")), 2)
		want(t, "tpm", cfg.Deployments[1].TPM, int64(80000))
	}},
	{file: "08-ollama-aliases.yaml", check: func(t *testing.T, cfg *Config) {
		want(t, "deployments", len(cfg.Deployments), 3)
		d := group(cfg, "gpt-4")[0]
		want(t, "ollama/llama2", [2]string{d.Provider, d.UpstreamModel}, [2]string{"ollama", "llama2"})
		want(t, "max_tokens default", string(group(cfg, "gpt-3.5-turbo")[0].Defaults["max_tokens"]), "20")
	}},
	{file: "09-multi-instance-redis-cache-env-api-base.yaml", check: func(t *testing.T, cfg *Config) {
		want(t, "api_base from env", cfg.Deployments[0].APIBase, "https://fake-openai.example/v1")
		want(t, "redis source", cfg.Redis.Source, "environment")
	}},
	{file: "10-simple-minimal.yaml", check: func(t *testing.T, cfg *Config) {
		want(t, "bare gpt-5-mini provider", cfg.Deployments[0].Provider, "openai")
	}},
	{file: "11-enterprise-tag-filtering-1space-indent.yaml", fail: `^:7: model_list\[0\]\.litellm_params\.tags: tags ` + notSupported},
	{file: "12-oai-misc-wildcards-bedrock-batch.yaml", fail: `^:5: model_list\[0\]\.litellm_params\.region_name: region_name ` + notSupported},
	{file: "13-azure-3-regions-same-group-db-url.yaml", check: func(t *testing.T, cfg *Config) {
		want(t, "azure-model deployments", len(group(cfg, "azure-model")), 3)
		want(t, "master key", cfg.General.MasterKey.Reveal(), "dummy-proxy_master_key")
	}},
	{file: "14-bad-keys-azure-env-api-base.yaml", check: func(t *testing.T, cfg *Config) {
		want(t, "deployments", len(cfg.Deployments), 4)
	}},
	{file: "15-azure-cloudflare-s3-cache.yaml", check: func(t *testing.T, cfg *Config) {
		want(t, "unquoted api_version", cfg.Deployments[0].APIVersion, "2023-07-01-preview")
	}},
	{file: "16-no-auth-many-deployments-model-info-ids.yaml", check: func(t *testing.T, cfg *Config) {
		// 21 entries: "azure/" (no deployment name) is skipped.
		want(t, "deployments", len(cfg.Deployments), 20)
		want(t, "titan provider", group(cfg, "amazon-embeddings")[0].Provider, "bedrock")
		want(t, "explicit id", group(cfg, "test_openai_models")[1].ID, "56f1bd94-3b54-4b67-9ea2-7c70e9a3a709")
	}},
	{file: "17-coordination-redis-empty-model-list.yaml", fail: `^:1: model_list: at least one deployment is required \(models stored in a database are not supported\)$`},
	{file: "18-env-vars-quoted-duplicate-key-s3-logging.yaml", check: func(t *testing.T, cfg *Config) {
		want(t, "deployments", len(cfg.Deployments), 4)
		want(t, "quoted env api_key", cfg.Deployments[0].APIKey.Reveal(), "dummy-azure_gpt_4o")
		want(t, "fireworks provider", cfg.Deployments[2].Provider, "fireworks_ai")
		want(t, "duplicate key warned", hasWarning(cfg, "litellm_settings.success_callback: key written more than once"), true)
	}},
	{file: "19-include/config_with_include.yaml", check: func(t *testing.T, cfg *Config) {
		want(t, "included deployment", cfg.Deployments[0].ModelName, "included-model")
		want(t, "its source", filepath.Base(cfg.Deployments[0].Source), "included_models.yaml")
	}},
	{file: "19-include/config_with_multiple_includes.yaml", check: func(t *testing.T, cfg *Config) {
		want(t, "groups", []string{cfg.Deployments[0].ModelName, cfg.Deployments[1].ModelName}, []string{"included-model-1", "included-model-2"})
	}},
	{file: "19-include/config_with_missing_include.yaml", fail: `^:2: include\[0\]: included file "non-existent-file\.yaml" not found`},
	{file: "19-include/included_models.yaml", check: func(t *testing.T, cfg *Config) {
		want(t, "provider of gpt-4", cfg.Deployments[0].Provider, "openai")
	}},
	{file: "19-include/models_file_1.yaml", check: func(t *testing.T, cfg *Config) {
		want(t, "group", cfg.Deployments[0].ModelName, "included-model-1")
	}},
	{file: "19-include/models_file_2.yaml", check: func(t *testing.T, cfg *Config) {
		want(t, "group", cfg.Deployments[0].ModelName, "included-model-2")
	}},
	{file: "20-docs-lb-3-azure-rpm-alias-retries-redis.yaml", check: func(t *testing.T, cfg *Config) {
		want(t, "third rpm", cfg.Deployments[2].RPM, int64(1440))
		want(t, "alias", cfg.Router.ModelGroupAlias["gpt-4"], Alias{Group: "gpt-3.5-turbo"})
		want(t, "placeholder redis", [2]any{cfg.Redis.Host, cfg.Redis.Port}, [2]any{"<your redis host>", 1992})
		want(t, "timeout", cfg.Router.Timeout, 30*time.Second)
	}},
	{file: "21-docs-lb-multi-instance-redis-cache-params.yaml", check: func(t *testing.T, cfg *Config) {
		want(t, "redis source", cfg.Redis.Source, "router_settings")
	}},
	{file: "22-docs-lb-hidden-alias-dict-form.yaml", check: func(t *testing.T, cfg *Config) {
		want(t, "hidden alias", cfg.Router.ModelGroupAlias["GPT-3.5-turbo"], Alias{Group: "gpt-3.5-turbo", Hidden: true})
	}},
	{file: "23-docs-reliability-router-fallbacks-azure-rpm.yaml", check: func(t *testing.T, cfg *Config) {
		want(t, "fallbacks", cfg.Router.Fallbacks, map[string][]string{"gpt-3.5-turbo": {"gpt-4"}})
	}},
	{file: "24-docs-reliability-hf-3-deployments-retries-cooldown.yaml", check: func(t *testing.T, cfg *Config) {
		want(t, "deployments (huggingface skipped)", len(cfg.Deployments), 2)
		want(t, "litellm_settings retries/timeout/cooldown", []any{cfg.Router.NumRetries, cfg.Router.Timeout, cfg.Router.CooldownTime}, []any{3, 10 * time.Second, 30 * time.Second})
	}},
	{file: "25-docs-reliability-model-id-fallback-target.yaml", check: func(t *testing.T, cfg *Config) {
		want(t, "id", cfg.Deployments[0].ID, "my-specific-model-id")
	}},
	{file: "26-docs-reliability-precall-checks-TAB-INDENTED-malformed.yaml", fail: `^` + badYAML},
	{file: "27-docs-reliability-eu-region-TAB-malformed.yaml", fail: `^` + badYAML},
	{file: "28-docs-reliability-wildcard-fallbacks.yaml", check: func(t *testing.T, cfg *Config) {
		w := group(cfg, "azure/*")[0]
		want(t, "wildcard", [2]string{w.Provider, w.UpstreamModel}, [2]string{"azure", "*"})
	}},
	{file: "29-docs-routing-usage-v2-os-getenv-TAB-malformed.yaml", fail: `^` + badYAML},
	{file: "30-docs-routing-weight-shuffle-TAB-malformed.yaml", fail: `^` + badYAML},
	{file: "31-docs-routing-order-priority-precall.yaml", check: func(t *testing.T, cfg *Config) {
		want(t, "orders", []int{cfg.Deployments[0].Order, cfg.Deployments[1].Order}, []int{1, 2})
		want(t, "pre-call checks", cfg.Router.EnablePreCallChecks, true)
	}},
	{file: "32-docs-routing-per-model-cooldown-predibase.yaml", fail: `^:1: ` + noneLeft + `predibase$`},
	{file: "33-docs-routing-anthropic-vertex-same-group.yaml", check: func(t *testing.T, cfg *Config) {
		// vertex_ai (the sonnet-4 fallback) skipped.
		want(t, "sonnet-4 deployments", len(group(cfg, "sonnet-4")), 1)
		b := group(cfg, "byok-sonnet-4")[0]
		want(t, "byok", [3]string{b.Provider, b.UpstreamModel, b.APIBase}, [3]string{"anthropic", "claude-sonnet-4-20250514", "https://proxy.litellm.ai/api.anthropic.com"})
		want(t, "vertex_ai skipped", hasWarning(cfg, `provider "vertex_ai"`), true)
	}},
	{file: "34-docs-configs-quickstart-azure-bedrock-vllm-wildcard.yaml", check: func(t *testing.T, cfg *Config) {
		want(t, "deployments", len(cfg.Deployments), 6)
		b := group(cfg, "bedrock-claude-v1")[0]
		want(t, "bedrock", [2]string{b.Provider, b.UpstreamModel}, [2]string{"bedrock", "anthropic.claude-instant-v1"})
		c := group(cfg, "*")[0]
		want(t, "catch-all", [2]string{c.Provider, c.UpstreamModel}, [2]string{"openai", "*"})
		want(t, "rpm", group(cfg, "gpt-4o")[0].RPM, int64(6))
	}},
	{file: "35-docs-configs-model-specific-params-extra-headers-ollama.yaml", check: func(t *testing.T, cfg *Config) {
		want(t, "deployments", len(cfg.Deployments), 4)
		want(t, "azure_ad_token", cfg.Deployments[0].Params["azure_ad_token"], any(Secret("eyJ0eXAiOiJ")))
		want(t, "ollama", group(cfg, "mistral-7b")[0].Provider, "ollama")
	}},
	{file: "36-docs-configs-bedrock-3-regions-same-group.yaml", check: func(t *testing.T, cfg *Config) {
		g := group(cfg, "bedrock-cohere")
		want(t, "deployments", len(g), 3)
		want(t, "regions", []any{g[0].Params["aws_region_name"], g[2].Params["aws_region_name"]}, []any{"us-west-2", "us-east-1"})
	}},
	{file: "37-docs-configs-load-balancing-hf-rpm-tpm-fallbacks-redis.yaml", check: func(t *testing.T, cfg *Config) {
		want(t, "router_settings num_retries wins", cfg.Router.NumRetries, 2)
		want(t, "context_window_fallbacks", len(cfg.Router.ContextWindowFallbacks), 2)
	}},
	{file: "38-docs-configs-credential-list.yaml", check: func(t *testing.T, cfg *Config) {
		want(t, "api_version from credential", cfg.Deployments[0].APIVersion, "2023-05-15")
		want(t, "api_base from credential", cfg.Deployments[0].APIBase, "dummy-azure_api_base")
	}},
	{file: "39-docs-configs-custom-prompt-template-escapes.yaml", fail: `^:2: ` + noneLeft + `huggingface$`},
	{file: "40-docs-config-settings-all-settings-reference.yaml", fail: `^:137: invalid YAML: `},
	{file: "41-aws-example-latency-routing-cooldown.yaml", check: func(t *testing.T, cfg *Config) {
		want(t, "strategy", cfg.Router.RoutingStrategy, "latency-based-routing")
		want(t, "cooldown/timeout", []time.Duration{cfg.Router.CooldownTime, cfg.Router.Timeout}, []time.Duration{60 * time.Second, 300 * time.Second})
	}},
	{file: "42-helm-values-proxy_config-wrapper.yaml", fail: `^:\d+: proxy_config: this looks like a Helm values file, not a LiteLLM config: the config is under proxy_config:`},
	{file: "43-health-check-background-quoted-env.yaml", check: func(t *testing.T, cfg *Config) {
		want(t, "background health checks", cfg.General.BackgroundHealthChecks, true)
		want(t, "mode", cfg.Deployments[0].Mode, "embedding")
	}},
	{file: "44-adaptive-router-auto-router-cost-per-token.yaml", check: func(t *testing.T, cfg *Config) {
		want(t, "deployments (auto_router skipped)", len(cfg.Deployments), 2)
		want(t, "input cost", group(cfg, "fast")[0].InputCostPerToken, 0.00000015)
	}},
	{file: "45-user-ollama-farm-3-deployments-least-busy.yaml", check: func(t *testing.T, cfg *Config) {
		g := group(cfg, "local-chat")
		want(t, "deployments", len(g), 3)
		want(t, "third", [3]string{g[2].Provider, g[2].UpstreamModel, g[2].APIBase}, [3]string{"ollama", "qwen3.5:0.8b", "http://ollama3:11434"})
	}},
	{file: "46-user-auto-rotation-multi-provider-groups-fallback-chains.yaml", check: func(t *testing.T, cfg *Config) {
		want(t, "coding deployments (cloudflare skipped)", len(group(cfg, "coding")), 7)
		want(t, "block-style fallbacks", cfg.Router.Fallbacks["coding"], []string{"reasoning", "backup"})
	}},
	{file: "47-user-ghcp-wildcards-redis-coordination-cjk-comments.yaml", check: func(t *testing.T, cfg *Config) {
		want(t, "groups", []string{cfg.Deployments[0].ModelName, cfg.Deployments[1].ModelName}, []string{"claude-*", "*"})
		c := group(cfg, "claude-*")[0]
		want(t, "anthropic wildcard", [2]string{c.Provider, c.UpstreamModel}, [2]string{"anthropic", "claude-*"})
		want(t, "redis from router_settings env refs", [2]any{cfg.Redis.Host, cfg.Redis.Port}, [2]any{"dummy-redis_host", 6379})
	}},
	{file: "48-user-gateway-latency-routing-gemini-dup-groups-budget.yaml", check: func(t *testing.T, cfg *Config) {
		want(t, "strategy", cfg.Router.RoutingStrategy, "latency-based-routing")
		want(t, "reasoning_effort default", string(group(cfg, "chatgpt-5-mini-thinking")[0].Defaults["reasoning_effort"]), `"high"`)
	}},
	{file: "49-otel-tag-routing-teamA-teamB-guardrails-1space.yaml", fail: `^:7: model_list\[0\]\.litellm_params\.tags: tags ` + notSupported},
	{file: "50-custom-logger-model-name-with-spaces-scalar-callbacks.yaml", check: func(t *testing.T, cfg *Config) {
		want(t, "group with spaces", cfg.Deployments[0].ModelName, "Azure OpenAI GPT-4 Canada")
		want(t, "scalar callbacks", cfg.Litellm.Callbacks, []string{"custom_callbacks.my_custom_logger"})
	}},
	{file: "51-docs-timeout-per-deployment-null-api-key.yaml", check: func(t *testing.T, cfg *Config) {
		want(t, "null api_key", cfg.Deployments[1].APIKey, Secret(""))
		want(t, "timeout 0.1", cfg.Deployments[0].Timeout, 100*time.Millisecond)
	}},
	{file: "52-docs-tag-routing-free-paid-default.yaml", fail: `^:7: model_list\[0\]\.litellm_params\.tags: tags ` + notSupported},
	{file: "53-docs-tag-regex-bedrock-converse-role-arn.yaml", fail: `enable_tag_filtering ` + notSupported},
}

func TestCorpus(t *testing.T) {
	if _, err := os.Stat(corpusDir); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("corpus %s: %v (required in CI)", corpusDir, err)
		}
		t.Skipf("corpus %s not found", corpusDir)
	}
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*.yaml"))
	more, _ := filepath.Glob(filepath.Join(corpusDir, "19-include", "*.yaml"))
	covered := map[string]bool{}
	for _, c := range corpusCases {
		covered[c.file] = true
	}
	for _, f := range append(files, more...) {
		rel, _ := filepath.Rel(corpusDir, f)
		if !covered[filepath.ToSlash(rel)] {
			t.Errorf("%s: no expectation in corpusCases", rel)
		}
	}
	for _, c := range corpusCases {
		t.Run(c.file, func(t *testing.T) {
			path := filepath.Join(corpusDir, c.file)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := Parse(path, data, corpusEnv())
			var text string
			if err != nil {
				text = err.Error()
			} else {
				text = strings.Join(cfg.Warnings, "\n")
			}
			for _, v := range commentOnlyVars {
				if strings.Contains(text, v) {
					t.Errorf("output mentions %s, which occurs only in comments:\n%s", v, text)
				}
			}
			if c.fail != "" {
				if err == nil {
					t.Fatalf("got no error, want one matching %q", c.fail)
				}
				// Every line names the file; with the name removed, the pattern matches a line.
				rest := strings.ReplaceAll(text, path, "")
				if !strings.HasPrefix(text, path) || !regexp.MustCompile("(?m)"+c.fail).MatchString(rest) {
					t.Errorf("got error\n%s\nwant it to start with the file name and match %q", text, c.fail)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error\n%v\nwant none", err)
			}
			c.check(t, cfg)
		})
	}
}
