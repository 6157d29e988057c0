package fake_test

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/fake"
)

// chatCompletion is the part of an OpenAI chat.completion / text_completion the tests read.
type chatCompletion struct {
	ID                string `json:"id"`
	Object            string `json:"object"`
	Created           int64  `json:"created"`
	Model             string `json:"model"`
	SystemFingerprint string `json:"system_fingerprint"`
	Choices           []struct {
		Index   int `json:"index"`
		Message struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"message"`
		Text         string `json:"text"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage usage `json:"usage"`
}

func TestCompletionShapes(t *testing.T) {
	const chatBody = `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`
	const legacyBody = `{"model":"gpt-3.5-turbo-instruct","prompt":"hi"}`
	tests := []struct {
		name       string
		opts       fake.Options
		path, body string
		object     string
		model      string
		content    string
		finish     string
		completion int
	}{
		{"chat v1", fake.Options{Name: "east"}, "/v1/chat/completions", chatBody,
			"chat.completion", "gpt-4o", "tok0 tok1 tok2 tok3 tok4 tok5 tok6 tok7 tok8 tok9", "stop", 10},
		{"chat no v1", fake.Options{Name: "east", OutputTokens: 3}, "/chat/completions", chatBody,
			"chat.completion", "gpt-4o", "tok0 tok1 tok2", "stop", 3},
		{"chat text prefix", fake.Options{Name: "demo", Text: "Demo \"answer\".", OutputTokens: 2}, "/v1/chat/completions", chatBody,
			"chat.completion", "gpt-4o", "Demo \"answer\". tok0 tok1", "stop", 2},
		{"chat max_tokens caps", fake.Options{Name: "east"}, "/v1/chat/completions",
			`{"model":"gpt-4o","max_tokens":4,"messages":[]}`,
			"chat.completion", "gpt-4o", "tok0 tok1 tok2 tok3", "length", 4},
		{"chat max_completion_tokens caps", fake.Options{Name: "east"}, "/v1/chat/completions",
			`{"model":"gpt-4o","max_completion_tokens":1,"messages":[]}`,
			"chat.completion", "gpt-4o", "tok0", "length", 1},
		{"legacy v1", fake.Options{Name: "east", OutputTokens: 2}, "/v1/completions", legacyBody,
			"text_completion", "gpt-3.5-turbo-instruct", "tok0 tok1", "stop", 2},
		{"legacy no v1", fake.Options{Name: "east", OutputTokens: 2}, "/completions", legacyBody,
			"text_completion", "gpt-3.5-turbo-instruct", "tok0 tok1", "stop", 2},
		{"azure chat", fake.Options{Name: "eu", OutputTokens: 1}, "/openai/deployments/gpt4o-eu/chat/completions?api-version=2024-10-21", chatBody,
			"chat.completion", "gpt4o-eu", "tok0", "stop", 1},
		{"azure legacy", fake.Options{Name: "eu", OutputTokens: 1}, "/openai/deployments/instruct-eu/completions?api-version=2024-10-21", legacyBody,
			"text_completion", "instruct-eu", "tok0", "stop", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serve(t, fake.NewHandler(tt.opts))
			resp := post(t, context.Background(), srv.Client(), srv.URL+tt.path, tt.body)
			b := readAll(t, resp)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status: got %d want 200 (%s)", resp.StatusCode, b)
			}
			if got := resp.Header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type: got %q want application/json", got)
			}
			if got := resp.Header.Get("x-fake-name"); got != tt.opts.Name {
				t.Errorf("x-fake-name: got %q want %q", got, tt.opts.Name)
			}
			var c chatCompletion
			decodeJSON(t, b, &c)
			wantPrompt := (len(tt.body) + 3) / 4
			if c.Object != tt.object || c.Model != tt.model || c.SystemFingerprint != tt.opts.Name || c.ID == "" || c.Created == 0 {
				t.Errorf("head: got object %q model %q fingerprint %q id %q created %d, want %q %q %q non-empty non-zero",
					c.Object, c.Model, c.SystemFingerprint, c.ID, c.Created, tt.object, tt.model, tt.opts.Name)
			}
			if len(c.Choices) != 1 {
				t.Fatalf("choices: got %d want 1", len(c.Choices))
			}
			ch := c.Choices[0]
			content := ch.Text
			if tt.object == "chat.completion" {
				content = ch.Message.Content
				if ch.Message.Role != "assistant" {
					t.Errorf("role: got %q want assistant", ch.Message.Role)
				}
			}
			if content != tt.content || ch.FinishReason != tt.finish {
				t.Errorf("choice: got content %q finish %q, want %q %q", content, ch.FinishReason, tt.content, tt.finish)
			}
			want := usage{PromptTokens: wantPrompt, CompletionTokens: tt.completion, TotalTokens: wantPrompt + tt.completion}
			if c.Usage != want {
				t.Errorf("usage: got %+v want %+v", c.Usage, want)
			}
		})
	}
}

func TestEmbeddings(t *testing.T) {
	tests := []struct {
		name, path, body string
		model            string
		inputs           int
		base64           bool
	}{
		{"string", "/v1/embeddings", `{"model":"text-embedding-3-small","input":"hello"}`, "text-embedding-3-small", 1, false},
		{"array", "/embeddings", `{"model":"e","input":["a","b","c"]}`, "e", 3, false},
		{"token ids", "/v1/embeddings", `{"model":"e","input":[1,2,3]}`, "e", 1, false},
		{"token id arrays", "/v1/embeddings", `{"model":"e","input":[[1,2],[3]]}`, "e", 2, false},
		{"base64", "/v1/embeddings", `{"model":"e","input":["a","b"],"encoding_format":"base64"}`, "e", 2, true},
		{"azure", "/openai/deployments/emb-eu/embeddings?api-version=2024-10-21", `{"input":"x"}`, "emb-eu", 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serve(t, fake.NewHandler(fake.Options{}))
			resp := post(t, context.Background(), srv.Client(), srv.URL+tt.path, tt.body)
			b := readAll(t, resp)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status: got %d want 200 (%s)", resp.StatusCode, b)
			}
			var got struct {
				Object string `json:"object"`
				Model  string `json:"model"`
				Data   []struct {
					Object    string `json:"object"`
					Index     int    `json:"index"`
					Embedding any    `json:"embedding"`
				} `json:"data"`
				Usage struct {
					PromptTokens int `json:"prompt_tokens"`
					TotalTokens  int `json:"total_tokens"`
				} `json:"usage"`
			}
			decodeJSON(t, b, &got)
			if got.Object != "list" || got.Model != tt.model || len(got.Data) != tt.inputs {
				t.Fatalf("got object %q model %q %d vectors, want list %q %d", got.Object, got.Model, len(got.Data), tt.model, tt.inputs)
			}
			if p := (len(tt.body) + 3) / 4; got.Usage.PromptTokens != p || got.Usage.TotalTokens != p {
				t.Errorf("usage: got %+v want prompt=total=%d", got.Usage, p)
			}
			for i, d := range got.Data {
				if d.Object != "embedding" || d.Index != i {
					t.Errorf("data[%d]: got object %q index %d", i, d.Object, d.Index)
				}
				var vec []float64
				if tt.base64 {
					raw, err := base64.StdEncoding.DecodeString(d.Embedding.(string))
					if err != nil {
						t.Fatalf("data[%d]: %v", i, err)
					}
					for j := 0; j+4 <= len(raw); j += 4 {
						vec = append(vec, float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[j:]))))
					}
				} else {
					for _, v := range d.Embedding.([]any) {
						vec = append(vec, v.(float64))
					}
				}
				if len(vec) != fake.EmbeddingDims {
					t.Errorf("data[%d]: got %d dims want %d", i, len(vec), fake.EmbeddingDims)
				}
			}
		})
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name, method, path, body string
		status                   int
		want                     string // compact JSON body, exactly
	}{
		{"bad json", "POST", "/v1/chat/completions", `{"model":`, 400, ""},
		{"not an object", "POST", "/v1/chat/completions", `[1]`, 400, ""},
		{"unknown path", "POST", "/v1/nope", `{}`, 404,
			`{"error":{"message":"Unknown request URL: POST /v1/nope","type":"invalid_request_error","param":null,"code":"unknown_url"}}`},
		{"wrong method", "GET", "/v1/chat/completions", ``, 405,
			`{"error":{"message":"Method GET not allowed; use POST","type":"invalid_request_error","param":null,"code":"method_not_allowed"}}`},
		{"azure without api-version", "POST", "/openai/deployments/d/chat/completions", `{}`, 400,
			`{"error":{"code":"MissingApiVersionParameter","message":"The api-version query parameter (?api-version=) is required for all requests."}}`},
		{"azure empty api-version", "POST", "/openai/deployments/d/embeddings?api-version=", `{"input":"x"}`, 400,
			`{"error":{"code":"MissingApiVersionParameter","message":"The api-version query parameter (?api-version=) is required for all requests."}}`},
		{"azure unknown op", "POST", "/openai/deployments/d/images?api-version=1", `{}`, 404,
			`{"error":{"message":"Unknown request URL: POST /openai/deployments/d/images","type":"invalid_request_error","param":null,"code":"unknown_url"}}`},
		{"embeddings without input", "POST", "/v1/embeddings", `{"model":"e"}`, 400,
			`{"error":{"message":"'input' is a required property and must be a string or an array","type":"invalid_request_error","param":null,"code":null}}`},
		{"anthropic without max_tokens", "POST", "/v1/messages", `{"model":"claude","messages":[]}`, 400,
			`{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: Field required (an integer ≥ 1)"}}`},
		{"anthropic bad json", "POST", "/v1/messages", `{`, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serve(t, fake.NewHandler(fake.Options{}))
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b := readAll(t, resp)
			if resp.StatusCode != tt.status {
				t.Fatalf("status: got %d want %d (%s)", resp.StatusCode, tt.status, b)
			}
			if tt.want != "" {
				if got := compact(t, b); got != tt.want {
					t.Errorf("body:\ngot  %s\nwant %s", got, tt.want)
				}
				return
			}
			if strings.HasPrefix(tt.path, "/v1/messages") {
				var e struct {
					Type  string `json:"type"`
					Error struct{ Type, Message string }
				}
				decodeJSON(t, b, &e)
				if e.Type != "error" || e.Error.Type != "invalid_request_error" || e.Error.Message == "" {
					t.Errorf("got %s, want an Anthropic invalid_request_error", b)
				}
				return
			}
			var e openAIError
			decodeJSON(t, b, &e)
			if string(e.Error["type"]) != `"invalid_request_error"` || string(e.Error["param"]) != "null" || len(e.Error["message"]) < 3 {
				t.Errorf("got %s, want an OpenAI invalid_request_error", b)
			}
		})
	}
}

func TestFailRate(t *testing.T) {
	const openAIFailure = `{"error":{"message":"fake failure","type":"server_error","param":null,"code":null}}`
	tests := []struct {
		name       string
		opts       fake.Options
		rand       []float64
		path, body string
		want       []int // status of each successive request
		retryAfter string
		failBody   string
	}{
		{"half, default status", fake.Options{FailRate: 0.5}, []float64{0.1, 0.9, 0.49, 0.5},
			"/v1/chat/completions", `{"model":"m"}`, []int{500, 200, 500, 200}, "", openAIFailure},
		{"429 has Retry-After", fake.Options{FailRate: 0.3, FailStatus: 429}, []float64{0.2, 0.3},
			"/v1/chat/completions", `{"model":"m","stream":true}`, []int{429, 200}, "1", openAIFailure},
		{"always", fake.Options{FailRate: 1, FailStatus: 503}, []float64{0.99},
			"/openai/deployments/d/embeddings?api-version=1", `{"input":"x"}`, []int{503, 503}, "", openAIFailure},
		{"never", fake.Options{}, []float64{0},
			"/v1/completions", `{"model":"m"}`, []int{200, 200}, "", ""},
		{"anthropic overloaded", fake.Options{FailRate: 0.5, FailStatus: 529}, []float64{0.4, 0.6},
			"/v1/messages", `{"model":"c","max_tokens":5}`, []int{529, 200}, "",
			`{"type":"error","error":{"type":"overloaded_error","message":"fake failure"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := fake.NewHandler(tt.opts)
			h.Rand = sequence(tt.rand...)
			srv := serve(t, h)
			for i, want := range tt.want {
				resp := post(t, context.Background(), srv.Client(), srv.URL+tt.path, tt.body)
				b := readAll(t, resp)
				if resp.StatusCode != want {
					t.Fatalf("request %d: got status %d want %d (%s)", i, resp.StatusCode, want, b)
				}
				if want < 400 {
					continue
				}
				if got := compact(t, b); got != tt.failBody {
					t.Errorf("request %d body:\ngot  %s\nwant %s", i, got, tt.failBody)
				}
				if got := resp.Header.Get("Retry-After"); got != tt.retryAfter {
					t.Errorf("request %d Retry-After: got %q want %q", i, got, tt.retryAfter)
				}
			}
			if got := h.Count(); got != len(tt.want) {
				t.Errorf("Count: got %d want %d", got, len(tt.want))
			}
		})
	}
}

func TestAnthropicMessage(t *testing.T) {
	tests := []struct {
		name   string
		opts   fake.Options
		body   string
		text   string
		reason string
		output int
	}{
		{"default", fake.Options{}, `{"model":"claude-sonnet-4","max_tokens":1024,"messages":[{"role":"user","content":"hi"}]}`,
			"tok0 tok1 tok2 tok3 tok4 tok5 tok6 tok7 tok8 tok9", "end_turn", 10},
		{"capped", fake.Options{OutputTokens: 50, Text: "Hi."}, `{"model":"claude-sonnet-4","max_tokens":2,"messages":[]}`,
			"Hi. tok0 tok1", "max_tokens", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serve(t, fake.NewHandler(tt.opts))
			resp := post(t, context.Background(), srv.Client(), srv.URL+"/v1/messages", tt.body)
			b := readAll(t, resp)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status: got %d want 200 (%s)", resp.StatusCode, b)
			}
			var m struct {
				ID, Type, Role, Model string
				Content               []struct{ Type, Text string }
				StopReason            string `json:"stop_reason"`
				Usage                 struct {
					InputTokens  int `json:"input_tokens"`
					OutputTokens int `json:"output_tokens"`
				}
			}
			decodeJSON(t, b, &m)
			if !strings.HasPrefix(m.ID, "msg_") || m.Type != "message" || m.Role != "assistant" || m.Model != "claude-sonnet-4" {
				t.Errorf("head: got id %q type %q role %q model %q", m.ID, m.Type, m.Role, m.Model)
			}
			if len(m.Content) != 1 || m.Content[0].Type != "text" || m.Content[0].Text != tt.text {
				t.Errorf("content: got %+v want one text block %q", m.Content, tt.text)
			}
			if m.StopReason != tt.reason || m.Usage.OutputTokens != tt.output || m.Usage.InputTokens != (len(tt.body)+3)/4 {
				t.Errorf("got stop_reason %q usage %+v, want %q output %d input %d",
					m.StopReason, m.Usage, tt.reason, tt.output, (len(tt.body)+3)/4)
			}
		})
	}
}
