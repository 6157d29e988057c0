package proxy

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/switchyard/switchyard/internal/deployment"
)

// hopHeaders are hop-by-hop headers (RFC 9110 §7.6.1) and headers the gateway sets itself; they
// are not copied from an upstream answer.
var hopHeaders = map[string]bool{
	"Connection": true, "Proxy-Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true,
	"Proxy-Authorization": true, "Te": true, "Trailer": true, "Transfer-Encoding": true,
	"Upgrade": true, "Content-Length": true, "Set-Cookie": true, "Alt-Svc": true,
}

// copyHeaders copies an upstream answer's end-to-end headers into dst. The upstream's own
// x-ratelimit-* headers are passed on as llm_provider-x-ratelimit-* (as LiteLLM does), since
// x-ratelimit-* describe the model group.
func copyHeaders(dst, src http.Header) {
	for k, v := range src {
		switch {
		case hopHeaders[k] || strings.HasPrefix(k, "X-Litellm-"):
		case strings.HasPrefix(k, "X-Ratelimit-"):
			dst["Llm_provider-"+k] = v
		default:
			dst[k] = v
		}
	}
}

// setGatewayHeaders sets LiteLLM's response headers: which deployment and group served the
// call, how many retries it took, its id, the total duration and the gateway's own share of it
// (the total minus the time spent waiting on upstreams), in milliseconds.
func (p *Proxy) setGatewayHeaders(h http.Header, c *Call, d *deployment.Deployment, res *Result) {
	total := time.Since(c.Start)
	h.Set("x-litellm-model-id", d.ID)
	h.Set("x-litellm-model-api-base", p.providers[d.Index].APIBase())
	h.Set("x-litellm-model-group", c.Route.Group)
	h.Set("x-litellm-attempted-retries", strconv.Itoa(res.Attempts-1-c.Fallbacks))
	h.Set("x-litellm-attempted-fallbacks", strconv.Itoa(c.Fallbacks))
	h.Set("x-litellm-call-id", c.ID)
	h.Set("x-litellm-response-duration-ms", ms(total))
	h.Set("x-litellm-overhead-duration-ms", ms(max(total-res.Upstream, 0)))
	p.setRateLimitHeaders(h, c.Route.Candidates)
}

// setRateLimitHeaders sets x-ratelimit-{limit,remaining}-{requests,tokens} for the model group:
// the sum of its deployments' limits and that sum minus this window's usage. A dimension no
// deployment limits is left out.
func (p *Proxy) setRateLimitHeaders(h http.Header, group []*deployment.Deployment) {
	var rpm, tpm, usedReq, usedTok int64
	for _, d := range group {
		if d.RPM == 0 && d.TPM == 0 {
			continue
		}
		u := p.usage.Used(d.ID)
		if d.RPM > 0 {
			rpm += d.RPM
			usedReq += min(u.Requests, d.RPM)
		}
		if d.TPM > 0 {
			tpm += d.TPM
			usedTok += min(u.Tokens, d.TPM)
		}
	}
	// Canonical keys set directly: no per-request canonicalisation.
	if rpm > 0 {
		h["X-Ratelimit-Limit-Requests"] = []string{strconv.FormatInt(rpm, 10)}
		h["X-Ratelimit-Remaining-Requests"] = []string{strconv.FormatInt(rpm-usedReq, 10)}
	}
	if tpm > 0 {
		h["X-Ratelimit-Limit-Tokens"] = []string{strconv.FormatInt(tpm, 10)}
		h["X-Ratelimit-Remaining-Tokens"] = []string{strconv.FormatInt(tpm-usedTok, 10)}
	}
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 3, 64)
}
