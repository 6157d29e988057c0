// Package azure is the provider for Azure OpenAI: POST
// {api_base}/openai/deployments/{deployment}/chat/completions?api-version={api_version} with an
// "api-key" header. It embeds the OpenAI provider and changes only the URL and the auth.
package azure

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/provider/openai"
)

// DefaultAPIVersion is used when neither litellm_params.api_version nor AZURE_API_VERSION is set.
const DefaultAPIVersion = "2024-10-21"

// Provider sends requests to one Azure OpenAI deployment.
type Provider struct {
	openai.Provider
	// Deployment is the Azure deployment name (the part after "azure/").
	Deployment string
	// APIVersion is the api-version query parameter.
	APIVersion string
}

// New is the provider.Factory for "azure/". api_base falls back to AZURE_API_BASE, the key to
// AZURE_API_KEY, the version to AZURE_API_VERSION and then DefaultAPIVersion.
func New(d *config.Deployment, env *provider.Env) (provider.Provider, error) {
	base := d.APIBase
	if base == "" {
		base = env.Getenv("AZURE_API_BASE")
	}
	if base == "" {
		return nil, fmt.Errorf("%w for provider \"azure\" (or set AZURE_API_BASE)", provider.ErrNoAPIBase)
	}
	key := d.APIKey
	if key == "" {
		key = config.Secret(env.Getenv("AZURE_API_KEY"))
	}
	version := d.APIVersion
	if version == "" {
		version = env.Getenv("AZURE_API_VERSION")
	}
	if version == "" {
		version = DefaultAPIVersion
	}
	if d.UpstreamModel == "" {
		return nil, fmt.Errorf("model %q names no Azure deployment (expected azure/<deployment-name>)", d.Model)
	}
	p := &Provider{Deployment: d.UpstreamModel, APIVersion: version}
	p.Base, p.Key, p.Header = base, key, openai.BaseHeader(d)
	p.RT = env.Transports.For(base, provider.SSLVerifyOff(d))
	// stream_options.include_usage is accepted from api-version 2024-09-01-preview on.
	p.IncludeUsage = provider.StreamUsage(d, version >= "2024-09-01-preview")
	return p, nil
}

// NewRequest implements provider.Provider.
func (p *Provider) NewRequest(ctx context.Context, op provider.Op, body []byte) (*http.Request, error) {
	u := provider.JoinURL(p.Base, "openai/deployments/"+url.PathEscape(p.Deployment)+op.Path()) +
		"?api-version=" + url.QueryEscape(p.APIVersion)
	req, err := openai.NewJSONRequest(ctx, u, body, p.Header)
	if err != nil {
		return nil, err
	}
	if p.Key != "" {
		req.Header.Set("api-key", p.Key.Reveal())
	}
	return req, nil
}
