// Package openai is the provider for OpenAI and every OpenAI-compatible upstream (hosted_vllm,
// groq, deepseek, …): POST {api_base}/chat/completions with "Authorization: Bearer <key>".
// The body is the client's, patched by the gateway; nothing is translated.
package openai

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sync"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/provider"
)

// Provider sends OpenAI-shaped requests to one OpenAI-compatible upstream.
type Provider struct {
	// Base is the API base URL, ending in /v1 for OpenAI (e.g. https://api.openai.com/v1).
	Base string
	// Key is the bearer token; "" sends no Authorization header.
	Key config.Secret
	// Header is added to every request (organization, extra_headers).
	Header http.Header
	// RT sends the requests.
	RT http.RoundTripper
	// IncludeUsage says the upstream accepts stream_options.include_usage.
	IncludeUsage bool

	// Computed once from the fields above on the first NewRequest (they must not change
	// after it): each op's URL, parsed, and the Authorization value.
	once sync.Once
	urls [opCount]*url.URL
	auth []string // nil: no Authorization header
}

// opCount is the number of provider.Op values NewRequest has a cached URL for.
const opCount = int(provider.Embedding) + 1

// contentTypeJSON is the Content-Type value every request shares (never modified).
var contentTypeJSON = []string{"application/json"}

// Family returns the Factory for an OpenAI-compatible provider (streams ask for usage only for
// "openai" itself, unless litellm_params.stream_usage says otherwise) whose default base URL is
// defaultBase ("" = api_base required) and whose key defaults to the environment variable keyEnv
// ("" = none).
func Family(defaultBase, keyEnv string) provider.Factory {
	return func(d *config.Deployment, env *provider.Env) (provider.Provider, error) {
		base := d.APIBase
		if base == "" {
			base = defaultBase
		}
		if base == "" {
			return nil, fmt.Errorf("%w for provider %q", provider.ErrNoAPIBase, d.Provider)
		}
		key := d.APIKey
		if key == "" && keyEnv != "" {
			key = config.Secret(env.Getenv(keyEnv))
		}
		p := &Provider{Base: base, Key: key, Header: BaseHeader(d), RT: env.Transports.For(base, provider.SSLVerifyOff(d)),
			IncludeUsage: provider.StreamUsage(d, d.Provider == "openai")}
		if d.Organization != "" {
			p.Header.Set("OpenAI-Organization", d.Organization)
		}
		return p, nil
	}
}

// BaseHeader returns the headers every request of d carries: its extra_headers.
func BaseHeader(d *config.Deployment) http.Header {
	h := make(http.Header, len(d.ExtraHeaders)+2)
	for k, v := range d.ExtraHeaders {
		h.Set(k, v)
	}
	return h
}

// NewRequest implements provider.Provider. The URL is parsed and the Authorization value
// built once per Provider, not per request.
func (p *Provider) NewRequest(ctx context.Context, op provider.Op, body []byte) (*http.Request, error) {
	p.once.Do(p.prepare)
	if op < 0 || int(op) >= opCount || p.urls[op] == nil {
		return p.newRequestSlow(ctx, op, body)
	}
	// An empty URL parses to a zero URL without work; the cached one is copied over it.
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	*req.URL = *p.urls[op]
	req.Host = req.URL.Host
	req.Header = make(http.Header, len(p.Header)+2)
	for k, v := range p.Header {
		req.Header[k] = v
	}
	// Shared value slices: len == cap, so an Add elsewhere copies rather than writes into them.
	req.Header["Content-Type"] = contentTypeJSON
	if p.auth != nil {
		req.Header["Authorization"] = p.auth
	}
	return req, nil
}

// prepare fills the per-Provider cache NewRequest reads.
func (p *Provider) prepare() {
	for op := range provider.Op(opCount) {
		if u, err := url.Parse(provider.JoinURL(p.Base, op.Path())); err == nil && u.Host != "" {
			p.urls[op] = u
		}
	}
	if p.Key != "" && p.Key.Reveal() != "none" {
		v := "Bearer " + p.Key.Reveal()
		p.auth = []string{v}[:1:1]
	}
}

// newRequestSlow builds a request the plain way (an op or base URL the cache does not hold;
// the error of a bad base URL comes from here).
func (p *Provider) newRequestSlow(ctx context.Context, op provider.Op, body []byte) (*http.Request, error) {
	req, err := NewJSONRequest(ctx, provider.JoinURL(p.Base, op.Path()), body, p.Header)
	if err != nil {
		return nil, err
	}
	if p.auth != nil {
		req.Header["Authorization"] = p.auth
	}
	return req, nil
}

// NewJSONRequest builds a POST of body to url with JSON content type and the given headers.
func NewJSONRequest(ctx context.Context, url string, body []byte, h http.Header) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header = make(http.Header, len(h)+3)
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	return req, nil
}

// Transport implements provider.Provider.
func (p *Provider) Transport() http.RoundTripper { return p.RT }

// StreamUsage implements provider.Provider.
func (p *Provider) StreamUsage() bool { return p.IncludeUsage }

// APIBase implements provider.Provider: the base URL with any password in it masked.
func (p *Provider) APIBase() string { return provider.Redacted(p.Base) }
