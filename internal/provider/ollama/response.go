package ollama

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/provider/oaichat"
)

// chatResponse is an /api/chat answer, or one NDJSON line of a streamed one.
type chatResponse struct {
	Model   string `json:"model"`
	Message struct {
		Role      string     `json:"role"`
		Content   string     `json:"content"`
		ToolCalls []toolCall `json:"tool_calls"`
	} `json:"message"`
	Done            bool   `json:"done"`
	DoneReason      string `json:"done_reason"`
	PromptEvalCount int    `json:"prompt_eval_count"`
	EvalCount       int    `json:"eval_count"`
	Error           string `json:"error"`
}

// finishReason maps done_reason ("stop", "length", "load", …) to a finish_reason; an answer
// with tool calls finishes with "tool_calls".
func finishReason(doneReason string, calls bool) string {
	switch {
	case calls:
		return "tool_calls"
	case doneReason == "length":
		return "length"
	}
	return "stop"
}

// calls converts Ollama's tool calls (which carry no id) into OpenAI's, with fresh ids.
func calls(tcs []toolCall) []oaichat.ToolCall {
	out := make([]oaichat.ToolCall, 0, len(tcs))
	for _, tc := range tcs {
		args := string(tc.Function.Arguments)
		if args == "" || args == "null" {
			args = "{}"
		}
		out = append(out, oaichat.ToolCall{ID: oaichat.NewID("call_"), Type: "function",
			Function: oaichat.FunctionCall{Name: tc.Function.Name, Arguments: args}})
	}
	return out
}

// Response implements provider.Translator.
func (p *Provider) Response(op provider.Op, body []byte) ([]byte, error) {
	if op == provider.Embedding {
		return embeddingResponse(body)
	}
	var r chatResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("ollama answer is not JSON: %w", err)
	}
	if r.Error != "" {
		return nil, fmt.Errorf("ollama answered an error: %s", r.Error)
	}
	tcs := calls(r.Message.ToolCalls)
	c := oaichat.NewCompletion(oaichat.NewID("chatcmpl-"), r.Model, time.Now().Unix(), r.Message.Content, tcs,
		finishReason(r.DoneReason, len(tcs) > 0), oaichat.Usage(r.PromptEvalCount, r.EvalCount))
	return json.Marshal(c)
}

// embeddingResponse turns an /api/embed answer into an OpenAI embeddings list.
func embeddingResponse(body []byte) ([]byte, error) {
	var r struct {
		Model           string            `json:"model"`
		Embeddings      []json.RawMessage `json:"embeddings"`
		PromptEvalCount int               `json:"prompt_eval_count"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("ollama embed answer is not JSON: %w", err)
	}
	return oaichat.EmbeddingList(r.Model, r.Embeddings, r.PromptEvalCount)
}

// Error implements provider.Translator: Ollama's {"error":"…"} becomes an OpenAI error; the
// status is kept.
func (p *Provider) Error(status int, body []byte) (int, []byte) {
	var e struct {
		Error string `json:"error"`
	}
	msg := strings.TrimSpace(oaichat.BodyText(body))
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		msg = e.Error
	}
	return status, oaichat.ErrorBody(status, msg, "")
}
