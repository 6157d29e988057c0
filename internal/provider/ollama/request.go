package ollama

import (
	"encoding/json"
	"fmt"

	"github.com/switchyard/switchyard/internal/openai"
	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/provider/oaichat"
)

// supported are the OpenAI chat parameters Ollama takes.
var supported = map[string]bool{
	"temperature": true, "top_p": true, "max_tokens": true, "max_completion_tokens": true,
	"stop": true, "seed": true, "frequency_penalty": true, "presence_penalty": true, "tools": true,
	"tool_choice": true, "response_format": true, "n": true,
}

// topLevel are the non-OpenAI members that go at the top of an /api/chat body; every other
// one is a model option (num_ctx, top_k, …) and goes into options.
var topLevel = map[string]bool{"keep_alive": true, "format": true, "think": true}

// request is an /api/chat body.
type request struct {
	Model    string                     `json:"model"`
	Messages []message                  `json:"messages"`
	Tools    []oaichat.Tool             `json:"tools,omitempty"`
	Stream   bool                       `json:"stream"`
	Format   json.RawMessage            `json:"format,omitempty"`
	Options  map[string]json.RawMessage `json:"options,omitempty"`
	// extra are top-level pass-through members, added by marshal.
	extra []openai.Field
}

type message struct {
	Role      string     `json:"role"`
	Content   string     `json:"content"`
	Images    []string   `json:"images,omitempty"`
	ToolCalls []toolCall `json:"tool_calls,omitempty"`
	ToolName  string     `json:"tool_name,omitempty"`
}

type toolCall struct {
	Function struct {
		Name      string          `json:"name"`
		Arguments json.RawMessage `json:"arguments"`
	} `json:"function"`
}

// Translate turns an OpenAI chat body into an /api/chat body. Image URLs (Ollama takes only
// inline images) and tool_choice other than "auto" are refused unless drop is set.
func Translate(body []byte, drop bool) ([]byte, error) {
	r, err := oaichat.Decode(body)
	if err != nil {
		return nil, err
	}
	if err := r.CheckParams("ollama", supported, drop); err != nil {
		return nil, err
	}
	if m := r.ToolChoice.Mode; m != "" && m != "auto" && !drop {
		return nil, &provider.ParamError{Param: "tool_choice", Reason: "ollama takes only tool_choice \"auto\"", Droppable: true}
	}
	out := request{Model: r.Model, Stream: r.Stream, Tools: r.Tools, Options: map[string]json.RawMessage{}}
	opt := func(k string, v any) {
		b, _ := json.Marshal(v)
		out.Options[k] = b
	}
	if r.Temperature != nil {
		opt("temperature", *r.Temperature)
	}
	if r.TopP != nil {
		opt("top_p", *r.TopP)
	}
	if r.MaxTokens != nil {
		opt("num_predict", *r.MaxTokens)
	}
	if r.Stop != nil {
		opt("stop", r.Stop)
	}
	if r.Seed != nil {
		opt("seed", *r.Seed)
	}
	if r.FrequencyPenalty != nil {
		opt("frequency_penalty", *r.FrequencyPenalty)
	}
	if r.PresencePenalty != nil {
		opt("presence_penalty", *r.PresencePenalty)
	}
	switch r.ResponseFormat {
	case "json_object":
		out.Format = json.RawMessage(`"json"`)
	case "json_schema":
		out.Format = r.Schema
	}
	for _, f := range r.Other {
		switch {
		case f.Key == "drop_params":
		case topLevel[f.Key]:
			out.extra = append(out.extra, f)
		default:
			out.Options[f.Key] = f.Value
		}
	}
	if out.Messages, err = messages(r, drop); err != nil {
		return nil, err
	}
	return out.marshal()
}

// messages maps OpenAI messages one to one: text joined, data: URL images inlined, tool calls
// with object arguments, tool results naming their function.
func messages(r *oaichat.Request, drop bool) ([]message, error) {
	out := make([]message, 0, len(r.Messages))
	for i, m := range r.Messages {
		om := message{Role: m.Role, Content: m.Content.Text()}
		if m.Role == "developer" {
			om.Role = "system"
		}
		for _, p := range m.Content.Parts {
			if p.Type != "image_url" || p.ImageURL == nil {
				continue
			}
			_, data, ok := oaichat.DataURL(p.ImageURL.URL)
			if !ok {
				if drop {
					continue
				}
				return nil, &provider.ParamError{Param: "image_url", Reason: fmt.Sprintf("message %d: ollama takes only base64 data: URLs", i), Droppable: true}
			}
			om.Images = append(om.Images, data)
		}
		for _, tc := range m.ToolCalls {
			args, err := oaichat.Arguments(tc.Function.Arguments)
			if err != nil {
				return nil, err
			}
			var c toolCall
			c.Function.Name, c.Function.Arguments = tc.Function.Name, args
			om.ToolCalls = append(om.ToolCalls, c)
		}
		if m.Role == "tool" {
			om.ToolName = r.ToolName(m.ToolCallID, i)
		}
		out = append(out, om)
	}
	return out, nil
}

func (out *request) marshal() ([]byte, error) {
	if len(out.Options) == 0 {
		out.Options = nil
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	return oaichat.AppendFields(b, out.extra), nil
}

// TranslateEmbedding turns an OpenAI embeddings body ({"model","input"}) into an /api/embed
// body; input may be a string or an array of strings.
func TranslateEmbedding(body []byte) ([]byte, error) {
	in, err := oaichat.DecodeEmbedding(body, "ollama")
	if err != nil {
		return nil, err
	}
	return json.Marshal(struct {
		Model string   `json:"model"`
		Input []string `json:"input"`
	}{in.Model, in.Texts})
}
