package cooldown

import (
	"errors"
	"testing"
	"time"
)

func TestKindNames(t *testing.T) {
	tests := []struct {
		kind      Kind
		name, key string
	}{
		{Other, "APIError", ""},
		{BadRequest, "BadRequestError", "BadRequestErrorAllowedFails"},
		{Auth, "AuthenticationError", "AuthenticationErrorAllowedFails"},
		{NotFound, "NotFoundError", ""},
		{Timeout, "Timeout", "TimeoutErrorAllowedFails"},
		{RateLimit, "RateLimitError", "RateLimitErrorAllowedFails"},
		{ContentPolicy, "ContentPolicyViolationError", "ContentPolicyViolationErrorAllowedFails"},
		{Server, "InternalServerError", "InternalServerErrorAllowedFails"},
		{Connect, "APIConnectionError", ""},
		{Kind(42), "Kind(42)", ""},
	}
	for _, tt := range tests {
		if got := tt.kind.String(); got != tt.name {
			t.Errorf("Kind(%d).String() = %q, want %q", int(tt.kind), got, tt.name)
		}
		if got := tt.kind.PolicyKey(); got != tt.key {
			t.Errorf("%v.PolicyKey() = %q, want %q", tt.kind, got, tt.key)
		}
		if tt.key == "" {
			continue
		}
		if got, ok := KindFromPolicyKey(tt.key); !ok || got != tt.kind {
			t.Errorf("KindFromPolicyKey(%q) = %v, %v, want %v, true", tt.key, got, ok, tt.kind)
		}
	}
	for _, key := range []string{"", "NotFoundErrorAllowedFails", "ratelimiterrorallowedfails", "RateLimitError"} {
		if got, ok := KindFromPolicyKey(key); ok {
			t.Errorf("KindFromPolicyKey(%q) = %v, true, want false", key, got)
		}
	}
}

func TestPolicyValidate(t *testing.T) {
	tests := []struct {
		name string
		p    Policy
		ok   bool
	}{
		{"default", DefaultPolicy(), true},
		{"zero", Policy{}, true},
		{"known keys", Policy{AllowedFailsPolicy: map[string]int{"RateLimitErrorAllowedFails": 10, "BadRequestErrorAllowedFails": 0}}, true},
		{"negative allowed_fails", Policy{AllowedFails: -1}, false},
		{"negative cooldown_time", Policy{CooldownTime: -time.Second}, false},
		{"negative probe timeout", Policy{ProbeTimeout: -time.Second}, false},
		{"unknown key", Policy{AllowedFailsPolicy: map[string]int{"RateLimitErrorAllowedFails": 1, "Bogus": 1}}, false},
		{"negative per-kind", Policy{AllowedFailsPolicy: map[string]int{"TimeoutErrorAllowedFails": -2}}, false},
	}
	for _, tt := range tests {
		err := tt.p.Validate()
		if got := err == nil; got != tt.ok {
			t.Errorf("%s: Validate() = %v, want ok %v", tt.name, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidPolicy) {
			t.Errorf("%s: Validate() = %v, want it to wrap ErrInvalidPolicy", tt.name, err)
		}
	}
}
