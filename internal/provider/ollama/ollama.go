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
	"github.com/switchyard/switchyard/internal/provider/oaichat"
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
	oaichat.Conn
}

// New is the provider.Factory for "ollama_chat/" and "ollama/". api_base falls back to
// OLLAMA_API_BASE and DefaultAPIBase.
func New(d *config.Deployment, env *provider.Env) (provider.Provider, error) {
	base := oaichat.FirstSet(d.APIBase, env.Getenv("OLLAMA_API_BASE"), DefaultAPIBase)
	return &Provider{Base: base, Key: d.APIKey, Conn: oaichat.NewConn(d, env, base)}, nil
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

// APIBase implements provider.Provider.
func (p *Provider) APIBase() string { return provider.Redacted(p.Base) }

var _ provider.Translator = (*Provider)(nil)
