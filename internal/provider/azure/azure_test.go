package azure

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/provider"
)

// loginServer is a fake Microsoft Entra ID login host on loopback TLS: OpenID discovery and
// the client-credentials token endpoint of tenant "tenant-1" for client "client-1" with secret
// "s3cret". Each token it issues is "tok-N" and lives expiresIn seconds.
type loginServer struct {
	*httptest.Server
	tokens    atomic.Int64
	expiresIn int
}

func startLogin(t *testing.T, expiresIn int) *loginServer {
	ls := &loginServer{expiresIn: expiresIn}
	ls.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		base := ls.URL
		switch {
		case r.URL.Path == "/common/discovery/instance":
			fmt.Fprintf(w, `{"tenant_discovery_endpoint":%q,"api-version":"1.1","metadata":[]}`, base+"/tenant-1/v2.0/.well-known/openid-configuration")
		case r.URL.Path == "/tenant-1/v2.0/.well-known/openid-configuration":
			fmt.Fprintf(w, `{"token_endpoint":%q,"authorization_endpoint":%q,"issuer":%q}`,
				base+"/tenant-1/oauth2/v2.0/token", base+"/tenant-1/oauth2/v2.0/authorize", base+"/tenant-1/v2.0")
		case r.URL.Path == "/tenant-1/oauth2/v2.0/token" && r.Method == http.MethodPost:
			r.ParseForm()
			if r.Form.Get("grant_type") != "client_credentials" || r.Form.Get("client_id") != "client-1" ||
				r.Form.Get("client_secret") != "s3cret" || !strings.Contains(r.Form.Get("scope"), DefaultScope) {
				w.WriteHeader(http.StatusUnauthorized)
				fmt.Fprint(w, `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."}`)
				return
			}
			n := ls.tokens.Add(1)
			fmt.Fprintf(w, `{"token_type":"Bearer","expires_in":%d,"ext_expires_in":%d,"access_token":"tok-%d"}`, ls.expiresIn, ls.expiresIn, n)
		default:
			t.Errorf("login server: unexpected %s %s", r.Method, r.URL)
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(ls.Close)
	prev := loginClient
	loginClient = func(*provider.Env, string) policy.Transporter { return ls.Client() }
	t.Cleanup(func() { loginClient = prev })
	return ls
}

func testEnv(vars map[string]string) *provider.Env {
	return &provider.Env{
		Transports: provider.NewTransports(provider.TransportOptions{}),
		LookupEnv:  func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
	}
}

func deployment(params map[string]any, key config.Secret) *config.Deployment {
	return &config.Deployment{Model: "azure/gpt", UpstreamModel: "gpt", APIBase: "https://res.openai.azure.com", APIKey: key, Params: params}
}

// auth returns the auth headers of a chat request built for d.
func auth(t *testing.T, d *config.Deployment, env *provider.Env) (apiKey, bearer string) {
	t.Helper()
	p, err := New(d, env)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	req, err := p.NewRequest(context.Background(), provider.Chat, []byte(`{"model":"gpt","messages":[]}`))
	if err != nil {
		t.Fatalf("NewRequest: %v", err)
	}
	return req.Header.Get("api-key"), req.Header.Get("Authorization")
}

func TestAuthPrecedence(t *testing.T) {
	creds := map[string]any{"tenant_id": "tenant-1", "client_id": "client-1", "client_secret": config.Secret("s3cret")}
	envCreds := map[string]string{"AZURE_TENANT_ID": "tenant-1", "AZURE_CLIENT_ID": "client-1", "AZURE_CLIENT_SECRET": "s3cret"}
	tests := []struct {
		name       string
		params     map[string]any
		key        config.Secret
		env        map[string]string
		wantKey    string
		wantBearer string
		wantLogins int64
	}{
		{"api_key", nil, "k1", nil, "k1", "", 0},
		{"azure_ad_token beats api_key", map[string]any{"azure_ad_token": config.Secret("ad-1")}, "k1", nil, "", "Bearer ad-1", 0},
		{"api_key beats client credentials", creds, "k1", nil, "k1", "", 0},
		{"client credentials", creds, "", map[string]string{"AZURE_API_KEY": "env-key"}, "", "Bearer tok-1", 1},
		{"AZURE_API_KEY", nil, "", map[string]string{"AZURE_API_KEY": "env-key", "AZURE_AD_TOKEN": "ad-env"}, "env-key", "", 0},
		{"AZURE_AD_TOKEN", nil, "", map[string]string{"AZURE_AD_TOKEN": "ad-env", "AZURE_TENANT_ID": "x"}, "", "Bearer ad-env", 0},
		{"AZURE_TENANT_ID + AZURE_CLIENT_ID + AZURE_CLIENT_SECRET", nil, "", envCreds, "", "Bearer tok-1", 1},
		{"no credentials", nil, "", nil, "", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ls := startLogin(t, 3600)
			env := map[string]string{"AZURE_AUTHORITY_HOST": ls.URL}
			for k, v := range tt.env {
				env[k] = v
			}
			key, bearer := auth(t, deployment(tt.params, tt.key), testEnv(env))
			if key != tt.wantKey || bearer != tt.wantBearer {
				t.Errorf("got api-key %q Authorization %q, want %q %q", key, bearer, tt.wantKey, tt.wantBearer)
			}
			if n := ls.tokens.Load(); n != tt.wantLogins {
				t.Errorf("login server issued %d tokens, want %d", n, tt.wantLogins)
			}
		})
	}
}

// TestClientCredentialsCached: one token serves many requests; a token with less than
// RefreshBefore left is replaced before use.
func TestClientCredentialsCached(t *testing.T) {
	creds := map[string]any{"tenant_id": "tenant-1", "client_id": "client-1", "client_secret": config.Secret("s3cret")}
	for _, tt := range []struct {
		expiresIn int
		want      int64
	}{{3600, 1}, {int(RefreshBefore/time.Second) - 60, 5}} {
		ls := startLogin(t, tt.expiresIn)
		p, err := New(deployment(creds, ""), testEnv(map[string]string{"AZURE_AUTHORITY_HOST": ls.URL}))
		if err != nil {
			t.Fatal(err)
		}
		for range 5 {
			req, err := p.NewRequest(context.Background(), provider.Chat, []byte(`{}`))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(req.Header.Get("Authorization"), "Bearer tok-") {
				t.Fatalf("Authorization %q, want a token from the login server", req.Header.Get("Authorization"))
			}
		}
		if n := ls.tokens.Load(); n != tt.want {
			t.Errorf("tokens living %d s: login server issued %d for 5 requests, want %d", tt.expiresIn, n, tt.want)
		}
	}
}

func TestClientCredentialsErrors(t *testing.T) {
	ls := startLogin(t, 3600)
	bad := map[string]any{"tenant_id": "tenant-1", "client_id": "client-1", "client_secret": config.Secret("wrong-secret")}
	p, err := New(deployment(bad, ""), testEnv(map[string]string{"AZURE_AUTHORITY_HOST": ls.URL}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.NewRequest(context.Background(), provider.Chat, []byte(`{}`))
	if err == nil || !strings.Contains(err.Error(), `tenant_id "tenant-1" client_id "client-1"`) || !strings.Contains(err.Error(), "AADSTS7000215") {
		t.Errorf("got %v, want an error naming the tenant and client and the login server's reason", err)
	}
	if err != nil && strings.Contains(err.Error(), "wrong-secret") {
		t.Errorf("the error reveals the client secret: %v", err)
	}
	for _, tt := range []struct {
		name   string
		params map[string]any
		env    map[string]string
		want   string
	}{
		{"partial", map[string]any{"tenant_id": "t"}, nil, "azure AD auth needs tenant_id, client_id and client_secret; client_id and client_secret missing"},
		{"oidc", map[string]any{"azure_ad_token": config.Secret("oidc/github/x")}, nil, "not supported by Switchyard yet"},
		{"http authority", map[string]any{"tenant_id": "t", "client_id": "c", "client_secret": config.Secret("s")}, map[string]string{"AZURE_AUTHORITY_HOST": "http://login.example"}, "must be an https:// URL"},
	} {
		if _, err := New(deployment(tt.params, ""), testEnv(tt.env)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want %q", tt.name, err, tt.want)
		}
	}
}

// fakeCredential counts GetToken calls; each token lives ttl.
type fakeCredential struct {
	calls atomic.Int64
	ttl   time.Duration
}

func (f *fakeCredential) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	n := f.calls.Add(1)
	if len(o.Scopes) != 1 || o.Scopes[0] != DefaultScope {
		return azcore.AccessToken{}, fmt.Errorf("scopes %v", o.Scopes)
	}
	return azcore.AccessToken{Token: fmt.Sprintf("t%d", n), ExpiresOn: time.Now().Add(f.ttl)}, nil
}

// TestTokenRefreshedBeforeExpiry: a cached token is used until RefreshBefore its expiry, then
// replaced; concurrent callers share one fetch.
func TestTokenRefreshedBeforeExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cred := &fakeCredential{ttl: time.Hour}
		c := &cachedToken{cred: cred, scope: DefaultScope, now: time.Now}
		done := make(chan string)
		for range 10 {
			go func() {
				tok, _ := c.Token(context.Background())
				done <- tok
			}()
		}
		for range 10 {
			if tok := <-done; tok != "t1" {
				t.Errorf("got %q, want t1", tok)
			}
		}
		time.Sleep(time.Hour - RefreshBefore - time.Second)
		if tok, _ := c.Token(context.Background()); tok != "t1" {
			t.Errorf("just before the refresh point: got %q, want the cached t1", tok)
		}
		time.Sleep(2 * time.Second)
		if tok, _ := c.Token(context.Background()); tok != "t2" {
			t.Errorf("within %v of expiry: got %q, want a new token t2", RefreshBefore, tok)
		}
		if n := cred.calls.Load(); n != 2 {
			t.Errorf("credential asked %d times, want 2", n)
		}
	})
}

func TestStaticTokenNotLogged(t *testing.T) {
	p, err := New(deployment(map[string]any{"azure_ad_token": config.Secret("ad-secret")}, ""), testEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(p)
	if strings.Contains(fmt.Sprintf("%v %+v %s", p, p, b), "ad-secret") {
		t.Error("the provider's printed form shows the azure_ad_token")
	}
}
