package bedrock

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/provider/oaichat"
)

// supported are the OpenAI chat parameters Converse takes.
var supported = map[string]bool{
	"temperature": true, "top_p": true, "max_tokens": true, "max_completion_tokens": true,
	"stop": true, "tools": true, "tool_choice": true, "n": true,
}

// converse is a Converse / ConverseStream request body.
type converse struct {
	Messages        []message                  `json:"messages"`
	System          []block                    `json:"system,omitempty"`
	InferenceConfig *inferenceConfig           `json:"inferenceConfig,omitempty"`
	ToolConfig      *toolConfig                `json:"toolConfig,omitempty"`
	Additional      map[string]json.RawMessage `json:"additionalModelRequestFields,omitempty"`
}

type message struct {
	Role    string  `json:"role"`
	Content []block `json:"content"`
}

// block is a ContentBlock (request and response): exactly one member is set.
type block struct {
	Text       string      `json:"text,omitempty"`
	Image      *image      `json:"image,omitempty"`
	ToolUse    *toolUse    `json:"toolUse,omitempty"`
	ToolResult *toolResult `json:"toolResult,omitempty"`
}

type image struct {
	Format string `json:"format"`
	Source struct {
		Bytes string `json:"bytes"`
	} `json:"source"`
}

type toolUse struct {
	ToolUseID string          `json:"toolUseId"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
}

type toolResult struct {
	ToolUseID string  `json:"toolUseId"`
	Content   []block `json:"content"`
}

type inferenceConfig struct {
	MaxTokens     *int     `json:"maxTokens,omitempty"`
	Temperature   *float64 `json:"temperature,omitempty"`
	TopP          *float64 `json:"topP,omitempty"`
	StopSequences []string `json:"stopSequences,omitempty"`
}

type toolConfig struct {
	Tools      []toolEntry                `json:"tools"`
	ToolChoice map[string]json.RawMessage `json:"toolChoice,omitempty"`
}

type toolEntry struct {
	ToolSpec struct {
		Name        string `json:"name"`
		Description string `json:"description,omitempty"`
		InputSchema struct {
			JSON json.RawMessage `json:"json"`
		} `json:"inputSchema"`
	} `json:"toolSpec"`
}

// Translate turns a decoded OpenAI chat request into a Converse body. Members that are not
// OpenAI parameters (top_k, …) go into additionalModelRequestFields.
func Translate(r *oaichat.Request, drop bool) ([]byte, error) {
	if err := r.CheckParams("bedrock", supported, drop); err != nil {
		return nil, err
	}
	var out converse
	if err := out.messages(r, drop); err != nil {
		return nil, err
	}
	if r.MaxTokens != nil || r.Temperature != nil || r.TopP != nil || len(r.Stop) > 0 {
		out.InferenceConfig = &inferenceConfig{MaxTokens: r.MaxTokens, Temperature: r.Temperature, TopP: r.TopP, StopSequences: r.Stop}
	}
	if len(r.Tools) > 0 {
		tc := &toolConfig{}
		for _, t := range r.Tools {
			var e toolEntry
			e.ToolSpec.Name, e.ToolSpec.Description = t.Function.Name, t.Function.Description
			e.ToolSpec.InputSchema.JSON = t.Function.Parameters
			if len(e.ToolSpec.InputSchema.JSON) == 0 {
				e.ToolSpec.InputSchema.JSON = json.RawMessage(`{"type":"object","properties":{}}`)
			}
			tc.Tools = append(tc.Tools, e)
		}
		switch r.ToolChoice.Mode {
		case "auto":
			tc.ToolChoice = map[string]json.RawMessage{"auto": json.RawMessage("{}")}
		case "required":
			tc.ToolChoice = map[string]json.RawMessage{"any": json.RawMessage("{}")}
		case "function":
			name, _ := json.Marshal(map[string]string{"name": r.ToolChoice.Name})
			tc.ToolChoice = map[string]json.RawMessage{"tool": name}
		case "none":
			if !drop {
				return nil, &provider.ParamError{Param: "tool_choice", Reason: "bedrock converse has no tool_choice \"none\"", Droppable: true}
			}
		}
		out.ToolConfig = tc
	}
	for _, f := range r.Other {
		if f.Key == "drop_params" {
			continue
		}
		if out.Additional == nil {
			out.Additional = map[string]json.RawMessage{}
		}
		out.Additional[f.Key] = f.Value
	}
	return json.Marshal(&out)
}

// messages hoists system messages and turns the rest into alternating user/assistant
// messages (tool results are user toolResult blocks; consecutive same-role messages merge).
func (out *converse) messages(r *oaichat.Request, drop bool) error {
	for i, m := range r.Messages {
		var role string
		var blocks []block
		switch m.Role {
		case "system", "developer":
			out.System = append(out.System, block{Text: m.Content.Text()})
			continue
		case "user":
			role = "user"
			for _, p := range m.Content.Parts {
				switch {
				case p.Type == "text":
					blocks = append(blocks, block{Text: p.Text})
				case p.Type == "image_url" && p.ImageURL != nil:
					b, err := imageBlock(p.ImageURL.URL, i)
					if err != nil {
						if drop {
							continue
						}
						return err
					}
					blocks = append(blocks, b)
				default:
					return &provider.ParamError{Param: "messages", Reason: fmt.Sprintf("message %d: content part type %q is not supported by bedrock", i, p.Type)}
				}
			}
		case "assistant":
			role = "assistant"
			if t := m.Content.Text(); t != "" {
				blocks = append(blocks, block{Text: t})
			}
			for _, tc := range m.ToolCalls {
				in, err := oaichat.Arguments(tc.Function.Arguments)
				if err != nil {
					return err
				}
				blocks = append(blocks, block{ToolUse: &toolUse{ToolUseID: tc.ID, Name: tc.Function.Name, Input: in}})
			}
		case "tool", "function":
			role = "user"
			blocks = []block{{ToolResult: &toolResult{ToolUseID: m.ToolCallID, Content: []block{{Text: m.Content.Text()}}}}}
		default:
			return &provider.ParamError{Param: "messages", Reason: fmt.Sprintf("message %d has role %q, which bedrock does not take", i, m.Role)}
		}
		if n := len(out.Messages); n > 0 && out.Messages[n-1].Role == role {
			out.Messages[n-1].Content = append(out.Messages[n-1].Content, blocks...)
			continue
		}
		out.Messages = append(out.Messages, message{Role: role, Content: blocks})
	}
	return nil
}

// imageBlock turns a data: URL into an image block (png, jpeg, gif or webp); Converse takes no
// image URLs.
func imageBlock(u string, i int) (block, error) {
	mt, data, ok := oaichat.DataURL(u)
	if !ok {
		return block{}, &provider.ParamError{Param: "image_url", Reason: fmt.Sprintf("message %d: bedrock takes only base64 data: URLs", i)}
	}
	format := strings.TrimPrefix(mt, "image/")
	switch format {
	case "png", "jpeg", "gif", "webp":
	case "jpg":
		format = "jpeg"
	default:
		return block{}, &provider.ParamError{Param: "image_url", Reason: fmt.Sprintf("message %d: bedrock takes png, jpeg, gif or webp images, not %q", i, mt)}
	}
	img := &image{Format: format}
	img.Source.Bytes = data
	return block{Image: img}, nil
}
