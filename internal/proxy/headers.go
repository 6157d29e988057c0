package proxy

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/switchyard/switchyard/internal/deployment"
)

// hopHeaders are hop-by-hop headers (RFC 9110 §7.6.1) and headers the gateway sets itself; they
// are not copied from an upstream answer. Date is the gateway's own (net/http adds it when the
// answer is written), which also keeps the response header map one entry smaller: with
// LiteLLM's twelve headers, every entry past fourteen grows it a second time.
var hopHeaders = map[string]bool{
	"Connection": true, "Proxy-Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true,
	"Proxy-Authorization": true, "Te": true, "Trailer": true, "Transfer-Encoding": true,
	"Upgrade": true, "Content-Length": true, "Set-Cookie": true, "Alt-Svc": true, "Date": true,
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
// (the total minus the time spent waiting on upstreams), in milliseconds; and the model group's
// x-ratelimit-* headers (see rateLimits). Keys are set canonical, the numbers are formatted into
// one string and every value slice is cut from one array: two allocations in all.
func (p *Proxy) setGatewayHeaders(h http.Header, c *Call, d *deployment.Deployment, res *Result) {
	total := time.Since(c.Start)
	var nb [128]byte
	num := nb[:0]
	var ends [8]int // end offsets in num of the numbers below, in order
	n := 0
	mark := func() { ends[n] = len(num); n++ }
	num = strconv.AppendInt(num, int64(res.Attempts-1-c.Fallbacks), 10)
	mark()
	num = strconv.AppendInt(num, int64(c.Fallbacks), 10)
	mark()
	num = appendMS(num, total)
	mark()
	num = appendMS(num, max(total-res.Upstream, 0))
	mark()
	rpm, remReq, tpm, remTok := p.rateLimits(c.Route.Candidates)
	if rpm > 0 {
		num = strconv.AppendInt(num, rpm, 10)
		mark()
		num = strconv.AppendInt(num, remReq, 10)
		mark()
	}
	if tpm > 0 {
		num = strconv.AppendInt(num, tpm, 10)
		mark()
		num = strconv.AppendInt(num, remTok, 10)
		mark()
	}
	all := string(num)
	vals := make([]string, 6+n)
	set := func(i int, k, v string) {
		vals[i] = v
		h[k] = vals[i : i+1 : i+1]
	}
	numAt := func(j int) string {
		from := 0
		if j > 0 {
			from = ends[j-1]
		}
		return all[from:ends[j]]
	}
	set(0, "X-Litellm-Model-Id", d.ID)
	set(1, "X-Litellm-Model-Api-Base", p.apiBases[d.Index])
	set(2, "X-Litellm-Model-Group", c.Route.Group)
	set(3, "X-Litellm-Call-Id", c.ID)
	set(4, "X-Litellm-Attempted-Retries", numAt(0))
	set(5, "X-Litellm-Attempted-Fallbacks", numAt(1))
	set(6, "X-Litellm-Response-Duration-Ms", numAt(2))
	set(7, "X-Litellm-Overhead-Duration-Ms", numAt(3))
	j := 4
	if rpm > 0 {
		set(4+j, "X-Ratelimit-Limit-Requests", numAt(j))
		set(5+j, "X-Ratelimit-Remaining-Requests", numAt(j+1))
		j += 2
	}
	if tpm > 0 {
		set(4+j, "X-Ratelimit-Limit-Tokens", numAt(j))
		set(5+j, "X-Ratelimit-Remaining-Tokens", numAt(j+1))
	}
}

// rateLimits is what x-ratelimit-{limit,remaining}-{requests,tokens} say for the model group:
// the sum of its deployments' limits and that sum minus this window's usage. A dimension no
// deployment limits is 0 (its headers are left out).
func (p *Proxy) rateLimits(group []*deployment.Deployment) (rpm, remReq, tpm, remTok int64) {
	var usedReq, usedTok int64
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
	return rpm, rpm - usedReq, tpm, tpm - usedTok
}

func appendMS(b []byte, d time.Duration) []byte {
	return strconv.AppendFloat(b, float64(d)/float64(time.Millisecond), 'f', 3, 64)
}
