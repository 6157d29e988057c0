// Package azure is the provider for Azure OpenAI: POST
// {api_base}/openai/deployments/{deployment}/chat/completions?api-version={api_version} with an
// "api-key" header, or "Authorization: Bearer" with a Microsoft Entra ID (Azure AD) token. It
// embeds the OpenAI provider and changes only the URL and the auth.
package azure

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

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
	// token, when set, gives an Entra ID bearer token sent instead of the api-key header.
	token tokenSource
}

// New is the provider.Factory for "azure/". api_base falls back to AZURE_API_BASE, the version
// to AZURE_API_VERSION and then DefaultAPIVersion. Auth is the first of: azure_ad_token, api_key,
// tenant_id + client_id + client_secret (Entra ID client credentials), then the environment's
// AZURE_API_KEY, AZURE_AD_TOKEN, AZURE_TENANT_ID + AZURE_CLIENT_ID + AZURE_CLIENT_SECRET.
func New(d *config.Deployment, env *provider.Env) (provider.Provider, error) {
	base := d.APIBase
	if base == "" {
		base = env.Getenv("AZURE_API_BASE")
	}
	if base == "" {
		return nil, fmt.Errorf("%w for provider \"azure\" (or set AZURE_API_BASE)", provider.ErrNoAPIBase)
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
	p.Base, p.Header = base, openai.BaseHeader(d)
	if err := p.setAuth(d, env); err != nil {
		return nil, err
	}
	p.RT = env.Transports.For(base, provider.SSLVerifyOff(d))
	// stream_options.include_usage is accepted from api-version 2024-09-01-preview on.
	p.IncludeUsage = provider.StreamUsage(d, version >= "2024-09-01-preview")
	return p, nil
}

// setAuth picks the deployment's credential (see New): p.Key, or p.token for a bearer token.
func (p *Provider) setAuth(d *config.Deployment, env *provider.Env) error {
	scope := DefaultScope
	if s, ok := d.Params["azure_scope"].(string); ok && s != "" {
		scope = s
	}
	static := func(t config.Secret) error {
		if strings.HasPrefix(t.Reveal(), "oidc/") {
			return errors.New("azure_ad_token \"oidc/…\" (OIDC federation) is not supported by Switchyard yet")
		}
		p.token = &staticToken{t}
		return nil
	}
	if t, _ := d.Params["azure_ad_token"].(config.Secret); t != "" {
		return static(t)
	}
	if d.APIKey != "" {
		p.Key = d.APIKey
		return nil
	}
	cc, ok, err := adParams(d)
	if err != nil {
		return err
	}
	if ok {
		p.token, err = newEntraToken(cc, scope, env)
		return err
	}
	if k := env.Getenv("AZURE_API_KEY"); k != "" {
		p.Key = config.Secret(k)
		return nil
	}
	if t := env.Getenv("AZURE_AD_TOKEN"); t != "" {
		return static(config.Secret(t))
	}
	cc = clientCredentials{env.Getenv("AZURE_TENANT_ID"), env.Getenv("AZURE_CLIENT_ID"), config.Secret(env.Getenv("AZURE_CLIENT_SECRET"))}
	if cc.tenant != "" && cc.client != "" && cc.secret != "" {
		p.token, err = newEntraToken(cc, scope, env)
	}
	return err
}

// NewRequest implements provider.Provider.
func (p *Provider) NewRequest(ctx context.Context, op provider.Op, body []byte) (*http.Request, error) {
	u := provider.JoinURL(p.Base, "openai/deployments/"+url.PathEscape(p.Deployment)+op.Path()) +
		"?api-version=" + url.QueryEscape(p.APIVersion)
	req, err := openai.NewJSONRequest(ctx, u, body, p.Header)
	if err != nil {
		return nil, err
	}
	switch {
	case p.token != nil:
		t, err := p.token.Token(ctx)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+t)
	case p.Key != "":
		req.Header.Set("api-key", p.Key.Reveal())
	}
	return req, nil
}
