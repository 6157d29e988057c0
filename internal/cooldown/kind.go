package cooldown

import "strconv"

// Kind classifies a failed upstream attempt for failure counting. The zero value is [Other].
type Kind int

// The failure kinds. Their [Kind.String] names are LiteLLM's exception class names.
const (
	// Other is an unclassified failure; it has no allowed_fails_policy key.
	Other Kind = iota
	// BadRequest is an HTTP 400 (BadRequestErrorAllowedFails).
	BadRequest
	// Auth is an HTTP 401 or 403 (AuthenticationErrorAllowedFails).
	Auth
	// NotFound is an HTTP 404, usually a misconfigured deployment; no policy key.
	NotFound
	// Timeout is an attempt that timed out or an HTTP 408 (TimeoutErrorAllowedFails).
	Timeout
	// RateLimit is an HTTP 429 (RateLimitErrorAllowedFails).
	RateLimit
	// ContentPolicy is a content-filter refusal (ContentPolicyViolationErrorAllowedFails).
	ContentPolicy
	// Server is an HTTP 5xx (InternalServerErrorAllowedFails).
	Server
	// Connect is a failure to connect or an unreadable answer; no policy key.
	Connect

	numKinds = iota
)

// String returns LiteLLM's exception class name for k ("RateLimitError", "Timeout", …), or
// "Kind(n)" for a value outside the constants.
func (k Kind) String() string {
	switch k {
	case Other:
		return "APIError"
	case BadRequest:
		return "BadRequestError"
	case Auth:
		return "AuthenticationError"
	case NotFound:
		return "NotFoundError"
	case Timeout:
		return "Timeout"
	case RateLimit:
		return "RateLimitError"
	case ContentPolicy:
		return "ContentPolicyViolationError"
	case Server:
		return "InternalServerError"
	case Connect:
		return "APIConnectionError"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// PolicyKey returns k's key in LiteLLM's allowed_fails_policy ("RateLimitErrorAllowedFails"), or
// "" when LiteLLM has none for it (Other, NotFound, Connect).
func (k Kind) PolicyKey() string {
	switch k {
	case BadRequest:
		return "BadRequestErrorAllowedFails"
	case Auth:
		return "AuthenticationErrorAllowedFails"
	case Timeout:
		return "TimeoutErrorAllowedFails"
	case RateLimit:
		return "RateLimitErrorAllowedFails"
	case ContentPolicy:
		return "ContentPolicyViolationErrorAllowedFails"
	case Server:
		return "InternalServerErrorAllowedFails"
	}
	return ""
}

// KindFromPolicyKey returns the kind an allowed_fails_policy key counts. The match is exact
// (LiteLLM's spelling); ok is false for any other key.
func KindFromPolicyKey(key string) (k Kind, ok bool) {
	if key == "" {
		return Other, false
	}
	for k := range Kind(numKinds) {
		if k.PolicyKey() == key {
			return k, true
		}
	}
	return Other, false
}
