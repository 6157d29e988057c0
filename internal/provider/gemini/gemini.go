// Package gemini is the provider for the Gemini API (Google AI Studio): POST
// {api_base}/v1beta/models/{model}:generateContent (streams: :streamGenerateContent?alt=sse,
// embeddings: :batchEmbedContents) with "x-goog-api-key". NewRequest translates the OpenAI body;
// the Translator methods turn answers, SSE events and errors back into OpenAI's shapes.
package gemini

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/provider/oaichat"
	"github.com/switchyard/switchyard/internal/provider/openai"
)

// DefaultAPIBase is used when api_base is not set.
const DefaultAPIBase = "https://generativelanguage.googleapis.com"

// Provider sends requests to the Gemini API.
type Provider struct {
	// Base is the API base URL; /v1beta is added unless it already ends in a version.
	Base string
	// Key is the x-goog-api-key; "" sends none.
	Key config.Secret
	oaichat.Conn
}

// New is the provider.Factory for "gemini/". The key falls back to GEMINI_API_KEY, then
// GOOGLE_API_KEY.
func New(d *config.Deployment, env *provider.Env) (provider.Provider, error) {
	key := config.Secret(oaichat.FirstSet(d.APIKey.Reveal(), env.Getenv("GEMINI_API_KEY"), env.Getenv("GOOGLE_API_KEY")))
	base := oaichat.FirstSet(d.APIBase, DefaultAPIBase)
	return &Provider{Base: base, Key: key, Conn: oaichat.NewConn(d, env, base)}, nil
}

// MethodURL is the URL of a model's method ("generateContent", …) under base.
func MethodURL(base, model, method string) string {
	b := strings.TrimRight(base, "/")
	if !strings.HasSuffix(b, "/v1beta") && !strings.HasSuffix(b, "/v1") && !strings.HasSuffix(b, "/v1alpha") {
		b += "/v1beta"
	}
	model = strings.TrimPrefix(model, "models/")
	return b + "/models/" + url.PathEscape(model) + ":" + method
}

// NewRequest implements provider.Provider.
func (p *Provider) NewRequest(ctx context.Context, op provider.Op, body []byte) (*http.Request, error) {
	var u string
	var out []byte
	switch op {
	case provider.Chat:
		r, err := oaichat.Decode(body)
		if err != nil {
			return nil, err
		}
		if out, err = Translate(r, p.DropParams); err != nil {
			return nil, err
		}
		u = MethodURL(p.Base, r.Model, "generateContent")
		if r.Stream {
			u = MethodURL(p.Base, r.Model, "streamGenerateContent") + "?alt=sse"
		}
	case provider.Embedding:
		model, b, err := TranslateEmbedding(body)
		if err != nil {
			return nil, err
		}
		u, out = MethodURL(p.Base, model, "batchEmbedContents"), b
	default:
		return nil, fmt.Errorf("gemini serves chat completions and embeddings, not %s", op)
	}
	req, err := openai.NewJSONRequest(ctx, u, out, p.Header)
	if err != nil {
		return nil, err
	}
	if p.Key != "" {
		req.Header.Set("x-goog-api-key", p.Key.Reveal())
	}
	return req, nil
}

// APIBase implements provider.Provider.
func (p *Provider) APIBase() string { return provider.Redacted(p.Base) }

var _ provider.Translator = (*Provider)(nil)
