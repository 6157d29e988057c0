package oaichat

import (
	"net/http"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/provider/openai"
)

// Conn is what every translating provider keeps of its deployment besides its endpoint and
// credentials. Its methods implement part of provider.Provider.
type Conn struct {
	// Header is added to every request (extra_headers).
	Header http.Header
	// RT sends the requests.
	RT http.RoundTripper
	// DropParams drops OpenAI parameters the provider cannot take instead of refusing them
	// (litellm_params.drop_params, else litellm_settings.drop_params).
	DropParams bool
}

// NewConn returns the Conn of deployment d, whose requests go to base.
func NewConn(d *config.Deployment, env *provider.Env, base string) Conn {
	drop, _ := d.Params["drop_params"].(bool)
	return Conn{Header: openai.BaseHeader(d), RT: env.Transports.For(base, provider.SSLVerifyOff(d)),
		DropParams: env.DropParams || drop}
}

// Transport implements provider.Provider.
func (c *Conn) Transport() http.RoundTripper { return c.RT }

// StreamUsage implements provider.Provider: false, since a translated stream always ends with
// a usage chunk of its own.
func (c *Conn) StreamUsage() bool { return false }

// FirstSet returns the first non-empty value: a setting, then its fallbacks.
func FirstSet(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
