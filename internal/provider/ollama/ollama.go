// Package ollama is the provider for Ollama's native chat API ("ollama_chat/" and "ollama/"):
// POST {api_base}/api/chat, streamed as NDJSON. NewRequest translates the OpenAI chat body;
// the Translator methods turn answers, NDJSON lines and errors back into OpenAI's shapes.
package ollama

import (
	"context"
	"fmt"
	"net/http"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/provider/openai"
)

// DefaultAPIBase is used when neither api_base nor OLLAMA_API_BASE is set.
const DefaultAPIBase = "http://localhost:11434"

// Provider sends chat requests to one Ollama server.
type Provider struct {
	// Base is the server's base URL (without /api).
	Base string
	// Key, when set, is sent as a bearer token (Ollama behind an authenticating proxy).
	Key config.Secret
	// Header is added to every request (extra_headers).
	Header http.Header
	// RT sends the requests.
	RT http.RoundTripper
	// DropParams drops OpenAI parameters Ollama cannot take instead of refusing them.
	DropParams bool
}

// New is the provider.Factory for "ollama_chat/" and "ollama/". api_base falls back to
// OLLAMA_API_BASE and DefaultAPIBase.
func New(d *config.Deployment, env *provider.Env) (provider.Provider, error) {
	base := d.APIBase
	if base == "" {
		base = env.Getenv("OLLAMA_API_BASE")
	}
	if base == "" {
		base = DefaultAPIBase
	}
	drop, _ := d.Params["drop_params"].(bool)
	return &Provider{Base: base, Key: d.APIKey, Header: openai.BaseHeader(d),
		RT: env.Transports.For(base, provider.SSLVerifyOff(d)), DropParams: env.DropParams || drop}, nil
}

// NewRequest implements provider.Provider: chat goes to /api/chat, embeddings to /api/embed.
func (p *Provider) NewRequest(ctx context.Context, op provider.Op, body []byte) (*http.Request, error) {
	var (
		path string
		out  []byte
		err  error
	)
	switch op {
	case provider.Chat:
		path = "/api/chat"
		out, err = Translate(body, p.DropParams)
	case provider.Embedding:
		path = "/api/embed"
		out, err = TranslateEmbedding(body)
	default:
		return nil, fmt.Errorf("ollama serves chat completions and embeddings, not %s", op)
	}
	if err != nil {
		return nil, err
	}
	req, err := openai.NewJSONRequest(ctx, provider.JoinURL(p.Base, path), out, p.Header)
	if err != nil {
		return nil, err
	}
	if p.Key != "" {
		req.Header.Set("Authorization", "Bearer "+p.Key.Reveal())
	}
	return req, nil
}

// Transport implements provider.Provider.
func (p *Provider) Transport() http.RoundTripper { return p.RT }

// StreamUsage implements provider.Provider: false, the translated stream always ends with a
// usage chunk of its own.
func (p *Provider) StreamUsage() bool { return false }

// APIBase implements provider.Provider.
func (p *Provider) APIBase() string { return provider.Redacted(p.Base) }

var _ provider.Translator = (*Provider)(nil)
