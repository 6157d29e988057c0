package azure

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/provider"
)

const (
	// DefaultScope is the Entra ID scope of Azure OpenAI tokens (litellm_params.azure_scope
	// overrides it).
	DefaultScope = "https://cognitiveservices.azure.com/.default"
	// DefaultAuthorityHost is Microsoft Entra ID's public cloud login host (AZURE_AUTHORITY_HOST
	// overrides it, for sovereign clouds).
	DefaultAuthorityHost = "https://login.microsoftonline.com/"
	// RefreshBefore is how long before its expiry a cached token is replaced (5 minutes).
	RefreshBefore = 5 * time.Minute
)

// tokenSource gives the bearer token of a request. Implementations are safe for concurrent use.
type tokenSource interface {
	Token(ctx context.Context) (string, error)
}

// staticToken is azure_ad_token (or AZURE_AD_TOKEN): sent as is, never refreshed.
type staticToken struct{ t config.Secret }

func (s *staticToken) Token(context.Context) (string, error) { return s.t.Reveal(), nil }

// cachedToken fetches tokens from an Entra ID credential and keeps one until RefreshBefore
// its expiry. Concurrent callers wait for one fetch rather than each making their own.
type cachedToken struct {
	cred  azcore.TokenCredential
	scope string
	// what names the credential in errors (tenant and client ids; never the secret).
	what string
	now  func() time.Time

	mu      sync.Mutex
	token   string
	expires time.Time
}

func (c *cachedToken) Token(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && c.now().Before(c.expires.Add(-RefreshBefore)) {
		return c.token, nil
	}
	at, err := c.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{c.scope}})
	if err != nil {
		return "", fmt.Errorf("azure AD token for %s: %w", c.what, err)
	}
	c.token, c.expires = at.Token, at.ExpiresOn
	return c.token, nil
}

// loginClient is the HTTP client of the Entra ID login requests to authority (a variable so
// tests can trust a loopback TLS server).
var loginClient = func(env *provider.Env, authority string) policy.Transporter {
	return &http.Client{Transport: env.Transports.For(authority, false)}
}

// clientCredentials are tenant_id, client_id and client_secret.
type clientCredentials struct {
	tenant, client string
	secret         config.Secret
}

// newEntraToken returns the token source of the client-credentials flow. The authority is
// AZURE_AUTHORITY_HOST, else DefaultAuthorityHost.
func newEntraToken(cc clientCredentials, scope string, env *provider.Env) (*cachedToken, error) {
	authority := env.Getenv("AZURE_AUTHORITY_HOST")
	if authority == "" {
		authority = DefaultAuthorityHost
	}
	if !strings.HasPrefix(authority, "https://") {
		return nil, fmt.Errorf("AZURE_AUTHORITY_HOST %q: must be an https:// URL", authority)
	}
	opts := &azidentity.ClientSecretCredentialOptions{DisableInstanceDiscovery: !knownCloud(authority)}
	opts.Cloud = cloud.Configuration{ActiveDirectoryAuthorityHost: authority}
	opts.Transport = loginClient(env, authority)
	// No retries of the login itself: the gateway retries the call on another deployment.
	opts.Retry.MaxRetries = -1
	cred, err := azidentity.NewClientSecretCredential(cc.tenant, cc.client, cc.secret.Reveal(), opts)
	if err != nil {
		return nil, fmt.Errorf("azure AD credential (tenant_id %q, client_id %q): %w", cc.tenant, cc.client, err)
	}
	return &cachedToken{cred: cred, scope: scope, now: time.Now,
		what: fmt.Sprintf("tenant_id %q client_id %q", cc.tenant, cc.client)}, nil
}

// knownCloud reports whether authority is the login host of a public Azure cloud (public,
// US government, China). Other hosts (Azure Stack, private clouds) get no instance discovery,
// which would ask the public cloud about them.
func knownCloud(authority string) bool {
	a := strings.TrimRight(authority, "/")
	for _, c := range []cloud.Configuration{cloud.AzurePublic, cloud.AzureGovernment, cloud.AzureChina} {
		if strings.TrimRight(c.ActiveDirectoryAuthorityHost, "/") == a {
			return true
		}
	}
	return false
}

// adParams reads tenant_id, client_id and client_secret from litellm_params; ok is false when
// none is set, an error names the missing ones when only some are.
func adParams(d *config.Deployment) (cc clientCredentials, ok bool, err error) {
	str := func(k string) string {
		switch v := d.Params[k].(type) {
		case string:
			return v
		case config.Secret:
			return v.Reveal()
		}
		return ""
	}
	cc = clientCredentials{tenant: str("tenant_id"), client: str("client_id"), secret: config.Secret(str("client_secret"))}
	var missing []string
	for k, v := range map[string]string{"tenant_id": cc.tenant, "client_id": cc.client, "client_secret": cc.secret.Reveal()} {
		if v == "" {
			missing = append(missing, k)
		}
	}
	switch len(missing) {
	case 0:
		return cc, true, nil
	case 3:
		return cc, false, nil
	}
	slices.Sort(missing)
	return cc, false, fmt.Errorf("azure AD auth needs tenant_id, client_id and client_secret; %s missing", strings.Join(missing, " and "))
}
