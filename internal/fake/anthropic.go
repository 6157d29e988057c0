package fake

import (
	"github.com/switchyard/switchyard/internal/openai"
	"net/http"
	"strconv"
)

// anthropicRequest holds the request fields the fake reads from a Messages body.
type anthropicRequest struct {
	Model     string `json:"model"`
	Stream    bool   `json:"stream"`
	MaxTokens *int   `json:"max_tokens"`
}

// message is one Anthropic Messages answer being built.
type message struct {
	h      *Handler
	id     string // "msg_fake_N"
	model  string
	words  int    // output tokens
	input  int    // input tokens
	reason string // stop_reason: "end_turn" or "max_tokens"
}

// serveMessages answers POST /v1/messages in Anthropic's format. max_tokens is required (and
// must be ≥ 1), as upstream.
func (h *Handler) serveMessages(w http.ResponseWriter, r *http.Request, body []byte) {
	var req anthropicRequest
	if !decode(w, anthropicFamily, body, &req) {
		return
	}
	if req.MaxTokens == nil || *req.MaxTokens < 1 {
		writeAnthropicError(w, http.StatusBadRequest, "max_tokens: Field required (an integer ≥ 1)")
		return
	}
	m := message{
		h:      h,
		id:     "msg_fake_" + strconv.FormatUint(h.ids.Add(1), 10),
		model:  req.Model,
		input:  promptTokens(body),
		reason: "end_turn",
	}
	var capped bool
	m.words, capped = h.opts.outputTokens(req.Stream, *req.MaxTokens)
	if capped {
		m.reason = "max_tokens"
	}
	s, ok := h.prelude(w, r, anthropicFamily, req.Stream)
	if !ok {
		return
	}
	if req.Stream {
		m.stream(s)
		return
	}
	b := make([]byte, 0, 256+len(m.model)+h.text.fullSize(m.words))
	b = m.head(b)
	b = append(b, `[{"type":"text","text":`...)
	b = h.text.appendFull(b, m.words)
	b = append(b, `}],"stop_reason":"`...)
	b = append(b, m.reason...)
	b = append(b, `","stop_sequence":null,"usage":{"input_tokens":`...)
	b = appendInt(b, m.input)
	b = append(b, `,"output_tokens":`...)
	b = appendInt(b, m.words)
	b = append(b, "}}"...)
	writeJSON(w, http.StatusOK, b)
}

// head appends a message object's fields up to and including `"content":`.
func (m *message) head(b []byte) []byte {
	b = append(b, `{"id":"`...)
	b = append(b, m.id...)
	b = append(b, `","type":"message","role":"assistant","model":`...)
	b = openai.AppendString(b, m.model)
	return append(b, `,"content":`...)
}

// stream sends Anthropic's event sequence: message_start, content_block_start, ping, Chunks
// content_block_delta (text_delta) events ChunkGap apart, content_block_stop, message_delta
// (stop_reason, usage.output_tokens) and message_stop.
func (m *message) stream(s *sse) {
	opts := &m.h.opts
	b := append(s.buf[:0], "event: message_start\ndata: {\"type\":\"message_start\",\"message\":"...)
	b = m.head(b)
	b = append(b, `[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":`...)
	b = appendInt(b, m.input)
	b = append(b, ",\"output_tokens\":1}}}\n\n"...)
	if s.buf = b; !s.send(b) {
		return
	}
	if !s.send([]byte("event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n")) ||
		!s.send([]byte("event: ping\ndata: {\"type\":\"ping\"}\n\n")) {
		return
	}
	for i := range opts.Chunks {
		if i > 0 && !s.pause(opts.ChunkGap) {
			return
		}
		b := append(s.buf[:0], "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":"...)
		b = m.h.text.appendPiece(b, m.words, i, opts.Chunks)
		b = append(b, "}}\n\n"...)
		if s.buf = b; !s.send(b) {
			return
		}
	}
	if !s.send([]byte("event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n")) {
		return
	}
	b = append(s.buf[:0], "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\""...)
	b = append(b, m.reason...)
	b = append(b, `","stop_sequence":null},"usage":{"output_tokens":`...)
	b = appendInt(b, m.words)
	b = append(b, "}}\n\n"...)
	if s.buf = b; !s.send(b) {
		return
	}
	s.send([]byte("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"))
}

// anthropicErrorType maps an HTTP status to Anthropic's error type.
func anthropicErrorType(status int) string {
	switch {
	case status == http.StatusTooManyRequests:
		return "rate_limit_error"
	case status == 529:
		return "overloaded_error"
	case status == http.StatusUnauthorized:
		return "authentication_error"
	case status == http.StatusForbidden:
		return "permission_error"
	case status == http.StatusNotFound:
		return "not_found_error"
	case status == http.StatusRequestEntityTooLarge:
		return "request_too_large"
	case status >= 500:
		return "api_error"
	default:
		return "invalid_request_error"
	}
}

// writeAnthropicError writes {"type":"error","error":{"type","message"}} with status.
func writeAnthropicError(w http.ResponseWriter, status int, msg string) {
	b := make([]byte, 0, 80+len(msg))
	b = append(b, `{"type":"error","error":{"type":"`...)
	b = append(b, anthropicErrorType(status)...)
	b = append(b, `","message":`...)
	b = openai.AppendString(b, validString(msg))
	b = append(b, "}}"...)
	writeJSON(w, status, b)
}
