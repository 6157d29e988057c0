package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/switchyard/switchyard/internal/openai"
	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/proxy"
)

// StatusClientClosed is logged for a client that went away (NGINX's convention); never sent.
const StatusClientClosed = 499

// RequestError is a problem with the client's request, found before any upstream call.
type RequestError struct {
	Status  int
	Message string
	// Type is the OpenAI error type; "invalid_request_error" when empty.
	Type  string
	Param string
	Code  string
}

func (e *RequestError) Error() string { return e.Message }

func badRequest(param, format string, args ...any) *RequestError {
	return &RequestError{Status: http.StatusBadRequest, Message: fmt.Sprintf(format, args...), Param: param}
}

// keyPattern finds credential-looking fragments an upstream may echo ("Incorrect API key
// provided: sk-abc…"), so they never reach clients or logs.
var keyPattern = regexp.MustCompile(`(sk-[A-Za-z0-9_\-*.]{3,}|Bearer\s+[^\s"',]+|(?i:api[-_ ]?key[=:]\s*)[^\s"',]+)`)

// Scrub removes credential-looking fragments and the given secrets from s.
func Scrub(s string, secrets []string) string {
	for _, k := range secrets {
		if len(k) >= 4 {
			s = strings.ReplaceAll(s, k, "[redacted]")
		}
	}
	return keyPattern.ReplaceAllString(s, "[redacted]")
}

// errorResponse maps a failure to the HTTP status and OpenAI error envelope the client gets.
// It is the one place where errors become statuses: nothing available → 429 (with Retry-After),
// an attempt timed out → 408, connect failure or unreadable answer → 502, an upstream error →
// its status with its message (scrubbed), a client that left → 499 (logged only).
func (s *Server) errorResponse(err error) (status int, body openai.ErrorBody, retryAfter time.Duration) {
	var (
		re  *RequestError
		nd  *proxy.NoDeploymentsError
		te  *proxy.TimeoutError
		tr  *proxy.TransportError
		br  *proxy.BadResponseError
		ue  *proxy.UpstreamError
		sbe *proxy.StreamBrokenError
		cw  *proxy.ContextWindowError
		pe  *provider.ParamError
	)
	detail := func(status int, typ, msg string, code any) {
		body.Error = openai.ErrorDetail{Message: msg, Type: typ, Code: code}
		if code == nil {
			body.Error.Code = strconv.Itoa(status)
		}
	}
	switch {
	case errors.Is(err, proxy.ErrClientGone):
		status = StatusClientClosed
		detail(status, "client_closed_request", "client closed request", nil)
	case errors.As(err, &re):
		status = re.Status
		typ := re.Type
		if typ == "" {
			typ = "invalid_request_error"
		}
		detail(status, typ, re.Message, nil)
		if re.Code != "" {
			body.Error.Code = re.Code
		}
		if re.Param != "" {
			body.Error.Param = &re.Param
		}
	case errors.Is(err, proxy.ErrShutdown):
		status = http.StatusServiceUnavailable
		detail(status, "api_error", "the gateway is shutting down; retry on another instance", nil)
	case errors.As(err, &pe):
		status = http.StatusBadRequest
		detail(status, "invalid_request_error", pe.Error(), nil)
		body.Error.Param = &pe.Param
	case errors.As(err, &cw):
		status = http.StatusBadRequest
		detail(status, "invalid_request_error", cw.Error(), "context_length_exceeded")
	case errors.As(err, &nd):
		status, retryAfter = http.StatusTooManyRequests, nd.RetryAfter
		detail(status, "rate_limit_error", nd.Error(), nil)
	case errors.As(err, &te):
		status = http.StatusRequestTimeout
		detail(status, "timeout", te.Error(), nil)
	case errors.As(err, &tr), errors.As(err, &br):
		status = http.StatusBadGateway
		detail(status, "api_error", s.scrub(err.Error()), nil)
	case errors.As(err, &ue):
		status, retryAfter = ue.Status, ue.RetryAfter
		typ, msg, code := upstreamMessage(ue)
		detail(status, typ, s.scrub(msg), code)
	case errors.As(err, &sbe):
		status = http.StatusBadGateway
		detail(status, "api_error", s.scrub(err.Error()), nil)
	default:
		status = http.StatusInternalServerError
		detail(status, "internal_server_error", s.scrub(err.Error()), nil)
	}
	return status, body, retryAfter
}

// upstreamMessage reads the error an upstream sent: its OpenAI envelope when it has one, else
// the status text and the body's start.
func upstreamMessage(ue *proxy.UpstreamError) (typ, msg string, code any) {
	var env struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(ue.Body, &env) == nil && len(env.Error) > 0 {
		var d struct {
			Message string `json:"message"`
			Type    string `json:"type"`
			Code    any    `json:"code"`
		}
		if json.Unmarshal(env.Error, &d) == nil && d.Message != "" {
			if d.Type == "" {
				d.Type = typeForStatus(ue.Status)
			}
			return d.Type, d.Message, d.Code
		}
		var str string
		if json.Unmarshal(env.Error, &str) == nil && str != "" {
			return typeForStatus(ue.Status), str, nil
		}
	}
	text := strings.TrimSpace(string(ue.Body))
	if len(text) > 512 {
		text = text[:512] + "…"
	}
	msg = fmt.Sprintf("upstream answered %d %s", ue.Status, http.StatusText(ue.Status))
	if text != "" && json.Valid([]byte(text)) {
		msg += ": " + text
	}
	return typeForStatus(ue.Status), msg, nil
}

func typeForStatus(status int) string {
	switch {
	case status == http.StatusUnauthorized:
		return "authentication_error"
	case status == http.StatusForbidden:
		return "permission_denied_error"
	case status == http.StatusNotFound:
		return "not_found_error"
	case status == http.StatusTooManyRequests:
		return "rate_limit_error"
	case status >= 500:
		return "api_error"
	}
	return "invalid_request_error"
}

// writeError renders err as the OpenAI error envelope. Nothing is written for a client that left.
func (s *Server) writeError(w http.ResponseWriter, err error) int {
	status, body, retryAfter := s.errorResponse(err)
	if status == StatusClientClosed {
		return status
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int((retryAfter+time.Second-1)/time.Second)))
	}
	b, _ := json.Marshal(body)
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
	return status
}

func (s *Server) scrub(msg string) string { return Scrub(msg, s.secrets) }
