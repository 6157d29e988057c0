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

// copyHeaders copies an upstream answer's end-to-end headers into dst.
func copyHeaders(dst, src http.Header) {
	for k, v := range src {
		if hopHeaders[k] || strings.HasPrefix(k, "X-Litellm-") {
			continue
		}
		dst[k] = v
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
	h.Set("x-litellm-attempted-retries", strconv.Itoa(res.Attempts-1))
	h.Set("x-litellm-call-id", c.ID)
	h.Set("x-litellm-response-duration-ms", ms(total))
	h.Set("x-litellm-overhead-duration-ms", ms(max(total-res.Upstream, 0)))
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 3, 64)
}
