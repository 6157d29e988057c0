// Package fake is an in-process fake LLM upstream for Switchyard's demo mode, its tests and
// its benchmarks. A Handler answers the OpenAI (chat completions, legacy completions,
// embeddings), Azure OpenAI and Anthropic Messages wire formats, streaming or not, with
// configurable latency, chunking, token counts and injected failures, and records every
// request it receives. Transport serves a Handler without sockets.
package fake

import (
	"encoding/json"
	"errors"
	"github.com/switchyard/switchyard/internal/openai"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
)

// Handler is the fake upstream: an http.Handler answering these POST routes:
//
//	/v1/chat/completions, /chat/completions          OpenAI chat (stream or not)
//	/v1/completions, /completions                    OpenAI legacy completions
//	/v1/embeddings, /embeddings                      OpenAI embeddings
//	/openai/deployments/{deployment}/chat/completions?api-version=…   Azure (also
//	  …/completions and …/embeddings); "model" in answers is the deployment
//	/v1/messages                                     Anthropic Messages (stream or not)
//
// Anything else is a 404 (405 for a known path with another method), OpenAI-shaped. Invalid
// JSON is a 400 in the route's error shape. Every request is counted and recorded before it
// is answered (see Requests). A Handler is safe for concurrent use; create one with
// NewHandler.
type Handler struct {
	// Rand draws the uniform number in [0, 1) that decides an injected failure (a request
	// fails when Rand() < FailRate). Nil means math/rand/v2.Float64. It is called from
	// concurrent requests, so it must be safe for concurrent use, and it is only called when
	// 0 < FailRate < 1. Set it before the Handler serves its first request.
	Rand func() float64

	opts Options
	text *content
	rec  recorder
	ids  atomic.Uint64
}

// NewHandler returns a Handler answering per opts (defaults applied; see Options).
func NewHandler(opts Options) *Handler {
	o := opts.normalized()
	return &Handler{
		opts: o,
		text: newContent(o.Text),
		rec:  recorder{limit: o.RecordLimit},
	}
}

// Options returns the Handler's options with defaults applied.
func (h *Handler) Options() Options { return h.opts }

// Requests returns the recorded requests, oldest first: all of them since the last Reset, or
// the most recent RecordLimit of them. The slice is a fresh copy.
func (h *Handler) Requests() []Recorded { return h.rec.requests() }

// Count returns how many requests the Handler has received since it was made or last Reset,
// including those no longer (or never, with recording off) kept by Requests.
func (h *Handler) Count() int { return int(h.rec.count.Load()) }

// Reset forgets every recorded request and zeroes Count. Requests in flight still finish
// normally but are no longer listed.
func (h *Handler) Reset() { h.rec.reset() }

// family is a wire format: it decides the shape of errors.
type family uint8

const (
	openAIFamily family = iota
	azureFamily
	anthropicFamily
)

// endpoint is what a route answers.
type endpoint uint8

const (
	chatEndpoint endpoint = iota + 1
	completionsEndpoint
	embeddingsEndpoint
	messagesEndpoint
)

// route is a resolved request path.
type route struct {
	endpoint   endpoint
	family     family
	deployment string // Azure only
}

// resolve maps a URL path to its route; ok is false for an unknown path.
func resolve(path string) (rt route, ok bool) {
	switch path {
	case "/v1/chat/completions", "/chat/completions":
		return route{endpoint: chatEndpoint}, true
	case "/v1/completions", "/completions":
		return route{endpoint: completionsEndpoint}, true
	case "/v1/embeddings", "/embeddings":
		return route{endpoint: embeddingsEndpoint}, true
	case "/v1/messages":
		return route{endpoint: messagesEndpoint, family: anthropicFamily}, true
	}
	rest, ok := strings.CutPrefix(path, "/openai/deployments/")
	if !ok {
		return route{}, false
	}
	dep, op, ok := strings.Cut(rest, "/")
	if !ok || dep == "" {
		return route{}, false
	}
	rt = route{family: azureFamily, deployment: validString(dep)}
	switch op {
	case "chat/completions":
		rt.endpoint = chatEndpoint
	case "completions":
		rt.endpoint = completionsEndpoint
	case "embeddings":
		rt.endpoint = embeddingsEndpoint
	default:
		return route{}, false
	}
	return rt, true
}

// ServeHTTP records r and answers it as described on Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, readErr := readBody(w, r)
	t := h.rec.add(r, body)
	defer t.finish()
	if h.opts.Name != "" {
		w.Header().Set("x-fake-name", h.opts.Name)
	}
	rt, ok := resolve(r.URL.Path)
	switch {
	case !ok:
		writeOpenAIError(w, http.StatusNotFound, "Unknown request URL: "+r.Method+" "+r.URL.Path,
			"invalid_request_error", "unknown_url")
		return
	case r.Method != http.MethodPost:
		w.Header().Set("Allow", http.MethodPost)
		writeOpenAIError(w, http.StatusMethodNotAllowed, "Method "+r.Method+" not allowed; use POST",
			"invalid_request_error", "method_not_allowed")
		return
	case readErr != nil:
		var tooBig *http.MaxBytesError
		if errors.As(readErr, &tooBig) {
			writeError(w, rt.family, http.StatusRequestEntityTooLarge, "request body too large")
		}
		return // otherwise the client went away mid-body
	case rt.family == azureFamily && r.URL.Query().Get("api-version") == "":
		writeAzureMissingAPIVersion(w)
		return
	}
	switch rt.endpoint {
	case chatEndpoint, completionsEndpoint:
		h.serveCompletion(w, r, rt, body)
	case embeddingsEndpoint:
		h.serveEmbeddings(w, r, rt, body)
	case messagesEndpoint:
		h.serveMessages(w, r, body)
	}
}

// readBody reads r's whole body (at most MaxBodyBytes) into a buffer sized by ContentLength.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	rd := http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	size := 512
	if r.ContentLength > 0 && r.ContentLength < MaxBodyBytes {
		size = int(r.ContentLength) + 1 // +1 so the final Read sees EOF without growing
	}
	b := make([]byte, 0, size)
	for {
		n, err := rd.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

// shouldFail draws whether this request gets an injected failure.
func (h *Handler) shouldFail() bool {
	switch rate := h.opts.FailRate; {
	case rate <= 0:
		return false
	case rate >= 1:
		return true
	case h.Rand != nil:
		return h.Rand() < rate
	default:
		return rand.Float64() < rate
	}
}

// prelude runs what precedes an answer: an injected failure (after Latency), or for a stream
// the flushed SSE headers, then Latency. It reports whether the caller should go on
// answering; false means the request is over (failure written, or the client went away).
func (h *Handler) prelude(w http.ResponseWriter, r *http.Request, fam family, stream bool) (*sse, bool) {
	ctx := r.Context()
	if h.shouldFail() {
		if wait(ctx, h.opts.Latency) {
			writeError(w, fam, h.opts.FailStatus, "fake failure")
		}
		return nil, false
	}
	var s *sse
	if stream {
		s = startSSE(w, ctx)
	}
	return s, wait(ctx, h.opts.Latency)
}

// decode unmarshals body into v, answering 400 in fam's error shape when it is not valid
// JSON for v; it reports success.
func decode(w http.ResponseWriter, fam family, body []byte, v any) bool {
	if err := json.Unmarshal(body, v); err != nil {
		writeError(w, fam, http.StatusBadRequest,
			"We could not parse the JSON body of your request: "+err.Error())
		return false
	}
	return true
}

// writeJSON writes b as a complete JSON answer with status.
func writeJSON(w http.ResponseWriter, status int, b []byte) {
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeError writes an error with status in fam's shape: Anthropic's for Anthropic, OpenAI's
// otherwise (Azure answers OpenAI-shaped errors too). A 429 carries "Retry-After: 1".
func writeError(w http.ResponseWriter, fam family, status int, msg string) {
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	if fam == anthropicFamily {
		writeAnthropicError(w, status, msg)
		return
	}
	typ := "server_error"
	if status < 500 && status != http.StatusTooManyRequests {
		typ = "invalid_request_error"
	}
	writeOpenAIError(w, status, msg, typ, "")
}

// writeOpenAIError writes {"error":{"message","type","param":null,"code"}}; an empty code is null.
func writeOpenAIError(w http.ResponseWriter, status int, msg, typ, code string) {
	b := make([]byte, 0, 96+len(msg))
	b = append(b, `{"error":{"message":`...)
	b = openai.AppendString(b, validString(msg))
	b = append(b, `,"type":`...)
	b = openai.AppendString(b, typ)
	b = append(b, `,"param":null,"code":`...)
	if code == "" {
		b = append(b, "null"...)
	} else {
		b = openai.AppendString(b, code)
	}
	b = append(b, "}}"...)
	writeJSON(w, status, b)
}

// writeAzureMissingAPIVersion answers an Azure request without ?api-version= the way Azure does.
func writeAzureMissingAPIVersion(w http.ResponseWriter) {
	writeJSON(w, http.StatusBadRequest, []byte(`{"error":{"code":"MissingApiVersionParameter",`+
		`"message":"The api-version query parameter (?api-version=) is required for all requests."}}`))
}
