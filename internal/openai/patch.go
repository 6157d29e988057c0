package openai

import (
	"bytes"
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
// did not send. With askUsage, a stream that did not ask for usage gets
// stream_options.include_usage: true (the caller strips the usage chunk from the client's
// stream). Member values are copied byte for byte; nothing is re-encoded. dst is reused.
func (r *Request) Patch(dst []byte, model string, defaults []Field, askUsage bool) []byte {
	askUsage = askUsage && r.Stream && !r.IncludeUsage
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
		if askUsage && m.Key == "stream_options" {
			dst = appendStreamOptions(dst, r.Body[m.ValStart:m.End])
			askUsage = false
			continue
		}
		dst = append(dst, r.Body[m.Start:m.End]...)
	}
	if askUsage {
		if len(dst) > 1 {
			dst = append(dst, ',')
		}
		dst = appendStreamOptions(dst, nil)
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

// appendStreamOptions writes a stream_options member asking for usage, keeping the client's
// other stream options when it sent an object without include_usage.
func appendStreamOptions(dst, client []byte) []byte {
	dst = append(dst, `"stream_options":`...)
	trimmed := bytes.TrimSpace(client)
	if len(trimmed) < 2 || trimmed[0] != '{' || bytes.Contains(trimmed, []byte(`"include_usage"`)) {
		return append(dst, `{"include_usage":true}`...)
	}
	dst = append(dst, `{"include_usage":true`...)
	if rest := bytes.TrimSpace(trimmed[1:]); len(rest) > 0 && rest[0] != '}' {
		dst = append(dst, ',')
	}
	return append(dst, trimmed[1:]...)
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
	n := len(r.Body) + 2*len(model) + 48
	for _, d := range defaults {
		n += len(d.Key) + len(d.Value) + 8
	}
	return n
}
