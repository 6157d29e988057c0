// Package oaichat decodes the OpenAI chat request that translating providers (Anthropic, Gemini,
// Ollama, Bedrock) turn into their own wire format, and encodes the OpenAI responses, stream
// chunks and error bodies they turn their upstream's answers back into.
package oaichat

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/switchyard/switchyard/internal/openai"
	"github.com/switchyard/switchyard/internal/provider"
)

// Request is a decoded OpenAI chat completion request. Fields the client did not send are zero
// (pointers nil); Present lists every top-level key the body has, in order.
type Request struct {
	Model       string
	Messages    []Message
	Stream      bool
	Temperature *float64
	TopP        *float64
	// MaxTokens is max_completion_tokens, else max_tokens; nil when neither is set.
	MaxTokens         *int
	Stop              []string
	Seed              *int64
	PresencePenalty   *float64
	FrequencyPenalty  *float64
	N                 *int
	User              string
	Tools             []Tool
	ToolChoice        ToolChoice
	ParallelToolCalls *bool
	// ResponseFormat is response_format.type ("text", "json_object", "json_schema"), "" if unset;
	// Schema is json_schema.schema when given.
	ResponseFormat string
	Schema         json.RawMessage
	// Present holds every top-level key in body order.
	Present []string
	// Other holds the members that are not OpenAI chat parameters (provider-specific extras
	// such as Anthropic's "thinking" or "top_k"), raw and in body order.
	Other []openai.Field
}

// Message is one entry of messages.
type Message struct {
	Role       string     `json:"role"`
	Content    Content    `json:"content"`
	Name       string     `json:"name,omitempty"`
	ToolCalls  []ToolCall `json:"tool_calls,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
}

// Content is a message's content: a string, an array of parts, or null.
type Content struct {
	// Parts are the content parts; a plain string becomes one text part.
	Parts []Part
	// IsString says the content was a plain JSON string.
	IsString bool
}

// Part is one content part: {"type":"text","text":…} or {"type":"image_url","image_url":{"url":…}}.
type Part struct {
	Type     string    `json:"type"`
	Text     string    `json:"text,omitempty"`
	ImageURL *ImageURL `json:"image_url,omitempty"`
}

// ImageURL is the image_url member of an image part: an https URL or a data: URL.
type ImageURL struct {
	URL    string `json:"url"`
	Detail string `json:"detail,omitempty"`
}

// UnmarshalJSON implements json.Unmarshaler.
func (c *Content) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*c = Content{}
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*c = Content{Parts: []Part{{Type: "text", Text: s}}, IsString: true}
		return nil
	}
	c.IsString = false
	if len(b) == 0 || b[0] != '[' {
		return errContent
	}
	return json.Unmarshal(b, &c.Parts)
}

// Text joins the content's text parts.
func (c Content) Text() string {
	if len(c.Parts) == 1 && c.Parts[0].Type == "text" {
		return c.Parts[0].Text
	}
	var sb strings.Builder
	for _, p := range c.Parts {
		if p.Type == "text" {
			sb.WriteString(p.Text)
		}
	}
	return sb.String()
}

// ToolCall is an assistant's call of a function.
type ToolCall struct {
	ID       string       `json:"id"`
	Type     string       `json:"type"`
	Function FunctionCall `json:"function"`
}

// FunctionCall names the function and carries its arguments as a JSON-encoded string.
type FunctionCall struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

// Tool is one entry of tools (type "function").
type Tool struct {
	Type     string `json:"type"`
	Function struct {
		Name        string          `json:"name"`
		Description string          `json:"description,omitempty"`
		Parameters  json.RawMessage `json:"parameters,omitempty"`
	} `json:"function"`
}

// ToolChoice is tool_choice: Mode is "" (unset), "auto", "none", "required" or "function"
// (then Name is the function to call).
type ToolChoice struct {
	Mode, Name string
}

// chatParams are the OpenAI chat parameters; anything else in a body is provider-specific.
var chatParams = map[string]bool{
	"model": true, "messages": true, "stream": true, "stream_options": true, "temperature": true,
	"top_p": true, "n": true, "stop": true, "max_tokens": true, "max_completion_tokens": true,
	"presence_penalty": true, "frequency_penalty": true, "logit_bias": true, "logprobs": true,
	"top_logprobs": true, "user": true, "tools": true, "tool_choice": true,
	"parallel_tool_calls": true, "functions": true, "function_call": true,
	"response_format": true, "seed": true, "service_tier": true, "store": true,
	"modalities": true, "audio": true, "prediction": true, "reasoning_effort": true,
	"web_search_options": true, "verbosity": true, "prompt_cache_key": true,
	"safety_identifier": true,
}

// Decode reads an OpenAI chat request body. A member of the wrong shape is a
// *provider.ParamError naming it (and, for messages, the message's index).
func Decode(body []byte) (*Request, error) {
	pr, err := openai.ParseRequest(body)
	if err != nil {
		return nil, err
	}
	r := &Request{Present: make([]string, 0, len(pr.Members))}
	for _, m := range pr.Members {
		v := body[m.ValStart:m.End]
		r.Present = append(r.Present, m.Key)
		if !chatParams[m.Key] {
			r.Other = append(r.Other, openai.Field{Key: m.Key, Value: json.RawMessage(v)})
			continue
		}
		if err := r.decodeMember(m.Key, v); err != nil {
			var pe *provider.ParamError
			if errors.As(err, &pe) {
				return nil, pe
			}
			return nil, &provider.ParamError{Param: m.Key, Reason: describe(err)}
		}
	}
	return r, nil
}

func (r *Request) decodeMember(key string, v []byte) error {
	if string(v) == "null" {
		return nil
	}
	switch key {
	case "model":
		return json.Unmarshal(v, &r.Model)
	case "messages":
		return r.decodeMessages(v)
	case "stream":
		return json.Unmarshal(v, &r.Stream)
	case "temperature":
		return json.Unmarshal(v, &r.Temperature)
	case "top_p":
		return json.Unmarshal(v, &r.TopP)
	case "max_tokens":
		if r.MaxTokens != nil {
			return nil // max_completion_tokens wins
		}
		return json.Unmarshal(v, &r.MaxTokens)
	case "max_completion_tokens":
		r.MaxTokens = nil
		return json.Unmarshal(v, &r.MaxTokens)
	case "stop":
		if len(v) > 0 && v[0] == '"' {
			var s string
			err := json.Unmarshal(v, &s)
			r.Stop = []string{s}
			return err
		}
		return json.Unmarshal(v, &r.Stop)
	case "seed":
		return json.Unmarshal(v, &r.Seed)
	case "presence_penalty":
		return json.Unmarshal(v, &r.PresencePenalty)
	case "frequency_penalty":
		return json.Unmarshal(v, &r.FrequencyPenalty)
	case "n":
		return json.Unmarshal(v, &r.N)
	case "user":
		return json.Unmarshal(v, &r.User)
	case "tools":
		return json.Unmarshal(v, &r.Tools)
	case "parallel_tool_calls":
		return json.Unmarshal(v, &r.ParallelToolCalls)
	case "tool_choice":
		return r.decodeToolChoice(v)
	case "response_format":
		var rf struct {
			Type       string `json:"type"`
			JSONSchema struct {
				Schema json.RawMessage `json:"schema"`
			} `json:"json_schema"`
		}
		if err := json.Unmarshal(v, &rf); err != nil {
			return err
		}
		r.ResponseFormat, r.Schema = rf.Type, rf.JSONSchema.Schema
	}
	return nil
}

// decodeMessages decodes messages one by one, so an error names the message at fault.
func (r *Request) decodeMessages(v []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(v, &raw); err != nil {
		return &provider.ParamError{Param: "messages", Reason: "must be an array of messages"}
	}
	r.Messages = make([]Message, len(raw))
	for i, m := range raw {
		if err := json.Unmarshal(m, &r.Messages[i]); err != nil {
			return &provider.ParamError{Param: "messages", Reason: fmt.Sprintf("message %d: %s", i, describe(err))}
		}
	}
	return nil
}

// describe turns a decoding error into words for the client, without Go type names.
func describe(err error) string {
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te) && te.Field != "":
		return fmt.Sprintf("%q has the wrong type: got a JSON %s", te.Field, te.Value)
	case errors.As(err, &te):
		return "has the wrong type: got a JSON " + te.Value
	case errors.Is(err, errContent):
		return err.Error()
	}
	return "invalid value"
}

// errContent is a message content that is neither a string, an array of parts nor null.
var errContent = errors.New(`"content" must be a string, an array of content parts or null`)

func (r *Request) decodeToolChoice(v []byte) error {
	if len(v) > 0 && v[0] == '"' {
		return json.Unmarshal(v, &r.ToolChoice.Mode)
	}
	var tc struct {
		Type     string `json:"type"`
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if err := json.Unmarshal(v, &tc); err != nil {
		return err
	}
	r.ToolChoice = ToolChoice{Mode: "function", Name: tc.Function.Name}
	return nil
}

// Has reports whether the body had the top-level key.
func (r *Request) Has(key string) bool {
	for _, k := range r.Present {
		if k == key {
			return true
		}
	}
	return false
}

// ignorable are parameters every translating provider accepts by ignoring them: they ask
// nothing of the model's output.
var ignorable = map[string]bool{
	"model": true, "messages": true, "stream": true, "stream_options": true, "store": true,
	"service_tier": true, "prompt_cache_key": true, "safety_identifier": true, "user": true,
}

// CheckParams returns a *provider.ParamError for the first OpenAI chat parameter in r that
// the provider cannot take (not in supported, not ignorable), unless drop is set; n = 1 is
// always accepted. Parameters that are not OpenAI's (r.Other) are the provider's to judge.
func (r *Request) CheckParams(providerName string, supported map[string]bool, drop bool) error {
	if drop {
		return nil
	}
	for _, k := range r.Present {
		if !chatParams[k] || ignorable[k] || supported[k] {
			continue
		}
		if k == "n" && (r.N == nil || *r.N == 1) {
			continue
		}
		return &provider.ParamError{Param: k, Reason: providerName + " does not support it", Droppable: true}
	}
	return nil
}

// ToolName returns the function name of the tool call with id in the messages before index
// upTo, or "" (tool results in some wire formats must name the function).
func (r *Request) ToolName(id string, upTo int) string {
	for i := min(upTo, len(r.Messages)) - 1; i >= 0; i-- {
		for _, tc := range r.Messages[i].ToolCalls {
			if tc.ID == id {
				return tc.Function.Name
			}
		}
	}
	return ""
}

// DataURL splits a data: URL ("data:image/png;base64,AAAA") into its media type and base64
// payload; ok is false for any other URL.
func DataURL(u string) (mediaType, data string, ok bool) {
	rest, found := strings.CutPrefix(u, "data:")
	if !found {
		return "", "", false
	}
	meta, data, found := strings.Cut(rest, ",")
	if !found {
		return "", "", false
	}
	mediaType, enc, _ := strings.Cut(meta, ";")
	if enc != "base64" {
		return "", "", false
	}
	return mediaType, data, true
}

// Arguments decodes a tool call's JSON-encoded arguments into a JSON value (an object);
// empty arguments are {}. Arguments that are not JSON are a *provider.ParamError.
func Arguments(args string) (json.RawMessage, error) {
	t := strings.TrimSpace(args)
	if t == "" {
		return json.RawMessage("{}"), nil
	}
	if !json.Valid([]byte(t)) {
		return nil, &provider.ParamError{Param: "messages", Reason: "tool call arguments are not valid JSON"}
	}
	return json.RawMessage(t), nil
}

// AppendFields adds members to the encoded JSON object obj (which must end in '}'), for
// pass-through members a provider's body struct does not know.
func AppendFields(obj []byte, fields []openai.Field) []byte {
	if len(fields) == 0 {
		return obj
	}
	b := obj[:len(obj)-1]
	for _, f := range fields {
		if len(b) > 1 {
			b = append(b, ',')
		}
		k, _ := json.Marshal(f.Key)
		b = append(append(append(b, k...), ':'), f.Value...)
	}
	return append(b, '}')
}
