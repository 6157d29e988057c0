// Package config reads a LiteLLM proxy config.yaml into Switchyard's typed configuration.
//
// Load parses the file (and its include: files), resolves os.environ/NAME references, applies
// LiteLLM's defaults and validates the result. Every error names the file, the line and the field
// path, e.g. "config.yaml:14: model_list[2].litellm_params.model: required".
package config

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"time"
)

// Secret holds a credential (API key, master key, password). It never prints its value: String,
// GoString, MarshalJSON and LogValue all return "[redacted]". Use Reveal to read it.
type Secret string

// Reveal returns the secret's value. Call it only where the value goes on the wire.
func (s Secret) Reveal() string { return string(s) }

// String returns "[redacted]" (or "" when empty), so a Secret is safe in any format verb.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// Format prints String under every fmt verb (%d, %x, %q, %#v included), so no verb can print
// the value.
func (s Secret) Format(f fmt.State, _ rune) { io.WriteString(f, s.String()) }

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return s.String() }

// LogValue keeps slog from printing the value.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON keeps encoding/json from printing the value.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// Config is a loaded, validated configuration. It is immutable after Load returns.
type Config struct {
	// File is the path the config was loaded from ("" for the built-in demo).
	File string
	// Deployments are model_list entries that Switchyard serves, in file order (includes merged
	// after the including file's own entries). Entries for providers we do not support yet are
	// left out (with a warning).
	Deployments []Deployment
	Router      RouterSettings
	Litellm     LitellmSettings
	General     GeneralSettings
	// Redis is where shared state lives; nil when no Redis is configured (quotas per instance).
	Redis *Redis
	// Warnings are non-fatal findings (unknown keys, unused unset env vars, skipped providers),
	// each a full sentence that names the file, line and key. Print each once at startup.
	Warnings []string
}

// Deployment is one model_list entry: one upstream the gateway can send a model group's traffic to.
type Deployment struct {
	// ModelName is model_name: the model group the entry belongs to. May be a wildcard ("openai/*", "*").
	ModelName string
	// ID is model_info.id, else a deterministic hash (see deploymentID), stable across instances
	// and across changes of keys and tunables.
	ID string
	// Model is litellm_params.model exactly as written, e.g. "azure/gpt-turbo-small-ca".
	Model string
	// Provider is the provider prefix ("openai", "azure", "hosted_vllm", "fake", …); for a bare
	// model name, the provider the model map gives it (gpt-4o → openai).
	Provider string
	// UpstreamModel is the name sent upstream: Model without its provider prefix
	// (for azure, the deployment name in the URL); litellm_params.deployment_id replaces it, as in
	// LiteLLM. "*" means "the model name the client asked for".
	UpstreamModel string
	APIBase       string
	APIKey        Secret
	// APIVersion is litellm_params.api_version ("" = provider default).
	APIVersion string
	// Organization is litellm_params.organization (OpenAI-Organization header), "" if unset.
	Organization string
	// RPM and TPM are per-minute quotas from litellm_params, the entry's top level or model_info
	// (first found in that order); 0 means unlimited.
	RPM, TPM int64
	// Weight is litellm_params.weight for simple-shuffle; 0 means unset.
	Weight float64
	// Order is litellm_params.order (priority tier, lower first); 0 means unset.
	Order int
	// Timeout bounds one non-streaming attempt; 0 means "use the router's".
	Timeout time.Duration
	// StreamTimeout bounds the time to a stream's commit point; 0 means "use the router's".
	StreamTimeout time.Duration
	// MaxParallelRequests caps in-flight requests on this deployment; 0 means no cap.
	MaxParallelRequests int
	// CooldownTime overrides the router's cooldown_time when non-nil (0 disables cooldown).
	CooldownTime *time.Duration
	// NumRetries overrides the router's num_retries when non-nil.
	NumRetries *int
	// InputCostPerToken and OutputCostPerToken are USD per token (config, else the model map).
	InputCostPerToken, OutputCostPerToken float64
	// MaxInputTokens is model_info.max_input_tokens, else the model map's; 0 = unknown.
	MaxInputTokens int
	// BaseModel and Mode are model_info.base_model and model_info.mode ("chat" when unset).
	BaseModel, Mode string
	Tags            []string
	// StreamUsage says whether the upstream accepts stream_options.include_usage; nil = provider default.
	StreamUsage *bool
	// ExtraHeaders are added to every upstream request (litellm_params.extra_headers).
	ExtraHeaders map[string]string
	// Defaults are the non-routing litellm_params (temperature, max_tokens, seed, extra_body's
	// members, …) as JSON values, applied to each call whose body does not set them.
	Defaults map[string]json.RawMessage
	// Params is every litellm_params key as decoded from YAML (env refs resolved), for provider
	// specific settings such as the fake provider's latency. Values are string, int64, float64,
	// bool, nil, []any or map[string]any; credential keys (api_key, *_key, *_token, *secret*,
	// *password*, *credential*) hold a Secret instead of a string. An unset os.environ/ reference
	// in a key Switchyard does not use is left out.
	Params map[string]any
	// Line is the line of the entry in Source.
	Line   int
	Source string
}

// RouterSettings are router_settings, merged over litellm_settings (router_settings wins).
// Durations are seconds in the file. Defaults are LiteLLM's.
type RouterSettings struct {
	// RoutingStrategy is one of RoutingStrategies; default "simple-shuffle".
	RoutingStrategy string
	// RoutingStrategyArgs is routing_strategy_args as decoded (latency: ttl, lowest_latency_buffer).
	RoutingStrategyArgs map[string]any
	// ModelGroupAlias maps an alias to its group.
	ModelGroupAlias map[string]Alias
	// NumRetries is retries after the first attempt; default 2.
	NumRetries int
	// RetryAfter is the minimum wait before a retry of the same deployment; default 0.
	RetryAfter time.Duration
	// RetryPolicy maps an error kind (e.g. "RateLimitErrorRetries") to its retry count.
	RetryPolicy map[string]int
	// Timeout bounds one attempt; default 600 s.
	Timeout time.Duration
	// StreamTimeout bounds the time to a stream's commit point; 0 = equals Timeout.
	StreamTimeout time.Duration
	// StreamIdleTimeout is the longest gap between events of a committed stream; default 300 s.
	StreamIdleTimeout time.Duration
	// StreamKeepAlive is the longest gap in a committed stream before the gateway sends a
	// ": keep-alive" comment (Switchyard key stream_keepalive); default 15 s.
	StreamKeepAlive time.Duration
	// ConnectTimeout bounds dialling an upstream; default 10 s.
	ConnectTimeout time.Duration
	// AllowedFails is failures in 60 s before cooldown; default 3.
	AllowedFails int
	// AllowedFailsPolicy maps an error kind to its allowed fails.
	AllowedFailsPolicy map[string]int
	// CooldownTime is how long a failing deployment is skipped; default 5 s.
	CooldownTime     time.Duration
	DisableCooldowns bool
	// Fallbacks, ContextWindowFallbacks, ContentPolicyFallbacks map a group to the groups to try
	// next, in order; key "*" applies to every group.
	Fallbacks              map[string][]string
	ContextWindowFallbacks map[string][]string
	ContentPolicyFallbacks map[string][]string
	DefaultFallbacks       []string
	// MaxFallbacks bounds fallback depth; default 5.
	MaxFallbacks int
	// EnablePreCallChecks (also spelled enable_pre_call_check) turns on order tiers and
	// context-window checks.
	EnablePreCallChecks bool
	// DefaultMaxParallelRequests caps in-flight requests per deployment without its own cap; 0 = none.
	DefaultMaxParallelRequests int
	// RedisFallback is what quotas do while Redis is unreachable: "share" (default), "open", "closed".
	RedisFallback string
	// RedisTimeout bounds every Redis call, dialling included (Switchyard key redis_timeout);
	// default 50 ms. A slow or frozen Redis adds at most this to a request.
	RedisTimeout time.Duration
}

// Alias is one model_group_alias entry.
type Alias struct {
	// Group is the model group the alias routes to.
	Group string
	// Hidden aliases are routable but not listed by /v1/models.
	Hidden bool
}

// LitellmSettings are the litellm_settings Switchyard uses (routing keys are merged into Router).
type LitellmSettings struct {
	// DropParams drops parameters a provider cannot take instead of failing.
	DropParams bool
	// Callbacks as written (e.g. ["prometheus"]).
	Callbacks []string
	// JSONLogs selects JSON log lines.
	JSONLogs bool
	// RequireAuthForMetricsEndpoint puts /metrics behind the master key.
	RequireAuthForMetricsEndpoint bool
	// SetVerbose turns on debug logging, like --debug.
	SetVerbose bool
}

// GeneralSettings are the general_settings Switchyard uses.
type GeneralSettings struct {
	// MasterKey, when set, is required on every route but the health probes and /metrics.
	// From general_settings.master_key, else env LITELLM_MASTER_KEY.
	MasterKey Secret
	// DatabaseURL is kept for later features; never printed.
	DatabaseURL Secret
	// MaxRequestSizeMB bounds request bodies; default 10.
	MaxRequestSizeMB float64
	// HealthCheckInterval is seconds between background health checks; default 300 s.
	HealthCheckInterval time.Duration
	// BackgroundHealthChecks turns on active probes; default false.
	BackgroundHealthChecks bool
}

// Redis says where shared state lives.
type Redis struct {
	// Source names where it was configured: "router_settings", "litellm_settings.cache_params"
	// or "environment".
	Source string
	// URL is redis:// or rediss:// when given as a URL; a Secret because it may carry the
	// password (redis://:pw@host).
	URL      Secret
	Host     string
	Port     int
	Password Secret
	DB       int
	// ClusterNodes are "host:port" startup nodes for Redis Cluster.
	ClusterNodes []string
}

// RoutingStrategies are the valid routing_strategy values.
var RoutingStrategies = []string{
	"simple-shuffle", "least-busy", "usage-based-routing", "usage-based-routing-v2",
	"latency-based-routing", "cost-based-routing",
}
