package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// requestTimeout bounds one benchmark request, so a wedged target cannot hang the run.
const requestTimeout = 30 * time.Second

// maxErrorSamples is how many distinct error messages a recorder keeps for the report.
const maxErrorSamples = 3

// endpoint is where one target takes one scenario's requests.
type endpoint struct {
	URL    string      // full chat-completions URL
	Model  string      // "model" of the request body
	Header http.Header // extra request headers (peers)
	PID    int         // process whose CPU and memory are measured; 0: none
	// AlsoCPU are more processes whose CPU counts as this target's (switchyard-redis: its
	// redis-server); their memory does not.
	AlsoCPU []int
}

// reqSpec is one prepared request, sent many times.
type reqSpec struct {
	url    string
	header http.Header
	body   []byte
	stream bool
}

// newReqSpec builds the chat-completions request of a scenario for ep: one user message of
// promptBytes bytes (at least a short sentence), streaming or not.
func newReqSpec(ep endpoint, promptBytes int, stream bool) reqSpec {
	prompt := promptText(promptBytes)
	body := fmt.Appendf(nil, `{"model":%q,"messages":[{"role":"user","content":%q}]`, ep.Model, prompt)
	if stream {
		body = append(body, `,"stream":true`...)
	}
	body = append(body, '}')
	h := http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer sk-bench"}}
	for k, v := range ep.Header {
		h[k] = v
	}
	return reqSpec{url: ep.URL, header: h, body: body, stream: stream}
}

// promptText returns plain ASCII text of n bytes (a short sentence when n is small).
func promptText(n int) string {
	const s = "Say hello to the benchmark. "
	if n <= len(s) {
		return s[:len(s)-1]
	}
	b := bytes.Repeat([]byte(s), n/len(s)+1)
	return string(b[:n])
}

// newClient returns an HTTP/1.1 client with a keep-alive pool of conns connections to each
// host, no compression and no proxy: the tuned client a load generator needs.
func newClient(conns int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns + 16,
		MaxIdleConnsPerHost: conns + 16,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
		WriteBufferSize:     32 << 10,
		ReadBufferSize:      32 << 10,
	}}
}

// recorder collects the samples of one target in one scenario; safe for concurrent use.
type recorder struct {
	mu      sync.Mutex
	lat     []time.Duration // whole-request latency of successful requests
	ttfb    []time.Duration // streams: time to the first data event
	gaps    []time.Duration // streams: time between consecutive data events
	ok      int
	errs    int
	errMsgs []string
}

// add records one request's outcome.
func (r *recorder) add(lat time.Duration, st streamTiming, gaps []time.Duration, stream bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.errs++
		if msg := err.Error(); len(r.errMsgs) < maxErrorSamples && !contains(r.errMsgs, msg) {
			r.errMsgs = append(r.errMsgs, msg)
		}
		return
	}
	r.ok++
	r.lat = append(r.lat, lat)
	if stream {
		r.ttfb = append(r.ttfb, st.TTFB)
		r.gaps = append(r.gaps, gaps...)
	}
}

// contains reports whether list holds s.
func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// readerPool recycles stream readers across requests.
var readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 16<<10) }}

// do sends one request and reads the whole answer, returning its latency (to the last
// byte), and for streams the SSE timing and inter-event gaps (appended to gaps).
func do(ctx context.Context, c *http.Client, rs reqSpec, gaps []time.Duration) (time.Duration, streamTiming, []time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rs.url, bytes.NewReader(rs.body))
	if err != nil {
		return 0, streamTiming{}, gaps, err
	}
	req.Header = rs.header.Clone()
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return 0, streamTiming{}, gaps, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, streamTiming{}, gaps, httpStatusError(resp)
	}
	var st streamTiming
	if rs.stream {
		br := readerPool.Get().(*bufio.Reader)
		br.Reset(resp.Body)
		st, gaps, err = sseReader{now: time.Now}.read(br, start, gaps)
		br.Reset(nil)
		readerPool.Put(br)
	} else {
		_, err = io.Copy(io.Discard, resp.Body)
	}
	return time.Since(start), st, gaps, err
}

// closedLoop runs conc workers that each send rs back to back until dur has passed (no
// request starts after it) or limit requests were started (limit ≤ 0: no limit). It returns
// the wall time from start until the last request ended.
func closedLoop(ctx context.Context, c *http.Client, rs reqSpec, conc int, dur time.Duration, limit int64, rec *recorder) time.Duration {
	start := time.Now()
	deadline := start.Add(dur)
	var started atomic.Int64
	var wg sync.WaitGroup
	for range conc {
		wg.Go(func() {
			var gaps []time.Duration
			for ctx.Err() == nil && time.Now().Before(deadline) {
				if limit > 0 && started.Add(1) > limit {
					return
				}
				var lat time.Duration
				var st streamTiming
				var err error
				lat, st, gaps, err = do(ctx, c, rs, gaps[:0])
				rec.add(lat, st, gaps, rs.stream, err)
			}
		})
	}
	wg.Wait()
	return time.Since(start)
}

// httpStatusError describes a non-200 answer by its status and the start of its body.
func httpStatusError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	return fmt.Errorf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(b))
}
