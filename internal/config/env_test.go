package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEnvReferences(t *testing.T) {
	yaml := "environment_variables:\n  FROM_BLOCK: block-value\n  OVERRIDDEN: block\n" +
		"model_list:\n  - model_name: g\n    litellm_params:\n" +
		"      model: openai/x\n" +
		"      api_base: \"os.environ/FROM_BLOCK\"   # quoted, with a comment\n" +
		"      api_key: os.environ/OVERRIDDEN\n" +
		"      vertex_credentials: os.environ/UNUSED_VAR\n" +
		"litellm_settings:\n  success_callback: [\"langfuse\"]\n  langfuse_default_tags: os.environ/ALSO_UNUSED\n" +
		"# commented: os.environ/ONLY_IN_A_COMMENT\n"
	cfg := mustParse(t, yaml, map[string]string{"OVERRIDDEN": "process"})
	d := cfg.Deployments[0]
	if d.APIBase != "block-value" || d.APIKey.Reveal() != "block" {
		t.Errorf("got api_base %q api_key %q, want values from environment_variables", d.APIBase, d.APIKey.Reveal())
	}
	want := []string{
		"config.yaml:10: model_list[0].litellm_params.vertex_credentials: environment variable UNUSED_VAR is not set (Switchyard does not use this key, so it is not an error)",
		"config.yaml:13: litellm_settings.langfuse_default_tags: environment variable ALSO_UNUSED is not set (Switchyard does not use this key, so it is not an error)",
	}
	if strings.Join(cfg.Warnings, "\n") != strings.Join(want, "\n") {
		t.Errorf("got warnings\n%s\nwant\n%s", strings.Join(cfg.Warnings, "\n"), strings.Join(want, "\n"))
	}
	if _, set := os.LookupEnv("FROM_BLOCK"); set {
		t.Errorf("environment_variables leaked into the process environment")
	}
	if _, ok := d.Params["vertex_credentials"]; ok {
		t.Errorf("Params: got vertex_credentials, want an unset reference left out")
	}
}

func TestSkippedDeploymentEnvIsAWarning(t *testing.T) {
	yaml := "model_list:\n" +
		"  - model_name: c\n    litellm_params:\n      model: huggingface/zephyr\n      api_key: os.environ/HUGGINGFACE_API_KEY\n" +
		"  - model_name: g\n    litellm_params:\n      model: openai/x\n"
	cfg := mustParse(t, yaml, nil)
	if !hasWarning(cfg, "config.yaml:5: model_list[0].litellm_params.api_key: environment variable HUGGINGFACE_API_KEY is not set (Switchyard does not use this key") {
		t.Errorf("got warnings %q, want the unset key of a skipped deployment as a warning", cfg.Warnings)
	}
}

func TestDuplicateKeysLastWins(t *testing.T) {
	yaml := "model_list:\n  - model_name: first\n    litellm_params:\n      model: openai/x\n" +
		"litellm_settings:\n  num_retries: 1\n  num_retries: 4\n" +
		"model_list:\n  - model_name: second\n    litellm_params:\n      model: openai/x\n      model: openai/y\n"
	cfg := mustParse(t, yaml, nil)
	if len(cfg.Deployments) != 1 || cfg.Deployments[0].ModelName != "second" || cfg.Deployments[0].UpstreamModel != "y" {
		t.Errorf("got %+v, want the last model_list and the last model", cfg.Deployments)
	}
	if cfg.Router.NumRetries != 4 {
		t.Errorf("NumRetries: got %d, want 4 (the last one)", cfg.Router.NumRetries)
	}
	for _, w := range []string{"config.yaml:7: litellm_settings.num_retries: key written more than once", "config.yaml:8: model_list: key written more than once", "config.yaml:12: model_list[0].litellm_params.model: key written more than once"} {
		if !hasWarning(cfg, w) {
			t.Errorf("got warnings %q, want %q", cfg.Warnings, w)
		}
	}
}

func TestYAMLScalars(t *testing.T) {
	yaml := "model_list:\n  - model_name: g\n    litellm_params:\n      model: openai/x\n" +
		"      tpm: 100_000\n      stream_timeout: 0.01\n      stream_usage: False\n" +
		"      api_version: 2023-07-01-preview\n      organization: 2024-01-01\n" +
		"      max_parallel_requests: os.environ/MPR\n      weight: \"1.5\"\n"
	d := mustParse(t, yaml, map[string]string{"MPR": " 12 "}).Deployments[0]
	if d.TPM != 100000 || d.StreamTimeout != 10_000_000 || *d.StreamUsage || d.APIVersion != "2023-07-01-preview" ||
		d.Organization != "2024-01-01" || d.MaxParallelRequests != 12 || d.Weight != 1.5 {
		t.Errorf("got %+v, want tpm 100000, stream_timeout 10ms, stream_usage false, dates as written, 12, 1.5", d)
	}
}

func TestUnknownKeyWarnings(t *testing.T) {
	yaml := "model_list:\n  - model_name: g\n    litellm_params:\n      model: openai/x\n    region: eu\n" +
		"finetune_settings: {}\n" +
		"router_settings:\n  provider_budget_config: {}\n  num_retries: 1\n" +
		"general_settings:\n  alerting: [slack]\n  master_key: sk-1\n" +
		"litellm_settings:\n  callbacks: [prometheus]\n  max_budget: 10\n" +
		"guardrails: []\n"
	cfg := mustParse(t, yaml, nil)
	want := []string{
		"config.yaml:5: model_list[0].region: unknown key in a model_list entry; ignored",
		"config.yaml:6: finetune_settings: top-level key not used by Switchyard; ignored",
		"config.yaml:8: router_settings.provider_budget_config: key not used by Switchyard; ignored",
		"config.yaml:11: general_settings.alerting: key not used by Switchyard; ignored",
		"config.yaml:15: litellm_settings.max_budget: key not used by Switchyard; ignored",
	}
	if got := strings.Join(cfg.Warnings, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("got warnings\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
}

func TestInclude(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("models/a.yaml", "model_list:\n  - model_name: inc-a\n    litellm_params:\n      model: openai/a\n")
	write("models/b.yaml", "model_list:\n  - model_name: inc-b\n    litellm_params:\n      model: openai/b\n      rpm: -3\nrouter_settings: {}\n")
	write("models/bad.yaml", "model_list:\n  - model_name: x\n    litellm_params: @x\n")
	main := write("config.yaml", "include:\n  - models/a.yaml\nmodel_list:\n  - model_name: own\n    litellm_params:\n      model: openai/own\n")
	cfg, err := Load(main)
	if err != nil {
		t.Fatalf("Load: got %v, want no error", err)
	}
	var names []string
	for _, d := range cfg.Deployments {
		names = append(names, d.ModelName+"@"+filepath.Base(d.Source))
	}
	if got, want := strings.Join(names, ","), "own@config.yaml,inc-a@a.yaml"; got != want {
		t.Errorf("deployments: got %s, want %s", got, want)
	}

	main = write("config2.yaml", "include: [models/b.yaml, models/missing.yaml, models/bad.yaml]\n")
	_, err = Load(main)
	if err == nil {
		t.Fatal("Load: got no error, want errors")
	}
	bPath, badPath := filepath.Join(dir, "models/b.yaml"), filepath.Join(dir, "models/bad.yaml")
	want := []string{
		main + `:1: include[1]: included file "models/missing.yaml" not found (looked for ` + filepath.Join(dir, "models/missing.yaml") + ")",
		bPath + ":5: model_list[0].litellm_params.rpm: must not be negative",
		badPath + ":3: invalid YAML: found character that cannot start any token",
	}
	got := strings.Split(err.Error(), "\n")
	if len(got) != len(want) {
		t.Fatalf("got errors\n%s\nwant\n%s", err, strings.Join(want, "\n"))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("error %d: got %q, want %q", i, got[i], want[i])
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if err == nil || !strings.Contains(err.Error(), "nope.yaml") {
		t.Errorf("got %v, want an error naming the file", err)
	}
}
