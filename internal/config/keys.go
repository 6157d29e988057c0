package config

import "strings"

// Keys Switchyard reads or knowingly ignores, per section. A key in none of these lists gets a
// warning naming it; keys that would misroute traffic if ignored are errors (see validate.go).

// topLevelKeys are the config's sections. finetune_settings, files_settings, credential_list etc.
// are not here: they warn as features Switchyard does not have.
var topLevelKeys = map[string]bool{
	"model_list": true, "include": true, "litellm_settings": true, "router_settings": true,
	"general_settings": true, "environment_variables": true, "credential_list": true,
	// Accepted silently: logging/guardrail integrations that do not change where traffic goes.
	"guardrails": true,
}

// entryKeys are the keys of a model_list entry.
var entryKeys = map[string]bool{
	"model_name": true, "litellm_params": true, "model_info": true, "rpm": true, "tpm": true,
}

// routerKeys are the router_settings keys Switchyard reads (LITELLM-COMPAT.md plus Switchyard's own
// stream_idle_timeout, stream_keepalive, connect_timeout, redis_fallback, redis_timeout, redis_cluster_nodes).
var routerKeys = map[string]bool{
	"routing_strategy": true, "routing_strategy_args": true, "model_group_alias": true,
	"num_retries": true, "retry_after": true, "retry_policy": true, "timeout": true,
	"stream_timeout": true, "stream_idle_timeout": true, "stream_keepalive": true, "connect_timeout": true,
	"allowed_fails": true, "allowed_fails_policy": true, "cooldown_time": true,
	"disable_cooldowns": true, "fallbacks": true, "default_fallbacks": true,
	"context_window_fallbacks": true, "content_policy_fallbacks": true, "max_fallbacks": true,
	"enable_pre_call_checks": true, "enable_pre_call_check": true,
	"default_max_parallel_requests": true, "redis_host": true, "redis_port": true,
	"redis_password": true, "redis_url": true, "redis_db": true, "redis_fallback": true, "redis_timeout": true,
	"redis_cluster_nodes": true, "cache_params": true, "enable_tag_filtering": true,
	// Accepted silently: meaningful only with tag filtering (which is refused when on).
	"tag_filtering_match_any": true,
}

// litellmRouterKeys are litellm_settings keys that set router behaviour; router_settings wins
// when both set one. request_timeout is litellm_settings' name for timeout.
var litellmRouterKeys = map[string]string{
	"num_retries": "num_retries", "request_timeout": "timeout", "fallbacks": "fallbacks",
	"context_window_fallbacks": "context_window_fallbacks",
	"content_policy_fallbacks": "content_policy_fallbacks", "default_fallbacks": "default_fallbacks",
	"allowed_fails": "allowed_fails", "cooldown_time": "cooldown_time",
	"retry_after": "retry_after", "max_fallbacks": "max_fallbacks",
}

// litellmKeys are the other litellm_settings keys Switchyard reads or accepts silently.
var litellmKeys = map[string]bool{
	"drop_params": true, "callbacks": true, "json_logs": true,
	"require_auth_for_metrics_endpoint": true, "set_verbose": true, "cache": true, "cache_params": true,
	// Accepted silently: logging, telemetry and response-shaping switches that do not change
	// where traffic goes or who may send it.
	"success_callback": true, "failure_callback": true, "service_callback": true,
	"input_callback": true, "telemetry": true,
	"turn_off_message_logging": true, "redact_user_api_key_info": true,
	"redact_messages_in_exceptions": true, "log_raw_request_response": true,
	"return_response_headers": true, "s3_callback_params": true, "langfuse_default_tags": true,
	"store_audit_logs": true, "modify_params": true, "callback_settings": true,
}

// generalKeys are the general_settings keys Switchyard reads or accepts silently.
var generalKeys = map[string]bool{
	"master_key": true, "database_url": true, "max_request_size_mb": true,
	"health_check_interval": true, "background_health_checks": true, "custom_auth": true,
	// Accepted silently: database tuning and logging switches (there is no database yet).
	"database_connection_pool_limit": true, "database_connection_timeout": true,
	"proxy_batch_write_at": true, "disable_spend_logs": true, "disable_error_logs": true,
	"store_model_in_db": true, "maximum_spend_logs_retention_period": true,
	"proxy_budget_rescheduler_min_time": true, "proxy_budget_rescheduler_max_time": true,
	"disable_model_info_refresh": true, "health_check_details": true,
}

// modelInfoKeys are the model_info keys Switchyard reads. model_info is free-form in LiteLLM
// (description, version, supports_* …), so other keys are accepted silently.
var modelInfoKeys = map[string]bool{
	"id": true, "base_model": true, "mode": true, "max_input_tokens": true,
	"input_cost_per_token": true, "output_cost_per_token": true, "rpm": true, "tpm": true,
}

// typedParams are litellm_params keys read into Deployment's typed fields (besides model).
var typedParams = map[string]bool{
	"model": true, "api_base": true, "api_key": true, "api_version": true, "organization": true,
	"rpm": true, "tpm": true, "weight": true, "order": true, "timeout": true,
	"stream_timeout": true, "max_parallel_requests": true, "cooldown_time": true,
	"num_retries": true, "input_cost_per_token": true, "output_cost_per_token": true,
	"stream_usage": true, "custom_llm_provider": true, "extra_headers": true, "extra_body": true,
	"deployment_id": true,
}

// fakeParams are the fake provider's litellm_params (read by internal/fake from Params).
var fakeParams = map[string]bool{
	"latency": true, "chunks": true, "chunk_gap": true, "output_tokens": true,
	"fail_rate": true, "fail_status": true, "text": true,
}

// credentialParams are the provider credentials Switchyard reads from Params: an unset
// os.environ/ reference in one is an error, as in api_key.
var credentialParams = map[string]bool{
	"azure_ad_token": true, "tenant_id": true, "client_id": true, "client_secret": true,
	"aws_access_key_id": true, "aws_secret_access_key": true, "aws_session_token": true,
	"aws_region_name": true,
}

// routingParams are litellm_params keys that configure LiteLLM or the connection rather than the
// model call: they never become per-call defaults. Keys starting with one of routingPrefixes are
// routing keys too.
var routingParams = map[string]bool{
	"max_retries": true, "tags": true, "tag_regex": true, "region_name": true,
	"allowed_model_region": true, "litellm_credential_name": true, "azure_ad_token": true,
	"azure_ad_token_provider": true, "tenant_id": true, "client_id": true, "client_secret": true,
	"azure_username": true, "azure_password": true, "azure_scope": true,
	"additional_drop_params": true, "drop_params": true, "use_in_pass_through": true,
	"use_litellm_proxy": true, "merge_reasoning_content_in_choices": true, "metadata": true,
	"realtime_protocol": true, "configurable_clientside_auth_params": true, "max_budget": true,
	"budget_duration": true, "ssl_verify": true, "headers": true, "base_model": true,
	"model_info": true, "hf_model_name": true, "supports_system_message": true,
	"roles": true, "initial_prompt_value": true, "final_prompt_value": true, "bos_token": true,
	"eos_token": true, "rpm_limit": true, "tpm_limit": true, "api_type": true, "base_url": true,
	"cache": true, "caching": true, "use_chat_completions_api": true,
}

var routingPrefixes = []string{
	"mock_", "aws_", "vertex_", "s3_", "input_cost_per_", "output_cost_per_", "auto_router",
	"adaptive_router", "complexity_router", "quality_router", "watsonx_", "litellm_",
}

// isRoutingParam reports whether a litellm_params key stays out of Deployment.Defaults.
func isRoutingParam(key string) bool {
	if typedParams[key] || fakeParams[key] || routingParams[key] {
		return true
	}
	for _, p := range routingPrefixes {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}
