package gemini

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/url"
	"path"
	"strings"

	"github.com/switchyard/switchyard/internal/openai"
	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/provider/oaichat"
)

// supported are the OpenAI chat parameters Gemini takes.
var supported = map[string]bool{
	"temperature": true, "top_p": true, "max_tokens": true, "max_completion_tokens": true,
	"stop": true, "n": true, "presence_penalty": true, "frequency_penalty": true, "seed": true,
	"tools": true, "tool_choice": true, "response_format": true,
}

// reserved are members Translate writes itself; a pass-through member of the same name is
// left out (as is drop_params, a gateway setting).
var reserved = map[string]bool{
	"contents": true, "systemInstruction": true, "generationConfig": true, "tools": true,
	"toolConfig": true, "drop_params": true, "top_k": true,
}

type request struct {
	Contents          []content         `json:"contents"`
	SystemInstruction *content          `json:"systemInstruction,omitempty"`
	GenerationConfig  *generationConfig `json:"generationConfig,omitempty"`
	Tools             []tools           `json:"tools,omitempty"`
	ToolConfig        *toolConfig       `json:"toolConfig,omitempty"`
	extra             []openai.Field
}

type content struct {
	Role  string `json:"role,omitempty"`
	Parts []part `json:"parts"`
}

// part is one part of a content (request and response).
type part struct {
	Text             string            `json:"text,omitempty"`
	Thought          bool              `json:"thought,omitempty"`
	InlineData       *blob             `json:"inlineData,omitempty"`
	FileData         *fileData         `json:"fileData,omitempty"`
	FunctionCall     *functionCall     `json:"functionCall,omitempty"`
	FunctionResponse *functionResponse `json:"functionResponse,omitempty"`
}

type blob struct {
	MimeType string `json:"mimeType"`
	Data     string `json:"data"`
}

type fileData struct {
	MimeType string `json:"mimeType,omitempty"`
	FileURI  string `json:"fileUri"`
}

type functionCall struct {
	ID   string          `json:"id,omitempty"`
	Name string          `json:"name"`
	Args json.RawMessage `json:"args,omitempty"`
}

type functionResponse struct {
	Name     string          `json:"name"`
	Response json.RawMessage `json:"response"`
}

type generationConfig struct {
	Temperature        *float64        `json:"temperature,omitempty"`
	TopP               *float64        `json:"topP,omitempty"`
	TopK               json.RawMessage `json:"topK,omitempty"`
	MaxOutputTokens    *int            `json:"maxOutputTokens,omitempty"`
	StopSequences      []string        `json:"stopSequences,omitempty"`
	CandidateCount     *int            `json:"candidateCount,omitempty"`
	PresencePenalty    *float64        `json:"presencePenalty,omitempty"`
	FrequencyPenalty   *float64        `json:"frequencyPenalty,omitempty"`
	Seed               *int64          `json:"seed,omitempty"`
	ResponseMimeType   string          `json:"responseMimeType,omitempty"`
	ResponseJSONSchema json.RawMessage `json:"responseJsonSchema,omitempty"`
}

type tools struct {
	FunctionDeclarations []functionDeclaration `json:"functionDeclarations"`
}

type functionDeclaration struct {
	Name                 string          `json:"name"`
	Description          string          `json:"description,omitempty"`
	ParametersJSONSchema json.RawMessage `json:"parametersJsonSchema,omitempty"`
}

type toolConfig struct {
	FunctionCallingConfig struct {
		Mode                 string   `json:"mode"`
		AllowedFunctionNames []string `json:"allowedFunctionNames,omitempty"`
	} `json:"functionCallingConfig"`
}

// Translate turns a decoded OpenAI chat request into a generateContent body.
func Translate(r *oaichat.Request, drop bool) ([]byte, error) {
	if err := r.CheckParams("gemini", supported, drop); err != nil {
		return nil, err
	}
	var out request
	if err := out.contents(r); err != nil {
		return nil, err
	}
	gc := generationConfig{Temperature: r.Temperature, TopP: r.TopP, MaxOutputTokens: r.MaxTokens,
		StopSequences: r.Stop, CandidateCount: r.N, PresencePenalty: r.PresencePenalty,
		FrequencyPenalty: r.FrequencyPenalty, Seed: r.Seed}
	if gc.CandidateCount != nil && *gc.CandidateCount == 1 {
		gc.CandidateCount = nil
	}
	switch r.ResponseFormat {
	case "json_object":
		gc.ResponseMimeType = "application/json"
	case "json_schema":
		gc.ResponseMimeType, gc.ResponseJSONSchema = "application/json", r.Schema
	}
	for _, f := range r.Other {
		if f.Key == "top_k" {
			gc.TopK = f.Value
		} else if !reserved[f.Key] {
			out.extra = append(out.extra, f)
		}
	}
	if b, _ := json.Marshal(gc); string(b) != "{}" {
		out.GenerationConfig = &gc
	}
	if len(r.Tools) > 0 {
		var t tools
		for _, tl := range r.Tools {
			t.FunctionDeclarations = append(t.FunctionDeclarations, functionDeclaration{Name: tl.Function.Name,
				Description: tl.Function.Description, ParametersJSONSchema: tl.Function.Parameters})
		}
		out.Tools = []tools{t}
	}
	out.ToolConfig = choice(r.ToolChoice)
	b, err := json.Marshal(&out)
	if err != nil {
		return nil, err
	}
	return oaichat.AppendFields(b, out.extra), nil
}

func choice(tc oaichat.ToolChoice) *toolConfig {
	var c toolConfig
	switch tc.Mode {
	case "auto":
		c.FunctionCallingConfig.Mode = "AUTO"
	case "required":
		c.FunctionCallingConfig.Mode = "ANY"
	case "none":
		c.FunctionCallingConfig.Mode = "NONE"
	case "function":
		c.FunctionCallingConfig.Mode = "ANY"
		c.FunctionCallingConfig.AllowedFunctionNames = []string{tc.Name}
	default:
		return nil
	}
	return &c
}

// contents turns messages into contents: system messages into systemInstruction, assistant
// into role "model", tool results into user functionResponse parts; consecutive contents of
// one role are merged.
func (out *request) contents(r *oaichat.Request) error {
	for i, m := range r.Messages {
		var role string
		var parts []part
		switch m.Role {
		case "system", "developer":
			if out.SystemInstruction == nil {
				out.SystemInstruction = &content{}
			}
			out.SystemInstruction.Parts = append(out.SystemInstruction.Parts, part{Text: m.Content.Text()})
			continue
		case "user":
			role = "user"
			ps, err := userParts(m.Content, i)
			if err != nil {
				return err
			}
			parts = ps
		case "assistant":
			role = "model"
			if t := m.Content.Text(); t != "" {
				parts = append(parts, part{Text: t})
			}
			for _, tc := range m.ToolCalls {
				args, err := oaichat.Arguments(tc.Function.Arguments)
				if err != nil {
					return err
				}
				parts = append(parts, part{FunctionCall: &functionCall{Name: tc.Function.Name, Args: args}})
			}
		case "tool", "function":
			role = "user"
			name := m.Name
			if name == "" {
				name = r.ToolName(m.ToolCallID, i)
			}
			parts = []part{{FunctionResponse: &functionResponse{Name: name, Response: toolResponse(m.Content.Text())}}}
		default:
			return &provider.ParamError{Param: "messages", Reason: fmt.Sprintf("message %d has role %q, which gemini does not take", i, m.Role)}
		}
		if n := len(out.Contents); n > 0 && out.Contents[n-1].Role == role {
			out.Contents[n-1].Parts = append(out.Contents[n-1].Parts, parts...)
			continue
		}
		out.Contents = append(out.Contents, content{Role: role, Parts: parts})
	}
	return nil
}

// toolResponse is a tool result as functionResponse.response: a JSON object as is, any other
// text wrapped as {"content": text}.
func toolResponse(text string) json.RawMessage {
	var obj map[string]json.RawMessage
	if json.Unmarshal([]byte(text), &obj) == nil && obj != nil {
		return json.RawMessage(text)
	}
	b, _ := json.Marshal(map[string]string{"content": text})
	return b
}

// userParts turns a user message's content into text, inlineData and fileData parts.
func userParts(c oaichat.Content, i int) ([]part, error) {
	parts := make([]part, 0, len(c.Parts))
	for _, p := range c.Parts {
		switch p.Type {
		case "text":
			parts = append(parts, part{Text: p.Text})
		case "image_url":
			if p.ImageURL == nil {
				return nil, &provider.ParamError{Param: "messages", Reason: fmt.Sprintf("message %d: image_url part without a url", i)}
			}
			if mt, data, ok := oaichat.DataURL(p.ImageURL.URL); ok {
				parts = append(parts, part{InlineData: &blob{MimeType: mt, Data: data}})
				continue
			}
			parts = append(parts, part{FileData: &fileData{MimeType: mimeOf(p.ImageURL.URL), FileURI: p.ImageURL.URL}})
		default:
			return nil, &provider.ParamError{Param: "messages", Reason: fmt.Sprintf("message %d: content part type %q is not supported by gemini", i, p.Type)}
		}
	}
	return parts, nil
}

// mimeOf guesses an image URL's media type from its extension; "" when unknown.
func mimeOf(u string) string {
	pu, err := url.Parse(u)
	if err != nil {
		return ""
	}
	switch ext := path.Ext(pu.Path); ext {
	case ".png":
		return "image/png"
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".webp":
		return "image/webp"
	case ".gif":
		return "image/gif"
	default:
		return mime.TypeByExtension(ext)
	}
}

// TranslateEmbedding turns an OpenAI embeddings body into a batchEmbedContents body; it
// returns the model for the URL.
func TranslateEmbedding(body []byte) (string, []byte, error) {
	in, err := oaichat.DecodeEmbedding(body, "gemini")
	if err != nil {
		return "", nil, err
	}
	type req struct {
		Model                string  `json:"model"`
		Content              content `json:"content"`
		OutputDimensionality *int    `json:"outputDimensionality,omitempty"`
	}
	model := "models/" + strings.TrimPrefix(in.Model, "models/")
	out := struct {
		Requests []req `json:"requests"`
	}{Requests: make([]req, len(in.Texts))}
	for i, t := range in.Texts {
		out.Requests[i] = req{Model: model, Content: content{Parts: []part{{Text: t}}}, OutputDimensionality: in.Dimensions}
	}
	b, err := json.Marshal(out)
	return in.Model, b, err
}
