package openai

import (
	"bytes"
	"encoding/json"
)

// ErrorBody is the OpenAI error envelope: {"error":{"message","type","param","code"}}; all four
// keys are always present (param and code may be null).
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the inside of ErrorBody.
type ErrorDetail struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    any     `json:"code"`
}

// Usage is the token usage an upstream reports.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// ResponseUsage reads "usage" from a complete (non-streaming) response body; ok is false when
// the body has none or is not one well-formed JSON object. Nothing else is decoded (see scan.go).
func ResponseUsage(body []byte) (u Usage, ok bool) {
	if !bytes.Contains(body, []byte(`"usage"`)) {
		return u, false
	}
	v, found, err := topLevel(body, "usage")
	if err != nil || !found {
		return u, false
	}
	return parseUsage(v)
}

// chunk is the part of a chat.completion.chunk (or text_completion chunk) the gateway reads.
type chunk struct {
	Choices []struct {
		Delta struct {
			Content      *string         `json:"content"`
			ToolCalls    json.RawMessage `json:"tool_calls"`
			FunctionCall json.RawMessage `json:"function_call"`
			Refusal      *string         `json:"refusal"`
		} `json:"delta"`
		Text         *string `json:"text"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *Usage          `json:"usage"`
	Error json.RawMessage `json:"error"`
}

// ChunkKind says what a stream event's data means for the commit point.
type ChunkKind int

const (
	// ChunkHold is an event that does not commit a stream (role-only delta, Azure's
	// prompt_filter_results, a usage-only chunk): held until one that commits.
	ChunkHold ChunkKind = iota
	// ChunkCommit carries delta content, tool calls or a finish reason: the stream commits.
	ChunkCommit
	// ChunkError is an in-band error event ({"error": …}).
	ChunkError
	// ChunkInvalid is data that is not a JSON object.
	ChunkInvalid
)

// ClassifyChunk reads one SSE data payload (without "data: ") and says whether it commits.
func ClassifyChunk(data []byte) (ChunkKind, *Usage) {
	var c chunk
	if err := json.Unmarshal(data, &c); err != nil {
		return ChunkInvalid, nil
	}
	if len(c.Error) > 0 && string(c.Error) != "null" {
		return ChunkError, nil
	}
	for _, ch := range c.Choices {
		d := ch.Delta
		if (d.Content != nil && *d.Content != "") || (ch.Text != nil && *ch.Text != "") ||
			len(d.ToolCalls) > 0 && string(d.ToolCalls) != "null" ||
			len(d.FunctionCall) > 0 && string(d.FunctionCall) != "null" ||
			(d.Refusal != nil && *d.Refusal != "") || ch.FinishReason != nil {
			return ChunkCommit, c.Usage
		}
	}
	return ChunkHold, c.Usage
}

// ChunkUsage returns the usage a committed stream's chunk carries, if any ("usage":null is
// none); cheap: nothing but the usage member is decoded, and only chunks mentioning it are
// scanned.
func ChunkUsage(data []byte) (Usage, bool) {
	return ResponseUsage(data)
}

// ErrorEvent returns an SSE event carrying an OpenAI-shaped error, for ending a broken stream:
// `data: {"error":{"message":…,"type":…,"param":null,"code":…}}` and a blank line.
func ErrorEvent(message, typ, code string) []byte {
	b, _ := json.Marshal(ErrorBody{Error: ErrorDetail{Message: message, Type: typ, Code: code}})
	out := make([]byte, 0, len(b)+8)
	out = append(out, "data: "...)
	out = append(out, b...)
	return append(out, "\n\n"...)
}

// UsageOnly reports whether a chunk is the usage chunk a stream ends with when
// stream_options.include_usage is set: usage present and no choices.
func UsageOnly(data []byte) bool {
	var c struct {
		Choices []json.RawMessage `json:"choices"`
		Usage   *Usage            `json:"usage"`
	}
	return json.Unmarshal(data, &c) == nil && c.Usage != nil && len(c.Choices) == 0
}

// IsErrorEvent reports whether a stream event's data is an in-band error ({"error": …}),
// cheaply: only a payload starting with {"error" is decoded.
func IsErrorEvent(data []byte) bool {
	t := bytes.TrimLeft(data, " \t\r\n")
	if !bytes.HasPrefix(t, []byte(`{"error"`)) {
		return false
	}
	kind, _ := ClassifyChunk(data)
	return kind == ChunkError
}
