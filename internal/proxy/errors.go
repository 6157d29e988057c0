package proxy

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ErrClientGone means the client disconnected; logged as 499, costs the deployment nothing.
var ErrClientGone = errors.New("client closed request")

// ErrShutdown is the cancel cause the server gives in-flight requests when its drain deadline
// passes: committed streams end with an error event ("server_shutdown"), never cleanly.
var ErrShutdown = errors.New("server shutting down")

// errAttemptTimeout is the cancel cause of an attempt whose timer fired.
var errAttemptTimeout = errors.New("attempt timed out")

// NoDeploymentsError: no candidate can take the request (the group is empty after filtering).
// Maps to 429 with Retry-After.
type NoDeploymentsError struct {
	Group string
	// RetryAfter is when a deployment is expected to have room again.
	RetryAfter time.Duration
	// Details say why, per deployment (usage against limits).
	Details []string
}

func (e *NoDeploymentsError) Error() string {
	msg := fmt.Sprintf("No deployments available for selected model: %s. Try again in %d seconds", e.Group,
		int64((e.RetryAfter+time.Second-1)/time.Second))
	if len(e.Details) > 0 {
		msg += " (" + strings.Join(e.Details, "; ") + ")"
	}
	return msg
}

// ContextWindowError: the prompt is longer than every candidate's max_input_tokens (found by
// the pre-call check, before any upstream call). Maps to 400 context_length_exceeded.
type ContextWindowError struct {
	Group       string
	Tokens, Max int
}

func (e *ContextWindowError) Error() string {
	return fmt.Sprintf("This model's maximum context length is %d tokens. However, your messages resulted in %d tokens (model group %s)",
		e.Max, e.Tokens, e.Group)
}

// TimeoutError: an attempt ran past its limit. Maps to 408.
type TimeoutError struct {
	// What timed out: "timeout" (a whole non-streaming attempt), "stream_timeout" (time to the
	// first content event) or "stream_idle_timeout" (gap between events).
	Limit string
	After time.Duration
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("upstream did not answer within %s (%s)", e.After, e.Limit)
}

// TransportError: the upstream could not be reached or dropped the connection before answering.
// Maps to 502.
type TransportError struct{ Err error }

func (e *TransportError) Error() string { return "upstream connection failed: " + e.Err.Error() }
func (e *TransportError) Unwrap() error { return e.Err }

// BadResponseError: the upstream answered 200 with a body that cannot be read or used. Maps to 502;
// not retried (the upstream may already have billed the call).
type BadResponseError struct{ Reason string }

func (e *BadResponseError) Error() string { return "unreadable upstream answer: " + e.Reason }

// UpstreamError: the upstream answered with an error status (or an in-band error event before a
// stream committed). Maps to the upstream's status.
type UpstreamError struct {
	Status int
	// Body is the upstream's error body (at most maxErrorBody bytes).
	Body []byte
	// RetryAfter is the upstream's Retry-After, 0 when absent.
	RetryAfter time.Duration
}

func (e *UpstreamError) Error() string {
	return fmt.Sprintf("upstream answered %d %s", e.Status, http.StatusText(e.Status))
}

// StreamBrokenError: a committed stream failed; the client already got the error event.
type StreamBrokenError struct{ Err error }

func (e *StreamBrokenError) Error() string { return "stream broken after commit: " + e.Err.Error() }
func (e *StreamBrokenError) Unwrap() error { return e.Err }

// Retryable reports whether a failure before commit may be retried on another (or the same)
// deployment: connect errors, timeouts, 408/409/429/5xx and error events before the first chunk.
// 400/401/403/404/413/422 and broken 200s are not retried.
func Retryable(err error) bool {
	var (
		te *TimeoutError
		tr *TransportError
		ue *UpstreamError
	)
	switch {
	case errors.As(err, &te), errors.As(err, &tr):
		return true
	case errors.As(err, &ue):
		s := ue.Status
		return s == http.StatusRequestTimeout || s == http.StatusConflict ||
			s == http.StatusTooManyRequests || s >= 500
	}
	return false
}

// parseRetryAfter reads a Retry-After header given in seconds; 0 when absent or not seconds.
func parseRetryAfter(h http.Header) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s > 0 {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}
