package bedrock_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/switchyard/switchyard/internal/provider"
	pt "github.com/switchyard/switchyard/internal/provider/providertest"
)

// TestEmbeddings sends OpenAI embedding requests for Titan and Cohere models to a fake
// Bedrock runtime that checks the signed InvokeModel request, and reads the answers back.
func TestEmbeddings(t *testing.T) {
	tests := []struct {
		name, body, path, wantBody, reply string
		vectors                           int
		tokens                            int
	}{
		{"titan v2", `{"model":"amazon.titan-embed-text-v2:0","input":"hello","dimensions":256}`,
			"/model/amazon.titan-embed-text-v2%3A0/invoke", `{"inputText":"hello","dimensions":256}`,
			`{"embedding":[0.1,0.2],"inputTextTokenCount":3}`, 1, 3},
		{"titan v1 array of one", `{"model":"amazon.titan-embed-text-v1","input":["hello"]}`,
			"/model/amazon.titan-embed-text-v1/invoke", `{"inputText":"hello"}`,
			`{"embedding":[0.1,0.2],"inputTextTokenCount":3}`, 1, 3},
		{"cohere v3", `{"model":"cohere.embed-english-v3","input":["a","b"]}`,
			"/model/cohere.embed-english-v3/invoke", `{"texts":["a","b"],"input_type":"search_document"}`,
			`{"id":"x","embeddings":[[0.1],[0.2]],"texts":["a","b"],"response_type":"embeddings_floats"}`, 2, 0},
		{"cohere v4", `{"model":"cohere.embed-v4:0","input":"a"}`,
			"/model/cohere.embed-v4%3A0/invoke", `{"texts":["a"],"input_type":"search_document"}`,
			`{"id":"x","embeddings":{"float":[[0.1,0.3]]},"response_type":"embeddings_by_type"}`, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				if r.URL.EscapedPath() != tt.path {
					t.Errorf("path: got %s, want %s", r.URL.EscapedPath(), tt.path)
				}
				pt.JSONEqual(t, "request body", body, tt.wantBody)
				checkSigned(t, r, body)
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, tt.reply)
			}))
			defer srv.Close()
			p := newProvider(t, srv.URL, false)
			req, err := p.NewRequest(context.Background(), provider.Embedding, []byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := p.Transport().RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			out, err := p.(provider.Translator).Response(provider.Embedding, b)
			if err != nil {
				t.Fatal(err)
			}
			var list struct {
				Object string `json:"object"`
				Data   []struct {
					Object    string    `json:"object"`
					Index     int       `json:"index"`
					Embedding []float64 `json:"embedding"`
				} `json:"data"`
				Usage struct {
					PromptTokens int `json:"prompt_tokens"`
				} `json:"usage"`
			}
			if err := json.Unmarshal(out, &list); err != nil {
				t.Fatal(err)
			}
			if list.Object != "list" || len(list.Data) != tt.vectors || list.Data[len(list.Data)-1].Index != tt.vectors-1 ||
				len(list.Data[0].Embedding) == 0 || list.Usage.PromptTokens != tt.tokens {
				t.Errorf("got %s, want an OpenAI list of %d embeddings, prompt_tokens %d", out, tt.vectors, tt.tokens)
			}
		})
	}
}

func TestEmbeddingRefusals(t *testing.T) {
	p := newProvider(t, "http://127.0.0.1:1", false)
	for body, param := range map[string]string{
		`{"model":"amazon.titan-embed-text-v2:0","input":["a","b"]}`:     "input",
		`{"model":"amazon.titan-embed-text-v2:0","input":[[1,2]]}`:       "input",
		`{"model":"cohere.embed-english-v3","input":"a","dimensions":8}`: "dimensions",
		`{"model":"anthropic.claude-3-haiku-20240307-v1:0","input":"a"}`: "model",
	} {
		_, err := p.NewRequest(context.Background(), provider.Embedding, []byte(body))
		var pe *provider.ParamError
		if !errors.As(err, &pe) || pe.Param != param {
			t.Errorf("%s: got %v, want a ParamError naming %s", body, err, param)
		}
	}
	if _, err := p.(provider.Translator).Response(provider.Embedding, []byte(`{"foo":1}`)); err == nil {
		t.Error("an answer without embeddings: got no error")
	}
}
