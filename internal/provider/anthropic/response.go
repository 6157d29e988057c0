package anthropic

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/switchyard/switchyard/internal/openai"
	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/provider/oaichat"
)

// StatusOverloaded is the status Anthropic answers overloaded_error with.
const StatusOverloaded = 529

// response is a Messages API answer.
type response struct {
	ID         string  `json:"id"`
	Type       string  `json:"type"`
	Model      string  `json:"model"`
	Content    []block `json:"content"`
	StopReason string  `json:"stop_reason"`
	Usage      usage   `json:"usage"`
}

// usage is Anthropic's token count; prompt tokens are input plus cache reads and writes.
type usage struct {
	InputTokens              int `json:"input_tokens"`
	OutputTokens             int `json:"output_tokens"`
	CacheCreationInputTokens int `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int `json:"cache_read_input_tokens"`
}

func (u usage) prompt() int {
	return u.InputTokens + u.CacheCreationInputTokens + u.CacheReadInputTokens
}

// FinishReason maps a stop_reason to an OpenAI finish_reason.
func FinishReason(stop string) string {
	switch stop {
	case "max_tokens", "model_context_window_exceeded":
		return "length"
	case "tool_use":
		return "tool_calls"
	case "refusal":
		return "content_filter"
	}
	return "stop"
}

// Response implements provider.Translator: a Messages answer becomes a chat.completion.
func (p *Provider) Response(op provider.Op, body []byte) ([]byte, error) {
	var r response
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("anthropic answer is not a message: %w", err)
	}
	if r.Type != "message" {
		return nil, fmt.Errorf("anthropic answer has type %q, want message", r.Type)
	}
	var text strings.Builder
	var calls []oaichat.ToolCall
	for _, b := range r.Content {
		switch b.Type {
		case "text":
			text.WriteString(b.Text)
		case "tool_use":
			args := string(b.Input)
			if args == "" {
				args = "{}"
			}
			calls = append(calls, oaichat.ToolCall{ID: b.ID, Type: "function",
				Function: oaichat.FunctionCall{Name: b.Name, Arguments: args}})
		}
	}
	c := oaichat.NewCompletion(r.ID, r.Model, time.Now().Unix(), text.String(), calls,
		FinishReason(r.StopReason), oaichat.Usage(r.Usage.prompt(), r.Usage.OutputTokens))
	return json.Marshal(c)
}

// apiError is Anthropic's error body: {"type":"error","error":{"type":…,"message":…}}.
type apiError struct {
	Error struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"error"`
}

// Error implements provider.Translator: the status is kept (529 overloaded becomes 503, so it
// is retried and cooled down like one) and the body becomes an OpenAI error whose code is
// Anthropic's error type.
func (p *Provider) Error(status int, body []byte) (int, []byte) {
	var e apiError
	msg, code := "", ""
	if json.Unmarshal(body, &e) == nil && e.Error.Message != "" {
		msg, code = e.Error.Message, e.Error.Type
	} else {
		msg = oaichat.BodyText(body)
	}
	if status == StatusOverloaded || code == "overloaded_error" {
		status = http.StatusServiceUnavailable
	}
	return status, oaichat.ErrorBody(status, msg, code)
}

// streamError maps an in-band error event's type to an HTTP status.
func streamError(typ string) int {
	switch typ {
	case "invalid_request_error":
		return http.StatusBadRequest
	case "authentication_error":
		return http.StatusUnauthorized
	case "permission_error":
		return http.StatusForbidden
	case "not_found_error":
		return http.StatusNotFound
	case "rate_limit_error":
		return http.StatusTooManyRequests
	case "overloaded_error":
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

var _ provider.Translator = (*Provider)(nil)

// usageOf builds OpenAI usage from Anthropic's.
func usageOf(u usage) openai.Usage { return oaichat.Usage(u.prompt(), u.OutputTokens) }
