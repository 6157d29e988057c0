package fake

import (
	"github.com/switchyard/switchyard/internal/openai"
	"net/http"
	"strconv"
	"time"
)

// openAIRequest holds the few request fields the fake reads from an OpenAI-shaped body.
type openAIRequest struct {
	Model         string `json:"model"`
	Stream        bool   `json:"stream"`
	StreamOptions struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	MaxTokens           int `json:"max_tokens"`
	MaxCompletionTokens int `json:"max_completion_tokens"`
}

// completion is one OpenAI-shaped answer being built: chat.completion(.chunk) or
// text_completion, whole or streamed.
type completion struct {
	h         *Handler
	chat      bool   // chat.completion rather than text_completion
	id        string // "chatcmpl-fake-N" or "cmpl-fake-N"
	created   int64  // Unix seconds
	model     string
	words     int    // completion tokens
	prompt    int    // prompt tokens
	finish    string // "stop" or "length"
	usageNull bool   // stream with include_usage: every chunk carries "usage":null
}

// serveCompletion answers chat completions and legacy completions, OpenAI or Azure.
func (h *Handler) serveCompletion(w http.ResponseWriter, r *http.Request, rt route, body []byte) {
	var req openAIRequest
	if !decode(w, rt.family, body, &req) {
		return
	}
	maxTokens := req.MaxTokens
	if req.MaxCompletionTokens > 0 {
		maxTokens = req.MaxCompletionTokens
	}
	c := completion{
		h:       h,
		chat:    rt.endpoint == chatEndpoint,
		created: time.Now().Unix(),
		model:   req.Model,
		prompt:  promptTokens(body),
		finish:  "stop",
	}
	if rt.family == azureFamily {
		c.model = rt.deployment
	}
	prefix := "cmpl-fake-"
	if c.chat {
		prefix = "chatcmpl-fake-"
	}
	c.id = prefix + strconv.FormatUint(h.ids.Add(1), 10)
	var capped bool
	c.words, capped = h.opts.outputTokens(req.Stream, maxTokens)
	if capped {
		c.finish = "length"
	}
	s, ok := h.prelude(w, r, rt.family, req.Stream)
	if !ok {
		return
	}
	if !req.Stream {
		writeJSON(w, http.StatusOK, c.whole())
		return
	}
	c.usageNull = req.StreamOptions.IncludeUsage
	c.stream(s, req.StreamOptions.IncludeUsage)
}

// head appends the fields every object starts with, up to and including `"choices":[`.
func (c *completion) head(b []byte, object string) []byte {
	b = append(b, `{"id":"`...)
	b = append(b, c.id...)
	b = append(b, `","object":"`...)
	b = append(b, object...)
	b = append(b, `","created":`...)
	b = strconv.AppendInt(b, c.created, 10)
	b = append(b, `,"model":`...)
	b = openai.AppendString(b, c.model)
	b = append(b, `,"system_fingerprint":`...)
	if name := c.h.opts.Name; name != "" {
		b = openai.AppendString(b, name)
	} else {
		b = append(b, "null"...)
	}
	return append(b, `,"choices":[`...)
}

// usage appends `"usage":{…}` with the answer's token counts.
func (c *completion) usage(b []byte) []byte {
	b = append(b, `"usage":{"prompt_tokens":`...)
	b = appendInt(b, c.prompt)
	b = append(b, `,"completion_tokens":`...)
	b = appendInt(b, c.words)
	b = append(b, `,"total_tokens":`...)
	b = appendInt(b, c.prompt+c.words)
	return append(b, '}')
}

// whole builds the non-streaming answer.
func (c *completion) whole() []byte {
	b := make([]byte, 0, 320+len(c.model)+len(c.h.opts.Name)+c.h.text.fullSize(c.words))
	if c.chat {
		b = c.head(b, "chat.completion")
		b = append(b, `{"index":0,"message":{"role":"assistant","content":`...)
		b = c.h.text.appendFull(b, c.words)
		b = append(b, `,"refusal":null},"logprobs":null,"finish_reason":"`...)
	} else {
		b = c.head(b, "text_completion")
		b = append(b, `{"text":`...)
		b = c.h.text.appendFull(b, c.words)
		b = append(b, `,"index":0,"logprobs":null,"finish_reason":"`...)
	}
	b = append(b, c.finish...)
	b = append(b, `"}],`...)
	b = c.usage(b)
	return append(b, '}')
}

// stream sends the streamed answer: for chat a role-only chunk, then Chunks content chunks
// ChunkGap apart, a finish chunk, the usage chunk when asked for, and [DONE].
func (c *completion) stream(s *sse, includeUsage bool) {
	opts := &c.h.opts
	if c.chat {
		b := c.chunkHead(s.buf[:0])
		b = append(b, `{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}`...)
		if s.buf = c.chunkTail(b); !s.send(s.buf) {
			return
		}
	}
	for i := range opts.Chunks {
		if i > 0 && !s.pause(opts.ChunkGap) {
			return
		}
		b := c.chunkHead(s.buf[:0])
		if c.chat {
			b = append(b, `{"index":0,"delta":{"content":`...)
			b = c.h.text.appendPiece(b, c.words, i, opts.Chunks)
			b = append(b, `},"logprobs":null,"finish_reason":null}`...)
		} else {
			b = append(b, `{"text":`...)
			b = c.h.text.appendPiece(b, c.words, i, opts.Chunks)
			b = append(b, `,"index":0,"logprobs":null,"finish_reason":null}`...)
		}
		if s.buf = c.chunkTail(b); !s.send(s.buf) {
			return
		}
	}
	b := c.chunkHead(s.buf[:0])
	if c.chat {
		b = append(b, `{"index":0,"delta":{},"logprobs":null,"finish_reason":"`...)
	} else {
		b = append(b, `{"text":"","index":0,"logprobs":null,"finish_reason":"`...)
	}
	b = append(b, c.finish...)
	b = append(b, `"}`...)
	if s.buf = c.chunkTail(b); !s.send(s.buf) {
		return
	}
	if includeUsage {
		b := append(c.chunkHead(s.buf[:0]), "],"...)
		b = c.usage(b)
		if s.buf = append(b, "}\n\n"...); !s.send(s.buf) {
			return
		}
	}
	s.send([]byte("data: [DONE]\n\n"))
}

// chunkHead starts a `data: {…}` stream event, up to and including `"choices":[`.
func (c *completion) chunkHead(b []byte) []byte {
	b = append(b, "data: "...)
	if c.chat {
		return c.head(b, "chat.completion.chunk")
	}
	return c.head(b, "text_completion")
}

// chunkTail closes the choices array and the event; with include_usage every chunk but the
// usage chunk carries "usage":null, as OpenAI's do.
func (c *completion) chunkTail(b []byte) []byte {
	b = append(b, ']')
	if c.usageNull {
		b = append(b, `,"usage":null`...)
	}
	return append(b, "}\n\n"...)
}
