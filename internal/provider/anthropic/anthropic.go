// Package anthropic is the provider for Anthropic's Messages API: POST {api_base}/v1/messages
// with "x-api-key" and "anthropic-version: 2023-06-01". NewRequest translates the OpenAI chat
// body into a Messages body; the Translator methods turn answers, SSE events and error bodies
// back into OpenAI's shapes.
package anthropic

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/provider/oaichat"
	"github.com/switchyard/switchyard/internal/provider/openai"
)

const (
	// DefaultAPIBase is used when neither api_base nor ANTHROPIC_API_BASE is set.
	DefaultAPIBase = "https://api.anthropic.com"
	// Version is the anthropic-version header sent with every request.
	Version = "2023-06-01"
	// DefaultMaxTokens is max_tokens when the client sets none (Anthropic requires it).
	DefaultMaxTokens = 4096
)

// Provider sends chat requests to Anthropic's Messages API.
type Provider struct {
	// URL is the full messages endpoint ({api_base}/v1/messages).
	URL string
	// Key is the x-api-key; "" sends none.
	Key config.Secret
	oaichat.Conn
}

// New is the provider.Factory for "anthropic/". api_base falls back to ANTHROPIC_API_BASE and
// DefaultAPIBase, the key to ANTHROPIC_API_KEY.
func New(d *config.Deployment, env *provider.Env) (provider.Provider, error) {
	base := oaichat.FirstSet(d.APIBase, env.Getenv("ANTHROPIC_API_BASE"), DefaultAPIBase)
	key := config.Secret(oaichat.FirstSet(d.APIKey.Reveal(), env.Getenv("ANTHROPIC_API_KEY")))
	return &Provider{URL: MessagesURL(base), Key: key, Conn: oaichat.NewConn(d, env, base)}, nil
}

// MessagesURL joins base and /v1/messages, unless base already ends in /v1 (then /messages
// is added) or /v1/messages.
func MessagesURL(base string) string {
	b := strings.TrimRight(base, "/")
	switch {
	case strings.HasSuffix(b, "/v1/messages"):
		return b
	case strings.HasSuffix(b, "/v1"):
		return b + "/messages"
	}
	return b + "/v1/messages"
}

// NewRequest implements provider.Provider: it translates an OpenAI chat body.
func (p *Provider) NewRequest(ctx context.Context, op provider.Op, body []byte) (*http.Request, error) {
	if op != provider.Chat {
		return nil, fmt.Errorf("anthropic serves chat completions only, not %s", op)
	}
	msg, err := Translate(body, p.DropParams)
	if err != nil {
		return nil, err
	}
	req, err := openai.NewJSONRequest(ctx, p.URL, msg, p.Header)
	if err != nil {
		return nil, err
	}
	req.Header.Set("anthropic-version", Version)
	if p.Key != "" {
		req.Header.Set("x-api-key", p.Key.Reveal())
	}
	return req, nil
}

// APIBase implements provider.Provider: the endpoint with any password in it masked.
func (p *Provider) APIBase() string { return provider.Redacted(p.URL) }
