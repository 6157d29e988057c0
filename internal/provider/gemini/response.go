package gemini

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

// response is a GenerateContentResponse (a whole answer, or one event of a stream).
type response struct {
	Candidates []struct {
		Content      content `json:"content"`
		FinishReason string  `json:"finishReason"`
	} `json:"candidates"`
	PromptFeedback *struct {
		BlockReason string `json:"blockReason"`
	} `json:"promptFeedback"`
	UsageMetadata *usageMetadata `json:"usageMetadata"`
	ModelVersion  string         `json:"modelVersion"`
	ResponseID    string         `json:"responseId"`
	Error         *apiError      `json:"error"`
}

type usageMetadata struct {
	PromptTokenCount     int `json:"promptTokenCount"`
	CandidatesTokenCount int `json:"candidatesTokenCount"`
	ThoughtsTokenCount   int `json:"thoughtsTokenCount"`
}

func (u *usageMetadata) usage() openai.Usage {
	if u == nil {
		return openai.Usage{}
	}
	return oaichat.Usage(u.PromptTokenCount, u.CandidatesTokenCount+u.ThoughtsTokenCount)
}

// FinishReason maps a finishReason to an OpenAI finish_reason.
func FinishReason(reason string, calls bool) string {
	switch reason {
	case "MAX_TOKENS":
		return "length"
	case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY":
		return "content_filter"
	}
	if calls {
		return "tool_calls"
	}
	return "stop"
}

// toolCall converts a functionCall part into an OpenAI tool call (with a fresh id when Gemini
// gives none).
func toolCall(fc *functionCall) oaichat.ToolCall {
	id := fc.ID
	if id == "" {
		id = oaichat.NewID("call_")
	}
	args := string(fc.Args)
	if args == "" || args == "null" {
		args = "{}"
	}
	return oaichat.ToolCall{ID: id, Type: "function", Function: oaichat.FunctionCall{Name: fc.Name, Arguments: args}}
}

// Response implements provider.Translator.
func (p *Provider) Response(op provider.Op, body []byte) ([]byte, error) {
	if op == provider.Embedding {
		return embeddingResponse(body)
	}
	var r response
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("gemini answer is not JSON: %w", err)
	}
	var text strings.Builder
	var calls []oaichat.ToolCall
	finish := "stop"
	if len(r.Candidates) > 0 {
		c := r.Candidates[0]
		for _, pt := range c.Content.Parts {
			switch {
			case pt.FunctionCall != nil:
				calls = append(calls, toolCall(pt.FunctionCall))
			case !pt.Thought:
				text.WriteString(pt.Text)
			}
		}
		finish = FinishReason(c.FinishReason, len(calls) > 0)
	} else if r.PromptFeedback != nil && r.PromptFeedback.BlockReason != "" {
		finish = "content_filter"
	}
	id := r.ResponseID
	if id == "" {
		id = oaichat.NewID("chatcmpl-")
	}
	c := oaichat.NewCompletion(id, r.ModelVersion, time.Now().Unix(), text.String(), calls, finish, r.UsageMetadata.usage())
	return json.Marshal(c)
}

// embeddingResponse turns a batchEmbedContents answer into an OpenAI embeddings list.
func embeddingResponse(body []byte) ([]byte, error) {
	var r struct {
		Embeddings []struct {
			Values json.RawMessage `json:"values"`
		} `json:"embeddings"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("gemini embeddings answer is not JSON: %w", err)
	}
	vs := make([]json.RawMessage, len(r.Embeddings))
	for i, e := range r.Embeddings {
		vs[i] = e.Values
	}
	return oaichat.EmbeddingList("", vs, 0)
}

// apiError is Google's error: {"error":{"code":…,"message":…,"status":…,"details":[…]}}.
type apiError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Status  string `json:"status"`
	Details []struct {
		Reason string `json:"reason"`
	} `json:"details"`
}

// statusOf is the HTTP status for a Google RPC status name; 0 when unknown. An invalid API
// key (400 with reason API_KEY_INVALID) is reported as 401.
func (e *apiError) statusOf() int {
	for _, d := range e.Details {
		if d.Reason == "API_KEY_INVALID" {
			return http.StatusUnauthorized
		}
	}
	switch e.Status {
	case "INVALID_ARGUMENT", "FAILED_PRECONDITION", "OUT_OF_RANGE":
		return http.StatusBadRequest
	case "UNAUTHENTICATED":
		return http.StatusUnauthorized
	case "PERMISSION_DENIED":
		return http.StatusForbidden
	case "NOT_FOUND":
		return http.StatusNotFound
	case "RESOURCE_EXHAUSTED":
		return http.StatusTooManyRequests
	case "INTERNAL", "UNKNOWN", "DATA_LOSS":
		return http.StatusInternalServerError
	case "UNAVAILABLE":
		return http.StatusServiceUnavailable
	case "DEADLINE_EXCEEDED":
		return http.StatusGatewayTimeout
	}
	return 0
}

// Error implements provider.Translator: Google's error becomes an OpenAI error whose code is
// the RPC status name; the status is kept except for an invalid key (401).
func (p *Provider) Error(status int, body []byte) (int, []byte) {
	var r struct {
		Error *apiError `json:"error"`
	}
	if json.Unmarshal(body, &r) != nil || r.Error == nil || r.Error.Message == "" {
		return status, oaichat.ErrorBody(status, strings.TrimSpace(oaichat.BodyText(body)), "")
	}
	if s := r.Error.statusOf(); s == http.StatusUnauthorized {
		status = s
	}
	return status, oaichat.ErrorBody(status, r.Error.Message, r.Error.Status)
}
