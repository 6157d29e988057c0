package oaichat

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/switchyard/switchyard/internal/openai"
)

// Completion is an OpenAI chat.completion response with one choice.
type Completion struct {
	ID      string        `json:"id"`
	Object  string        `json:"object"`
	Created int64         `json:"created"`
	Model   string        `json:"model"`
	Choices []Choice      `json:"choices"`
	Usage   *openai.Usage `json:"usage,omitempty"`
}

// Choice is one choice of a Completion.
type Choice struct {
	Index        int             `json:"index"`
	Message      ResponseMessage `json:"message"`
	FinishReason string          `json:"finish_reason"`
}

// ResponseMessage is the assistant's message in a Completion; Content is null when the
// answer is only tool calls.
type ResponseMessage struct {
	Role      string     `json:"role"`
	Content   *string    `json:"content"`
	ToolCalls []ToolCall `json:"tool_calls,omitempty"`
}

// NewCompletion returns a chat.completion with one assistant choice.
func NewCompletion(id, model string, created int64, content string, calls []ToolCall, finish string, u openai.Usage) *Completion {
	m := ResponseMessage{Role: "assistant", ToolCalls: calls}
	if content != "" || len(calls) == 0 {
		m.Content = &content
	}
	return &Completion{ID: id, Object: "chat.completion", Created: created, Model: model,
		Choices: []Choice{{Message: m, FinishReason: finish}}, Usage: &u}
}

// Usage builds an OpenAI usage with its total.
func Usage(prompt, completion int) openai.Usage {
	return openai.Usage{PromptTokens: prompt, CompletionTokens: completion, TotalTokens: prompt + completion}
}

// NewID returns prefix followed by 24 random hex digits (for ids an upstream does not give:
// completion ids, tool call ids).
func NewID(prefix string) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// ErrorType is the OpenAI error type for an HTTP status.
func ErrorType(status int) string {
	switch status {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
		return "invalid_request_error"
	case http.StatusUnauthorized:
		return "authentication_error"
	case http.StatusForbidden:
		return "permission_error"
	case http.StatusNotFound:
		return "not_found_error"
	case http.StatusTooManyRequests:
		return "rate_limit_error"
	}
	if status >= 400 && status < 500 {
		return "invalid_request_error"
	}
	return "api_error"
}

// ErrorBody returns the OpenAI error envelope for status with message and code (code "" is
// null). An empty message becomes the status text.
func ErrorBody(status int, message, code string) []byte {
	if message == "" {
		message = http.StatusText(status)
		if message == "" {
			message = "upstream error " + strconv.Itoa(status)
		}
	}
	d := openai.ErrorDetail{Message: message, Type: ErrorType(status)}
	if code != "" {
		d.Code = code
	}
	b, _ := json.Marshal(openai.ErrorBody{Error: d})
	return b
}

// BodyText returns an upstream error body as a message when it cannot be parsed: trimmed to
// 512 bytes.
func BodyText(body []byte) string {
	if len(body) > 512 {
		body = body[:512]
	}
	return string(body)
}

// EmbeddingList returns an OpenAI embeddings answer: {"object":"list","data":[{"object":
// "embedding","index":i,"embedding":[…]}],"model":…,"usage":{…}}; vectors are JSON arrays.
func EmbeddingList(model string, vectors []json.RawMessage, promptTokens int) ([]byte, error) {
	type item struct {
		Object    string          `json:"object"`
		Index     int             `json:"index"`
		Embedding json.RawMessage `json:"embedding"`
	}
	type usage struct {
		PromptTokens int `json:"prompt_tokens"`
		TotalTokens  int `json:"total_tokens"`
	}
	out := struct {
		Object string `json:"object"`
		Data   []item `json:"data"`
		Model  string `json:"model"`
		Usage  usage  `json:"usage"`
	}{Object: "list", Data: make([]item, len(vectors)), Model: model, Usage: usage{promptTokens, promptTokens}}
	for i, v := range vectors {
		out.Data[i] = item{Object: "embedding", Index: i, Embedding: v}
	}
	return json.Marshal(out)
}
