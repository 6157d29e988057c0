package proxy

import (
	"bytes"
	"errors"
	"net/http"
	"time"

	"github.com/switchyard/switchyard/internal/cooldown"
	"github.com/switchyard/switchyard/internal/provider"
)

// Action is what the proxy does after a failed attempt.
type Action int

const (
	// FailFast returns the error to the client: retrying cannot help (400, 413, 422, a
	// broken 200, an auth error in a one-deployment group).
	FailFast Action = iota
	// Retry tries again: another deployment when one remains, else the same after backoff.
	Retry
	// RetryElsewhere tries another deployment only (401/403/404 in a group with others: the
	// deployment is misconfigured, the request may be fine).
	RetryElsewhere
	// ClientGone stops: the client left.
	ClientGone
)

// Verdict is the classifier's reading of one failure.
type Verdict struct {
	Action Action
	// Kind is the failure's class, for cooldown counting and retry_policy.
	Kind cooldown.Kind
	// Counts says the failure counts toward the deployment's cooldown.
	Counts bool
	// RetryAfter is the upstream's Retry-After, 0 when none.
	RetryAfter time.Duration
	// ContextWindow and ContentPolicy mark errors with their own fallback lists.
	ContextWindow, ContentPolicy bool
}

// Classify is the one place that gives meaning to upstream failures: it turns the error of an
// attempt (status, upstream error body, transport error, timing) into an action. groupSize is
// the number of deployments in the model group.
//
// Counted toward cooldown: connect errors, timeouts, 408, 429, 5xx, 401, 403, 404 and
// unreadable answers. Retried: connect errors, timeouts, 408, 409, 429, 5xx and error events
// before a stream's first chunk; 401/403/404 only on another deployment. Never retried: 400,
// 413, 422 and a 200 with a broken body (the upstream may have billed it).
func Classify(err error, groupSize int) Verdict {
	var (
		te *TimeoutError
		tr *TransportError
		br *BadResponseError
		ue *UpstreamError
		cw *ContextWindowError
		pe *provider.ParamError
	)
	switch {
	case errors.As(err, &pe):
		return Verdict{Action: FailFast, Kind: cooldown.BadRequest}
	case errors.As(err, &cw):
		return Verdict{Action: FailFast, Kind: cooldown.BadRequest, ContextWindow: true}
	case errors.Is(err, ErrClientGone), errors.Is(err, ErrShutdown):
		return Verdict{Action: ClientGone}
	case errors.As(err, &te):
		return Verdict{Action: Retry, Kind: cooldown.Timeout, Counts: true}
	case errors.As(err, &tr):
		return Verdict{Action: Retry, Kind: cooldown.Connect, Counts: true}
	case errors.As(err, &br):
		return Verdict{Action: FailFast, Kind: cooldown.Server, Counts: true}
	case errors.As(err, &ue):
		return classifyStatus(ue, groupSize)
	}
	return Verdict{Action: FailFast, Kind: cooldown.Other}
}

func classifyStatus(ue *UpstreamError, groupSize int) Verdict {
	v := Verdict{RetryAfter: ue.RetryAfter}
	elsewhere := FailFast
	if groupSize > 1 {
		elsewhere = RetryElsewhere
	}
	switch s := ue.Status; {
	case s == http.StatusTooManyRequests:
		v.Action, v.Kind, v.Counts = Retry, cooldown.RateLimit, true
	case s == http.StatusRequestTimeout:
		v.Action, v.Kind, v.Counts = Retry, cooldown.Timeout, true
	case s == http.StatusConflict:
		v.Action, v.Kind = Retry, cooldown.Other
	case s >= 500:
		v.Action, v.Kind, v.Counts = Retry, cooldown.Server, true
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		v.Action, v.Kind, v.Counts = elsewhere, cooldown.Auth, true
	case s == http.StatusNotFound:
		v.Action, v.Kind, v.Counts = elsewhere, cooldown.NotFound, true
	default:
		v.Action, v.Kind = FailFast, cooldown.BadRequest
		switch {
		case isContextWindow(ue.Body):
			v.ContextWindow = true
		case isContentPolicy(ue.Body):
			v.ContentPolicy, v.Kind = true, cooldown.ContentPolicy
		}
	}
	return v
}

// isContextWindow recognises OpenAI's and Azure's "prompt too long" errors.
func isContextWindow(body []byte) bool {
	return bytes.Contains(body, []byte("context_length_exceeded")) ||
		bytes.Contains(body, []byte("maximum context length")) ||
		bytes.Contains(body, []byte("context window"))
}

// isContentPolicy recognises OpenAI's and Azure's content filter errors.
func isContentPolicy(body []byte) bool {
	return bytes.Contains(body, []byte("content_filter")) ||
		bytes.Contains(body, []byte("content_policy_violation")) ||
		bytes.Contains(body, []byte("ResponsibleAIPolicyViolation"))
}

// retryPolicyKey is retry_policy's key for a kind (LiteLLM's names).
func retryPolicyKey(k cooldown.Kind) string {
	switch k {
	case cooldown.BadRequest:
		return "BadRequestErrorRetries"
	case cooldown.Auth:
		return "AuthenticationErrorRetries"
	case cooldown.Timeout:
		return "TimeoutErrorRetries"
	case cooldown.RateLimit:
		return "RateLimitErrorRetries"
	case cooldown.ContentPolicy:
		return "ContentPolicyViolationErrorRetries"
	case cooldown.Server:
		return "InternalServerErrorRetries"
	}
	return ""
}
