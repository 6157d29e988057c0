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

// ErrorEvent returns an SSE event carrying an OpenAI-shaped error, for ending a broken stream:
// `data: {"error":{"message":…,"type":…,"param":null,"code":…}}` and a blank line.
func ErrorEvent(message, typ, code string) []byte {
	b, _ := json.Marshal(ErrorBody{Error: ErrorDetail{Message: message, Type: typ, Code: code}})
	out := make([]byte, 0, len(b)+8)
	out = append(out, "data: "...)
	out = append(out, b...)
	return append(out, "\n\n"...)
}
