package config

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDefaults(t *testing.T) {
	cfg := mustParse(t, oneDeployment, nil)
	r, g := cfg.Router, cfg.General
	checks := []struct {
		name      string
		got, want any
	}{
		{"RoutingStrategy", r.RoutingStrategy, "simple-shuffle"},
		{"NumRetries", r.NumRetries, 2},
		{"Timeout", r.Timeout, 600 * time.Second},
		{"StreamTimeout", r.StreamTimeout, time.Duration(0)},
		{"StreamIdleTimeout", r.StreamIdleTimeout, 300 * time.Second},
		{"ConnectTimeout", r.ConnectTimeout, 10 * time.Second},
		{"AllowedFails", r.AllowedFails, 3},
		{"CooldownTime", r.CooldownTime, 5 * time.Second},
		{"MaxFallbacks", r.MaxFallbacks, 5},
		{"RedisFallback", r.RedisFallback, "share"},
		{"RetryAfter", r.RetryAfter, time.Duration(0)},
		{"MaxRequestSizeMB", g.MaxRequestSizeMB, 10.0},
		{"HealthCheckInterval", g.HealthCheckInterval, 300 * time.Second},
		{"BackgroundHealthChecks", g.BackgroundHealthChecks, false},
		{"MasterKey", g.MasterKey, Secret("")},
		{"Redis", cfg.Redis == nil, true},
		{"Warnings", len(cfg.Warnings), 0},
		{"Mode", cfg.Deployments[0].Mode, "chat"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestRouterSettings(t *testing.T) {
	yaml := oneDeployment + `
litellm_settings:
  num_retries: 9
  request_timeout: 45
  allowed_fails: 1
  cooldown_time: 30
  fallbacks: [{"a": ["b"]}]
  drop_params: True
  callbacks: prometheus
  json_logs: true
router_settings:
  routing_strategy: usage-based-routing-v2
  routing_strategy_args: {ttl: 60}
  num_retries: 1
  retry_after: 0.5
  stream_timeout: 2.5
  stream_idle_timeout: 60
  connect_timeout: 3
  cooldown_time: 0
  disable_cooldowns: "true"
  enable_pre_call_check: true
  default_max_parallel_requests: 16
  max_fallbacks: 2
  redis_fallback: closed
  retry_policy: {"RateLimitErrorRetries": 3, "TimeoutErrorRetries": 0}
  allowed_fails_policy:
    RateLimitErrorAllowedFails: 100
  fallbacks:
    - gpt-3.5-turbo:
        - gpt-4
        - gpt-4o
    - "*": ["backup"]
  context_window_fallbacks: [{"small": "large"}]
  content_policy_fallbacks: []
  default_fallbacks: ["backup"]
`
	cfg := mustParse(t, yaml, nil)
	r := cfg.Router
	checks := []struct {
		name      string
		got, want any
	}{
		{"RoutingStrategy", r.RoutingStrategy, "usage-based-routing-v2"},
		{"RoutingStrategyArgs", r.RoutingStrategyArgs, map[string]any{"ttl": int64(60)}},
		{"NumRetries (router_settings wins)", r.NumRetries, 1},
		{"Timeout (litellm_settings.request_timeout)", r.Timeout, 45 * time.Second},
		{"AllowedFails (litellm_settings)", r.AllowedFails, 1},
		{"CooldownTime (router_settings wins, 0 allowed)", r.CooldownTime, time.Duration(0)},
		{"RetryAfter", r.RetryAfter, 500 * time.Millisecond},
		{"StreamTimeout", r.StreamTimeout, 2500 * time.Millisecond},
		{"StreamIdleTimeout", r.StreamIdleTimeout, 60 * time.Second},
		{"ConnectTimeout", r.ConnectTimeout, 3 * time.Second},
		{"DisableCooldowns", r.DisableCooldowns, true},
		{"EnablePreCallChecks", r.EnablePreCallChecks, true},
		{"DefaultMaxParallelRequests", r.DefaultMaxParallelRequests, 16},
		{"MaxFallbacks", r.MaxFallbacks, 2},
		{"RedisFallback", r.RedisFallback, "closed"},
		{"RetryPolicy", r.RetryPolicy, map[string]int{"RateLimitErrorRetries": 3, "TimeoutErrorRetries": 0}},
		{"AllowedFailsPolicy", r.AllowedFailsPolicy, map[string]int{"RateLimitErrorAllowedFails": 100}},
		{"Fallbacks (router_settings wins)", r.Fallbacks, map[string][]string{"gpt-3.5-turbo": {"gpt-4", "gpt-4o"}, "*": {"backup"}}},
		{"ContextWindowFallbacks", r.ContextWindowFallbacks, map[string][]string{"small": {"large"}}},
		{"ContentPolicyFallbacks", r.ContentPolicyFallbacks, map[string][]string(nil)},
		{"DefaultFallbacks", r.DefaultFallbacks, []string{"backup"}},
		{"Litellm.DropParams", cfg.Litellm.DropParams, true},
		{"Litellm.Callbacks", cfg.Litellm.Callbacks, []string{"prometheus"}},
		{"Litellm.JSONLogs", cfg.Litellm.JSONLogs, true},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: got %#v, want %#v", c.name, c.got, c.want)
		}
	}
	if len(cfg.Warnings) != 0 {
		t.Errorf("got warnings %q, want none", cfg.Warnings)
	}
}

func TestModelGroupAlias(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       map[string]Alias
	}{
		{"flow string form", `model_group_alias: {"gpt-4": "gpt-3.5-turbo"}`, map[string]Alias{"gpt-4": {Group: "gpt-3.5-turbo"}}},
		{"block dict form", "model_group_alias:\n    \"GPT-3.5-turbo\":\n      model: \"gpt-3.5-turbo\"\n      hidden: true",
			map[string]Alias{"GPT-3.5-turbo": {Group: "gpt-3.5-turbo", Hidden: true}}},
		{"mixed", "model_group_alias:\n    a: g\n    b: {model: g, hidden: false}",
			map[string]Alias{"a": {Group: "g"}, "b": {Group: "g"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := mustParse(t, oneDeployment+"router_settings:\n  "+tt.yaml+"\n", nil)
			if !reflect.DeepEqual(cfg.Router.ModelGroupAlias, tt.want) {
				t.Errorf("got %#v, want %#v", cfg.Router.ModelGroupAlias, tt.want)
			}
		})
	}
	_, err := parseYAMLText(oneDeployment+"router_settings:\n  model_group_alias:\n    a: {hidden: true}\n", nil)
	if err == nil || err.Error() != "config.yaml:7: router_settings.model_group_alias.a.model: required" {
		t.Errorf("alias without model: got %v, want a required error", err)
	}
}

func TestRedisSources(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		env  map[string]string
		want *Redis
	}{
		{"none", "", nil, nil},
		{"router_settings", "router_settings:\n  redis_host: <your redis host>\n  redis_port: 1992\n  redis_password: pw\n  redis_db: 2\n",
			map[string]string{"REDIS_URL": "redis://env:6379"},
			&Redis{Source: "router_settings", Host: "<your redis host>", Port: 1992, Password: "pw", DB: 2}},
		{"router_settings from env refs", "router_settings:\n  redis_host: os.environ/RH\n  redis_port: os.environ/RP\n",
			map[string]string{"RH": "cache.internal", "RP": "6380"},
			&Redis{Source: "router_settings", Host: "cache.internal", Port: 6380}},
		{"redis_url", "router_settings:\n  redis_url: rediss://r.example:6380/0\n", nil,
			&Redis{Source: "router_settings", URL: "rediss://r.example:6380/0"}},
		{"cluster nodes", "router_settings:\n  redis_cluster_nodes: [\"a:7000\", {host: b, port: \"7001\"}]\n", nil,
			&Redis{Source: "router_settings", ClusterNodes: []string{"a:7000", "b:7001"}}},
		{"litellm_settings.cache_params", "litellm_settings:\n  cache: true\n  cache_params:\n    type: redis\n    host: c.example\n    password: os.environ/RPW\n",
			map[string]string{"RPW": "pw", "REDIS_HOST": "env-host"},
			&Redis{Source: "litellm_settings.cache_params", Host: "c.example", Port: 6379, Password: "pw"}},
		{"router_settings.cache_params cluster", "router_settings:\n  cache_params:\n    type: redis\n    startup_nodes: [{host: n1, port: 7001}]\n", nil,
			&Redis{Source: "router_settings.cache_params", ClusterNodes: []string{"n1:7001"}}},
		{"s3 cache is not redis", "litellm_settings:\n  cache_params:\n    type: s3\n    s3_bucket_name: b\n", nil, nil},
		{"cache_params without host falls back to the environment", "litellm_settings:\n  cache_params:\n    type: redis\n",
			map[string]string{"REDIS_HOST": "env-host", "REDIS_PORT": "6390", "REDIS_PASSWORD": "pw"},
			&Redis{Source: "environment", Host: "env-host", Port: 6390, Password: "pw"}},
		{"REDIS_URL wins in the environment", "", map[string]string{"REDIS_URL": "redis://u", "REDIS_HOST": "h"},
			&Redis{Source: "environment", URL: "redis://u"}},
		{"environment_variables block", "environment_variables:\n  REDIS_HOST: localhost\n  REDIS_PORT: 6329\n", nil,
			&Redis{Source: "environment", Host: "localhost", Port: 6329}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := mustParse(t, oneDeployment+tt.yaml, tt.env)
			if !reflect.DeepEqual(cfg.Redis, tt.want) {
				t.Errorf("got %#v, want %#v", cfg.Redis, tt.want)
			}
		})
	}
	_, err := parseYAMLText(oneDeployment+"router_settings:\n  redis_host: h\n  redis_port: 99999\n", nil)
	if err == nil || err.Error() != "config.yaml:7: router_settings.redis_port: expected a port number (1-65535)" {
		t.Errorf("bad port: got %v, want a port error", err)
	}
}

func TestGeneralSettings(t *testing.T) {
	yaml := oneDeployment + "general_settings:\n  master_key: sk-1234\n  database_url: os.environ/DB\n" +
		"  max_request_size_mb: 2.5\n  health_check_interval: 60\n  background_health_checks: True\n"
	cfg := mustParse(t, yaml, map[string]string{"DB": "postgres://x"})
	g := cfg.General
	if g.MasterKey.Reveal() != "sk-1234" || g.DatabaseURL.Reveal() != "postgres://x" || g.MaxRequestSizeMB != 2.5 ||
		g.HealthCheckInterval != time.Minute || !g.BackgroundHealthChecks {
		t.Errorf("got %+v, want the values from the file", g)
	}
	if !hasWarning(cfg, "config.yaml:7: general_settings.database_url: virtual keys (database_url) are not supported by Switchyard yet; only the master key authenticates") {
		t.Errorf("got warnings %q, want the virtual-keys warning", cfg.Warnings)
	}
	cfg = mustParse(t, oneDeployment, map[string]string{"LITELLM_MASTER_KEY": "sk-env"})
	if got := cfg.General.MasterKey.Reveal(); got != "sk-env" {
		t.Errorf("master key from LITELLM_MASTER_KEY: got %q, want sk-env", got)
	}
}

func TestRedisTimeoutAndURLSecret(t *testing.T) {
	cfg := mustParse(t, oneDeployment, nil)
	if got := cfg.Router.RedisTimeout; got != 50*time.Millisecond {
		t.Errorf("default redis_timeout: got %v, want 50ms", got)
	}
	cfg = mustParse(t, oneDeployment+"router_settings:\n  redis_url: redis://:hunter2@r.example:6379/0\n  redis_timeout: 0.2\n", nil)
	if got := cfg.Router.RedisTimeout; got != 200*time.Millisecond {
		t.Errorf("redis_timeout 0.2: got %v, want 200ms", got)
	}
	if got := fmt.Sprintf("%+v %#v", *cfg.Redis, *cfg.Redis); strings.Contains(got, "hunter2") {
		t.Errorf("printed Redis config shows the URL's password: %s", got)
	}
	if got := cfg.Redis.URL.Reveal(); got != "redis://:hunter2@r.example:6379/0" {
		t.Errorf("URL.Reveal: got %q", got)
	}
	_, err := parseYAMLText(oneDeployment+"router_settings:\n  redis_timeout: 0\n", nil)
	if err == nil || err.Error() != "config.yaml:6: router_settings.redis_timeout: must be greater than 0" {
		t.Errorf("redis_timeout 0: got %v, want a must-be-positive error", err)
	}
}
