package bedrock

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/switchyard/switchyard/internal/openai"
	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/provider/oaichat"
)

// converseResponse is a Converse answer.
type converseResponse struct {
	Output struct {
		Message *message `json:"message"`
	} `json:"output"`
	StopReason string `json:"stopReason"`
	Usage      usage  `json:"usage"`
}

type usage struct {
	InputTokens  int `json:"inputTokens"`
	OutputTokens int `json:"outputTokens"`
}

func (u usage) openai() openai.Usage { return oaichat.Usage(u.InputTokens, u.OutputTokens) }

// FinishReason maps a stopReason to an OpenAI finish_reason.
func FinishReason(stop string) string {
	switch stop {
	case "max_tokens", "model_context_window_exceeded":
		return "length"
	case "tool_use":
		return "tool_calls"
	case "guardrail_intervened", "content_filtered":
		return "content_filter"
	}
	return "stop"
}

// Response implements provider.Translator.
func (p *Provider) Response(op provider.Op, body []byte) ([]byte, error) {
	if op == provider.Embedding {
		return embeddingResponse(body)
	}
	var r converseResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("bedrock answer is not JSON: %w", err)
	}
	if r.Output.Message == nil {
		return nil, fmt.Errorf("bedrock answer has no output message")
	}
	var text strings.Builder
	var calls []oaichat.ToolCall
	for _, b := range r.Output.Message.Content {
		if b.ToolUse != nil {
			args := string(b.ToolUse.Input)
			if args == "" || args == "null" {
				args = "{}"
			}
			calls = append(calls, oaichat.ToolCall{ID: b.ToolUse.ToolUseID, Type: "function",
				Function: oaichat.FunctionCall{Name: b.ToolUse.Name, Arguments: args}})
			continue
		}
		text.WriteString(b.Text)
	}
	c := oaichat.NewCompletion(oaichat.NewID("chatcmpl-"), "", time.Now().Unix(), text.String(), calls,
		FinishReason(r.StopReason), r.Usage.openai())
	return json.Marshal(c)
}

// Error implements provider.Translator: Bedrock's {"message":…} (or {"Message":…}) becomes an
// OpenAI error; the status is kept (429 throttling, 503 unavailable and 5xx are retried).
func (p *Provider) Error(status int, body []byte) (int, []byte) {
	var e struct {
		Message  string `json:"message"`
		MessageU string `json:"Message"`
		Type     string `json:"__type"`
	}
	msg := strings.TrimSpace(oaichat.BodyText(body))
	if json.Unmarshal(body, &e) == nil {
		if e.Message == "" {
			e.Message = e.MessageU
		}
		if e.Message != "" {
			msg = e.Message
		}
	}
	code := e.Type
	if i := strings.LastIndexByte(code, '#'); i >= 0 {
		code = code[i+1:]
	}
	return status, oaichat.ErrorBody(status, msg, code)
}
