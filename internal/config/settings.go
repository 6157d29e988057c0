package config

import (
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Defaults applied when the config does not set a value (LiteLLM's, and Switchyard's own keys).
const (
	defaultRoutingStrategy     = "simple-shuffle"
	defaultNumRetries          = 2
	defaultTimeout             = 600 * time.Second
	defaultStreamIdleTimeout   = 300 * time.Second
	defaultConnectTimeout      = 10 * time.Second
	defaultAllowedFails        = 3
	defaultCooldownTime        = 5 * time.Second
	defaultMaxFallbacks        = 5
	defaultRedisFallback       = "share"
	defaultMaxRequestSizeMB    = 10
	defaultHealthCheckInterval = 300 * time.Second
	defaultRedisPort           = 6379
	defaultRedisTimeout        = 50 * time.Millisecond
)

// RedisFallbacks are the valid router_settings.redis_fallback values.
var RedisFallbacks = []string{"share", "open", "closed"}

// section returns a top-level section's keys, warning about keys not in known.
func (l *loader) section(top map[string]field, name string, known func(string) bool) map[string]field {
	f, ok := top[name]
	if !ok {
		return map[string]field{}
	}
	fields, _ := l.mapping(f)
	for _, c := range fields {
		if !known(c.key.Value) {
			l.warnf(c, "key not used by Switchyard; ignored")
		}
	}
	return byKey(fields)
}

// routerSettings merges litellm_settings' routing keys under router_settings (router_settings
// wins; litellm_settings.request_timeout stands for timeout) and applies defaults.
func (l *loader) routerSettings(rs, ls map[string]field) RouterSettings {
	r := RouterSettings{
		RoutingStrategy: defaultRoutingStrategy, NumRetries: defaultNumRetries,
		Timeout: defaultTimeout, StreamIdleTimeout: defaultStreamIdleTimeout, StreamKeepAlive: 15 * time.Second,
		ConnectTimeout: defaultConnectTimeout, AllowedFails: defaultAllowedFails,
		CooldownTime: defaultCooldownTime, MaxFallbacks: defaultMaxFallbacks,
		RedisFallback: defaultRedisFallback, RedisTimeout: defaultRedisTimeout,
	}
	m := map[string]field{}
	for k, f := range ls {
		if target, ok := litellmRouterKeys[k]; ok {
			m[target] = f
		}
	}
	for k, f := range rs {
		m[k] = f
	}
	if f, ok := m["routing_strategy"]; ok {
		if s, ok := l.str(f); ok {
			if slices.Contains(RoutingStrategies, s) {
				r.RoutingStrategy = s
			} else {
				l.errorf(f, "unknown routing strategy %q (valid: %s)", s, strings.Join(RoutingStrategies, ", "))
			}
		}
	}
	if f, ok := m["routing_strategy_args"]; ok {
		if v, ok := l.value(f, true); ok {
			if args, isMap := v.(map[string]any); isMap {
				r.RoutingStrategyArgs = args
			} else if v != nil {
				l.errorf(f, "expected a mapping, got %s", kindName(f.val))
			}
		}
	}
	if f, ok := m["model_group_alias"]; ok {
		r.ModelGroupAlias = l.aliases(f)
	}
	setInt(l, m, "num_retries", &r.NumRetries)
	setInt(l, m, "allowed_fails", &r.AllowedFails)
	setInt(l, m, "max_fallbacks", &r.MaxFallbacks)
	setInt(l, m, "default_max_parallel_requests", &r.DefaultMaxParallelRequests)
	setDuration(l, m, "retry_after", &r.RetryAfter, false)
	setDuration(l, m, "timeout", &r.Timeout, true)
	setDuration(l, m, "stream_timeout", &r.StreamTimeout, false)
	setDuration(l, m, "stream_idle_timeout", &r.StreamIdleTimeout, true)
	setDuration(l, m, "stream_keepalive", &r.StreamKeepAlive, true)
	setDuration(l, m, "connect_timeout", &r.ConnectTimeout, true)
	setDuration(l, m, "redis_timeout", &r.RedisTimeout, true)
	setDuration(l, m, "cooldown_time", &r.CooldownTime, false)
	setBool(l, m, "disable_cooldowns", &r.DisableCooldowns)
	setBool(l, m, "enable_pre_call_check", &r.EnablePreCallChecks)
	setBool(l, m, "enable_pre_call_checks", &r.EnablePreCallChecks)
	if f, ok := m["retry_policy"]; ok {
		r.RetryPolicy = l.intMap(f)
	}
	if f, ok := m["allowed_fails_policy"]; ok {
		r.AllowedFailsPolicy = l.intMap(f)
	}
	if f, ok := m["fallbacks"]; ok {
		r.Fallbacks = l.fallbacks(f)
	}
	if f, ok := m["context_window_fallbacks"]; ok {
		r.ContextWindowFallbacks = l.fallbacks(f)
	}
	if f, ok := m["content_policy_fallbacks"]; ok {
		r.ContentPolicyFallbacks = l.fallbacks(f)
	}
	if f, ok := m["default_fallbacks"]; ok {
		r.DefaultFallbacks, _ = l.stringList(f)
	}
	if f, ok := m["redis_fallback"]; ok {
		if s, ok := l.str(f); ok {
			if slices.Contains(RedisFallbacks, s) {
				r.RedisFallback = s
			} else {
				l.errorf(f, "unknown redis_fallback %q (valid: %s)", s, strings.Join(RedisFallbacks, ", "))
			}
		}
	}
	return r
}

func setInt(l *loader, m map[string]field, key string, dst *int) {
	if f, ok := m[key]; ok {
		if v, ok := l.intField(f); ok {
			*dst = v
		}
	}
}

func setBool(l *loader, m map[string]field, key string, dst *bool) {
	if f, ok := m[key]; ok {
		if v, ok := l.boolean(f); ok {
			*dst = v
		}
	}
}

// setDuration reads seconds into dst; positive requires a value above zero (an attempt timeout
// of 0 would fail every request).
func setDuration(l *loader, m map[string]field, key string, dst *time.Duration, positive bool) {
	f, ok := m[key]
	if !ok {
		return
	}
	v, ok := l.duration(f)
	if !ok {
		return
	}
	if positive && v <= 0 {
		l.errorf(f, "must be greater than 0")
		return
	}
	*dst = v
}

// aliases reads model_group_alias: {"alias": "group"} or {"alias": {"model": "group", "hidden": true}}.
func (l *loader) aliases(fd field) map[string]Alias {
	fields, ok := l.mapping(fd)
	if !ok {
		return nil
	}
	out := make(map[string]Alias, len(fields))
	for _, f := range fields {
		if n := deref(f.val); n != nil && n.Kind == yaml.MappingNode {
			sub, _ := l.mapping(f)
			m := byKey(sub)
			group, _ := l.str(get(m, f, "model"))
			if group == "" {
				l.errorf(get(m, f, "model"), "required")
				continue
			}
			a := Alias{Group: group}
			if h, ok := m["hidden"]; ok {
				a.Hidden, _ = l.boolean(h)
			}
			out[f.key.Value] = a
			continue
		}
		if group, ok := l.str(f); ok && group != "" {
			out[f.key.Value] = Alias{Group: group}
		}
	}
	return out
}

// fallbacks reads a list of one-key mappings, [{"group": ["fb1", "fb2"]}], in flow or block style.
// A single target may be written as a string.
func (l *loader) fallbacks(fd field) map[string][]string {
	items, ok := l.list(fd, `one-key mappings ({"group": ["fallback", …]})`)
	if !ok {
		return nil
	}
	out := map[string][]string{}
	for i, it := range items {
		fields, _ := l.mapping(fd.item(i, it))
		for _, f := range fields {
			if targets, ok := l.stringList(f); ok {
				out[f.key.Value] = append(out[f.key.Value], targets...)
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// intMap reads a mapping of names to non-negative integers (retry_policy, allowed_fails_policy).
func (l *loader) intMap(fd field) map[string]int {
	fields, ok := l.mapping(fd)
	if !ok {
		return nil
	}
	out := make(map[string]int, len(fields))
	for _, f := range fields {
		if v, ok := l.intField(f); ok {
			out[f.key.Value] = v
		}
	}
	return out
}

// litellmSettings reads the litellm_settings Switchyard uses besides routing keys.
func (l *loader) litellmSettings(ls map[string]field) LitellmSettings {
	var s LitellmSettings
	setBool(l, ls, "drop_params", &s.DropParams)
	setBool(l, ls, "json_logs", &s.JSONLogs)
	setBool(l, ls, "require_auth_for_metrics_endpoint", &s.RequireAuthForMetricsEndpoint)
	setBool(l, ls, "set_verbose", &s.SetVerbose)
	if f, ok := ls["callbacks"]; ok {
		s.Callbacks, _ = l.stringList(f)
	}
	return s
}

// generalSettings reads general_settings; master_key falls back to env LITELLM_MASTER_KEY and
// database_url to env DATABASE_URL, as in LiteLLM.
func (l *loader) generalSettings(gs map[string]field, main *file) GeneralSettings {
	g := GeneralSettings{MaxRequestSizeMB: defaultMaxRequestSizeMB, HealthCheckInterval: defaultHealthCheckInterval}
	if f, ok := gs["master_key"]; ok {
		g.MasterKey, _ = l.secret(f)
	} else if v, ok := l.getenv("LITELLM_MASTER_KEY"); ok {
		g.MasterKey = Secret(v)
	}
	dbField, dbInFile := gs["database_url"]
	if dbInFile {
		g.DatabaseURL, _ = l.secret(dbField)
	} else if v, ok := l.getenv("DATABASE_URL"); ok {
		g.DatabaseURL = Secret(v)
		dbField = field{f: main, path: "DATABASE_URL (environment)"}
	}
	if f, ok := gs["max_request_size_mb"]; ok {
		if v, ok := l.float(f, true); ok {
			if v == 0 {
				l.errorf(f, "must be greater than 0")
			} else {
				g.MaxRequestSizeMB = v
			}
		}
	}
	setDuration(l, gs, "health_check_interval", &g.HealthCheckInterval, true)
	setBool(l, gs, "background_health_checks", &g.BackgroundHealthChecks)
	if g.DatabaseURL != "" && g.MasterKey != "" {
		l.warnf(dbField, "virtual keys (database_url) are not supported by Switchyard yet; only the master key authenticates")
	}
	return g
}
