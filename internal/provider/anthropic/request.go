package anthropic

import (
	"encoding/json"
	"fmt"

	"github.com/switchyard/switchyard/internal/openai"
	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/provider/oaichat"
)

// supported are the OpenAI chat parameters Anthropic takes.
var supported = map[string]bool{
	"temperature": true, "top_p": true, "max_tokens": true, "max_completion_tokens": true,
	"stop": true, "tools": true, "tool_choice": true, "parallel_tool_calls": true, "n": true,
}

// reserved are the members Translate writes itself (and drop_params, a gateway setting): a
// pass-through member of the same name is left out.
var reserved = map[string]bool{
	"model": true, "max_tokens": true, "system": true, "messages": true, "temperature": true,
	"top_p": true, "stop_sequences": true, "stream": true, "tools": true, "tool_choice": true,
	"metadata": true, "drop_params": true,
}

// request is a Messages API request body.
type request struct {
	Model         string      `json:"model"`
	MaxTokens     int         `json:"max_tokens"`
	System        []block     `json:"system,omitempty"`
	Messages      []message   `json:"messages"`
	Temperature   *float64    `json:"temperature,omitempty"`
	TopP          *float64    `json:"top_p,omitempty"`
	StopSequences []string    `json:"stop_sequences,omitempty"`
	Stream        bool        `json:"stream,omitempty"`
	Tools         []tool      `json:"tools,omitempty"`
	ToolChoice    *toolChoice `json:"tool_choice,omitempty"`
	Metadata      *metadata   `json:"metadata,omitempty"`
	// extra are provider-specific members passed through (not encoded by json).
	extra []openai.Field
}

type message struct {
	Role    string  `json:"role"`
	Content []block `json:"content"`
}

// block is a content block: text, image, tool_use or tool_result (request and response).
type block struct {
	Type      string          `json:"type"`
	Text      string          `json:"text,omitempty"`
	Source    *imageSource    `json:"source,omitempty"`
	ID        string          `json:"id,omitempty"`
	Name      string          `json:"name,omitempty"`
	Input     json.RawMessage `json:"input,omitempty"`
	ToolUseID string          `json:"tool_use_id,omitempty"`
	Content   string          `json:"content,omitempty"`
}

type imageSource struct {
	Type      string `json:"type"`
	MediaType string `json:"media_type,omitempty"`
	Data      string `json:"data,omitempty"`
	URL       string `json:"url,omitempty"`
}

type tool struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	InputSchema json.RawMessage `json:"input_schema"`
}

type toolChoice struct {
	Type                   string `json:"type"`
	Name                   string `json:"name,omitempty"`
	DisableParallelToolUse bool   `json:"disable_parallel_tool_use,omitempty"`
}

type metadata struct {
	UserID string `json:"user_id"`
}

// Translate turns an OpenAI chat body into a Messages API body. Members that are not OpenAI
// parameters (top_k, thinking, …) are passed through; OpenAI parameters Anthropic cannot take
// are refused with a *provider.ParamError unless drop is set.
func Translate(body []byte, drop bool) ([]byte, error) {
	r, err := oaichat.Decode(body)
	if err != nil {
		return nil, err
	}
	if err := r.CheckParams("anthropic", supported, drop); err != nil {
		return nil, err
	}
	out := request{Model: r.Model, MaxTokens: DefaultMaxTokens, Temperature: r.Temperature, TopP: r.TopP,
		StopSequences: r.Stop, Stream: r.Stream}
	if r.MaxTokens != nil {
		out.MaxTokens = *r.MaxTokens
	}
	if r.User != "" {
		out.Metadata = &metadata{UserID: r.User}
	}
	if err := out.messages(r); err != nil {
		return nil, err
	}
	for _, t := range r.Tools {
		schema := t.Function.Parameters
		if len(schema) == 0 {
			schema = json.RawMessage(`{"type":"object","properties":{}}`)
		}
		out.Tools = append(out.Tools, tool{Name: t.Function.Name, Description: t.Function.Description, InputSchema: schema})
	}
	out.ToolChoice = choice(r)
	for _, f := range r.Other {
		if !reserved[f.Key] {
			out.extra = append(out.extra, f)
		}
	}
	return out.marshal()
}

// choice maps tool_choice and parallel_tool_calls.
func choice(r *oaichat.Request) *toolChoice {
	var tc *toolChoice
	switch r.ToolChoice.Mode {
	case "auto":
		tc = &toolChoice{Type: "auto"}
	case "required":
		tc = &toolChoice{Type: "any"}
	case "none":
		tc = &toolChoice{Type: "none"}
	case "function":
		tc = &toolChoice{Type: "tool", Name: r.ToolChoice.Name}
	}
	if r.ParallelToolCalls != nil && !*r.ParallelToolCalls && len(r.Tools) > 0 {
		if tc == nil {
			tc = &toolChoice{Type: "auto"}
		}
		tc.DisableParallelToolUse = true
	}
	return tc
}

// messages hoists system messages and turns the rest into alternating user/assistant
// messages: tool results become user tool_result blocks, consecutive same-role messages merge.
func (out *request) messages(r *oaichat.Request) error {
	for i, m := range r.Messages {
		var role string
		var blocks []block
		switch m.Role {
		case "system", "developer":
			for _, p := range m.Content.Parts {
				if p.Type == "text" {
					out.System = append(out.System, block{Type: "text", Text: p.Text})
				}
			}
			continue
		case "user":
			role = "user"
			bs, err := contentBlocks(m.Content, i)
			if err != nil {
				return err
			}
			blocks = bs
		case "assistant":
			role = "assistant"
			if t := m.Content.Text(); t != "" {
				blocks = append(blocks, block{Type: "text", Text: t})
			}
			for _, tc := range m.ToolCalls {
				in, err := oaichat.Arguments(tc.Function.Arguments)
				if err != nil {
					return err
				}
				blocks = append(blocks, block{Type: "tool_use", ID: tc.ID, Name: tc.Function.Name, Input: in})
			}
		case "tool", "function":
			role = "user"
			blocks = []block{{Type: "tool_result", ToolUseID: m.ToolCallID, Content: m.Content.Text()}}
		default:
			return &provider.ParamError{Param: "messages", Reason: fmt.Sprintf("message %d has role %q, which anthropic does not take", i, m.Role)}
		}
		if n := len(out.Messages); n > 0 && out.Messages[n-1].Role == role {
			out.Messages[n-1].Content = append(out.Messages[n-1].Content, blocks...)
			continue
		}
		out.Messages = append(out.Messages, message{Role: role, Content: blocks})
	}
	return nil
}

// contentBlocks turns a user message's content into text and image blocks.
func contentBlocks(c oaichat.Content, i int) ([]block, error) {
	blocks := make([]block, 0, len(c.Parts))
	for _, p := range c.Parts {
		switch p.Type {
		case "text":
			blocks = append(blocks, block{Type: "text", Text: p.Text})
		case "image_url":
			if p.ImageURL == nil {
				return nil, &provider.ParamError{Param: "messages", Reason: fmt.Sprintf("message %d: image_url part without a url", i)}
			}
			src := &imageSource{Type: "url", URL: p.ImageURL.URL}
			if mt, data, ok := oaichat.DataURL(p.ImageURL.URL); ok {
				src = &imageSource{Type: "base64", MediaType: mt, Data: data}
			}
			blocks = append(blocks, block{Type: "image", Source: src})
		default:
			return nil, &provider.ParamError{Param: "messages", Reason: fmt.Sprintf("message %d: content part type %q is not supported by anthropic", i, p.Type)}
		}
	}
	return blocks, nil
}

// marshal encodes the request with the pass-through members appended.
func (out *request) marshal() ([]byte, error) {
	b, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	return oaichat.AppendFields(b, out.extra), nil
}
