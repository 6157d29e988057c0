// Package bedrock is the provider for Amazon Bedrock's Converse API: POST
// {endpoint}/model/{modelId}/converse (streams: /converse-stream, AWS event-stream framing),
// and InvokeModel (/invoke) for Titan and Cohere embeddings, signed with AWS Signature Version 4. NewRequest translates the OpenAI chat body and signs it;
// the Translator methods turn answers, event-stream messages and errors back into OpenAI's
// shapes.
package bedrock

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

// Provider sends chat requests to one Bedrock model.
type Provider struct {
	// Endpoint is the runtime endpoint, https://bedrock-runtime.{region}.amazonaws.com unless
	// api_base or aws_bedrock_runtime_endpoint says otherwise.
	Endpoint string
	// Signer signs each request.
	Signer *Signer
	oaichat.Conn
}

// New is the provider.Factory for "bedrock/". Credentials and region come from litellm_params
// (aws_access_key_id, aws_secret_access_key, aws_session_token, aws_region_name), else from
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and AWS_REGION (or
// AWS_DEFAULT_REGION).
func New(d *config.Deployment, env *provider.Env) (provider.Provider, error) {
	get := func(param string, envs ...string) string {
		switch v := d.Params[param].(type) {
		case string:
			if v != "" {
				return v
			}
		case config.Secret:
			if v != "" {
				return v.Reveal()
			}
		}
		for _, e := range envs {
			if env.LookupEnv == nil {
				break
			}
			if v, ok := env.LookupEnv(e); ok && v != "" {
				return v
			}
		}
		return ""
	}
	for _, k := range []string{"aws_role_name", "aws_profile_name", "aws_web_identity_token"} {
		if _, ok := d.Params[k]; ok {
			return nil, fmt.Errorf("bedrock: litellm_params.%s is not supported by Switchyard yet (give aws_access_key_id and aws_secret_access_key)", k)
		}
	}
	s := NewSigner(get("aws_access_key_id", "AWS_ACCESS_KEY_ID"),
		config.Secret(get("aws_secret_access_key", "AWS_SECRET_ACCESS_KEY")),
		config.Secret(get("aws_session_token", "AWS_SESSION_TOKEN")),
		get("aws_region_name", "AWS_REGION", "AWS_DEFAULT_REGION"))
	if s.Region == "" {
		return nil, fmt.Errorf("bedrock: no region (set litellm_params.aws_region_name or AWS_REGION)")
	}
	if s.AccessKeyID == "" || s.SecretAccessKey == "" {
		return nil, fmt.Errorf("bedrock: no credentials (set aws_access_key_id and aws_secret_access_key, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)")
	}
	endpoint := d.APIBase
	if endpoint == "" {
		endpoint = get("aws_bedrock_runtime_endpoint", "AWS_BEDROCK_RUNTIME_ENDPOINT")
	}
	if endpoint == "" {
		endpoint = "https://bedrock-runtime." + s.Region + ".amazonaws.com"
	}
	return &Provider{Endpoint: endpoint, Signer: s, Conn: oaichat.NewConn(d, env, endpoint)}, nil
}

// escapeModelID percent-encodes everything but unreserved characters, as the AWS SDK encodes a
// path label (model ids hold ':' and ARNs '/').
func escapeModelID(id string) string {
	var b strings.Builder
	for i := 0; i < len(id); i++ {
		c := id[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// NewRequest implements provider.Provider: a signed Converse (or ConverseStream) request for
// chat, a signed InvokeModel request for embeddings (see TranslateEmbedding).
func (p *Provider) NewRequest(ctx context.Context, op provider.Op, body []byte) (*http.Request, error) {
	switch op {
	case provider.Chat:
		r, err := oaichat.Decode(body)
		if err != nil {
			return nil, err
		}
		out, err := Translate(r, p.DropParams)
		if err != nil {
			return nil, err
		}
		if r.Stream {
			return p.signed(ctx, r.Model, "/converse-stream", out, "application/vnd.amazon.eventstream")
		}
		return p.signed(ctx, r.Model, "/converse", out, "")
	case provider.Embedding:
		model, out, err := TranslateEmbedding(body, p.DropParams)
		if err != nil {
			return nil, err
		}
		return p.signed(ctx, model, "/invoke", out, "application/json")
	}
	return nil, fmt.Errorf("bedrock serves chat completions and embeddings through Switchyard, not %s", op)
}

// signed returns the signed POST of body to {endpoint}/model/{model}{action}, with an Accept
// header when accept is not "".
func (p *Provider) signed(ctx context.Context, model, action string, body []byte, accept string) (*http.Request, error) {
	u := strings.TrimRight(p.Endpoint, "/") + "/model/" + escapeModelID(model) + action
	req, err := openai.NewJSONRequest(ctx, u, body, p.Header)
	if err != nil {
		return nil, err
	}
	if pu, err := url.Parse(u); err == nil {
		req.URL.RawPath = pu.EscapedPath()
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if err := p.Signer.Sign(ctx, req, body); err != nil {
		return nil, err
	}
	return req, nil
}

// APIBase implements provider.Provider.
func (p *Provider) APIBase() string { return provider.Redacted(p.Endpoint) }

var _ provider.Translator = (*Provider)(nil)
