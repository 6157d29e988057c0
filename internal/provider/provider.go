// Package provider turns a deployment's OpenAI-shaped call into its upstream's HTTP request.
// One Provider exists per deployment; New picks the family from the deployment's provider prefix.
package provider

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/openai"
)

// Op is the kind of call a client made.
type Op int

const (
	// Chat is POST /chat/completions.
	Chat Op = iota
	// Completion is POST /completions (legacy text completions).
	Completion
	// Embedding is POST /embeddings.
	Embedding
)

// Path is the OpenAI path of op, relative to a base URL ending in /v1: "/chat/completions", ….
func (op Op) Path() string {
	switch op {
	case Completion:
		return "/completions"
	case Embedding:
		return "/embeddings"
	default:
		return "/chat/completions"
	}
}

// String names op for logs.
func (op Op) String() string { return strings.TrimPrefix(op.Path(), "/") }

// Provider builds upstream requests for one deployment. Implementations are safe for concurrent use.
type Provider interface {
	// NewRequest returns the upstream request for op carrying body (an OpenAI-shaped request
	// body, already patched for this deployment), with the deployment's auth and extra headers.
	NewRequest(ctx context.Context, op Op, body []byte) (*http.Request, error)
	// Transport is the pooled round tripper to send the request with.
	Transport() http.RoundTripper
	// APIBase is the upstream base URL, safe to show (no credentials).
	APIBase() string
	// StreamUsage reports whether the upstream accepts stream_options.include_usage, so the
	// gateway can ask for token usage at the end of a stream.
	StreamUsage() bool
}

// Factory builds the Provider of one provider family for a deployment.
type Factory func(d *config.Deployment, env *Env) (Provider, error)

// ErrNoAPIBase is returned for a deployment that needs api_base and has none.
var ErrNoAPIBase = errors.New("api_base is required")

// Env is what every provider shares: the transport pool and process environment lookups.
type Env struct {
	// Transports pools one http.Transport per upstream host.
	Transports *Transports
	// LookupEnv reads environment variables (default keys, AZURE_API_VERSION); os.LookupEnv in
	// production.
	LookupEnv func(string) (string, bool)
	// DropParams is litellm_settings.drop_params: parameters a provider cannot take are
	// dropped instead of refused (a deployment's litellm_params.drop_params overrides it).
	DropParams bool
}

// Getenv returns the environment variable k, or "" when unset or when Env has no LookupEnv.
func (e *Env) Getenv(k string) string {
	if e.LookupEnv == nil {
		return ""
	}
	v, _ := e.LookupEnv(k)
	return v
}

// Registry maps a provider prefix to its Factory.
type Registry map[string]Factory

// New builds the Provider for d from the registry; d.Provider must be registered.
func (r Registry) New(d *config.Deployment, env *Env) (Provider, error) {
	f, ok := r[d.Provider]
	if !ok {
		return nil, fmt.Errorf("provider %q is not supported by Switchyard yet", d.Provider)
	}
	return f(d, env)
}

// Redacted returns rawURL with a password in its userinfo replaced by "xxxxx", for display.
func Redacted(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.User == nil {
		return rawURL
	}
	return u.Redacted()
}

// SSLVerifyOff reports whether d sets litellm_params.ssl_verify: false.
func SSLVerifyOff(d *config.Deployment) bool {
	v, ok := d.Params["ssl_verify"].(bool)
	return ok && !v
}

// StreamUsage is litellm_params.stream_usage when set, else def.
func StreamUsage(d *config.Deployment, def bool) bool {
	if d.StreamUsage != nil {
		return *d.StreamUsage
	}
	return def
}

// JoinURL joins base and path with exactly one slash between them.
func JoinURL(base, path string) string {
	return strings.TrimRight(base, "/") + "/" + strings.TrimLeft(path, "/")
}

// Translator is implemented by providers whose wire format is not OpenAI's (Anthropic, Gemini,
// Ollama, Bedrock). Their NewRequest translates the OpenAI-shaped body; the proxy calls the
// Translator to turn the upstream's answers back into OpenAI's shapes.
type Translator interface {
	// Response converts a complete 2xx answer body into an OpenAI response body for op.
	Response(op Op, body []byte) ([]byte, error)
	// Stream wraps a streaming answer body into a source of OpenAI SSE events (each event's
	// Raw is a complete `data: …\n\n` event; the last is `data: [DONE]`).
	Stream(body io.Reader) EventSource
	// Error converts an error answer into the status to report and an OpenAI error body.
	Error(status int, body []byte) (int, []byte)
}

// EventSource yields OpenAI-shaped SSE events, as openai.EventReader does for OpenAI upstreams.
type EventSource interface {
	// Next returns the next event; io.EOF at a clean end, another error for a broken stream.
	Next() (openai.Event, error)
}

// ParamError is returned by NewRequest for a request the provider cannot take: a parameter it
// does not support (without drop_params), or a value it cannot translate (a malformed message).
// The client gets 400 invalid_request_error naming Param; nothing is sent, nothing cools down.
type ParamError struct {
	Param  string
	Reason string
	// Droppable says drop_params: true would drop the parameter; the message then says so.
	Droppable bool
}

func (e *ParamError) Error() string {
	if e.Droppable {
		return fmt.Sprintf("%s: %s (set drop_params: true to drop it)", e.Param, e.Reason)
	}
	return e.Param + ": " + e.Reason
}
