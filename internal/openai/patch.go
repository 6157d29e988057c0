package openai

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// gatewayFields are LiteLLM request fields that are the gateway's, not the provider's: they are
// read by Switchyard (or ignored) and never forwarded. api_base, base_url and api_key are dropped so
// a request body can never point the gateway at another host or key.
var gatewayFields = []string{
	"fallbacks", "context_window_fallbacks", "content_policy_fallbacks", "num_retries", "timeout",
	"stream_timeout", "disable_fallbacks", "mock_response", "tags", "caching", "metadata",
	"api_base", "base_url", "api_key", "api_version", "litellm_logging_obj", "proxy_server_request",
	"max_retries", "cooldown_time",
}

// IsGatewayField reports whether key is a LiteLLM-only request field that must not go upstream
// (the list above, plus mock_testing_* and user_api_key*).
func IsGatewayField(key string) bool {
	return slices.Contains(gatewayFields, key) ||
		strings.HasPrefix(key, "mock_testing_") || strings.HasPrefix(key, "user_api_key")
}

// Patch returns the body to send upstream: the client's bytes with "model" set to model (left
// out when model is ""), gateway-only fields removed, and each default added whose key the client
// did not send. Member values are copied byte for byte; nothing is re-encoded. dst is reused.
func (r *Request) Patch(dst []byte, model string, defaults []Field) []byte {
	dst = append(dst[:0], '{')
	if model != "" {
		dst = append(dst, `"model":`...)
		dst = strconv.AppendQuote(dst, model)
	}
	for _, m := range r.Members {
		if m.Key == "model" || IsGatewayField(m.Key) {
			continue
		}
		if len(dst) > 1 {
			dst = append(dst, ',')
		}
		dst = append(dst, r.Body[m.Start:m.End]...)
	}
	for _, d := range defaults {
		if r.Has(d.Key) {
			continue
		}
		if len(dst) > 1 {
			dst = append(dst, ',')
		}
		dst = strconv.AppendQuote(dst, d.Key)
		dst = append(dst, ':')
		dst = append(dst, d.Value...)
	}
	return append(dst, '}')
}

// Field is one JSON member to add to a request: Key and its encoded Value.
type Field struct {
	Key   string
	Value json.RawMessage
}

// Fields turns a map of defaults into Fields sorted by key, so patched bodies are deterministic.
func Fields(m map[string]json.RawMessage) []Field {
	out := make([]Field, 0, len(m))
	for k, v := range m {
		out = append(out, Field{k, v})
	}
	slices.SortFunc(out, func(a, b Field) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// PatchedLen is an upper bound of the length Patch will produce, for sizing dst.
func (r *Request) PatchedLen(model string, defaults []Field) int {
	n := len(r.Body) + 2*len(model) + 16
	for _, d := range defaults {
		n += len(d.Key) + len(d.Value) + 8
	}
	return n
}
