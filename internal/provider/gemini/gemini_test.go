package gemini_test

import (
	"context"
	"testing"

	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/provider/gemini"
	"github.com/switchyard/switchyard/internal/provider/oaichat"
	pt "github.com/switchyard/switchyard/internal/provider/providertest"
)

func TestMethodURL(t *testing.T) {
	for _, tt := range []struct{ base, model, want string }{
		{"https://generativelanguage.googleapis.com", "gemini-2.0-flash", "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:generateContent"},
		{"http://127.0.0.1:9/v1beta/", "models/gemini-x", "http://127.0.0.1:9/v1beta/models/gemini-x:generateContent"},
		{"http://127.0.0.1:9/v1", "g", "http://127.0.0.1:9/v1/models/g:generateContent"},
	} {
		if got := gemini.MethodURL(tt.base, tt.model, "generateContent"); got != tt.want {
			t.Errorf("MethodURL(%q, %q): got %q, want %q", tt.base, tt.model, got, tt.want)
		}
	}
}

func TestTranslate(t *testing.T) {
	for _, tt := range []struct{ name, in, want string }{
		{"named tool, json schema, n, top_k, safety settings pass through",
			`{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{"type":"function","function":{"name":"f"}},` +
				`"response_format":{"type":"json_schema","json_schema":{"name":"s","schema":{"type":"object"}}},"n":2,"top_k":3,"safetySettings":[]}`,
			`{"contents":[{"role":"user","parts":[{"text":"x"}]}],"generationConfig":{"topK":3,"candidateCount":2,"responseMimeType":"application/json","responseJsonSchema":{"type":"object"}},` +
				`"tools":[{"functionDeclarations":[{"name":"f"}]}],"toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["f"]}},"safetySettings":[]}`},
		{"non-JSON tool result is wrapped",
			`{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"a","content":"sunny"}]}`,
			`{"contents":[{"role":"model","parts":[{"functionCall":{"name":"f","args":{}}}]},{"role":"user","parts":[{"functionResponse":{"name":"f","response":{"content":"sunny"}}}]}]}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := oaichat.Decode([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			got, err := gemini.Translate(r, false)
			if err != nil {
				t.Fatal(err)
			}
			pt.JSONEqual(t, "body", got, tt.want)
		})
	}
}

func TestEmbeddings(t *testing.T) {
	p := newProvider(t, "http://127.0.0.1:9", false)
	req, err := p.NewRequest(context.Background(), provider.Embedding, []byte(`{"model":"text-embedding-004","input":"hi","dimensions":8}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := "http://127.0.0.1:9/v1beta/models/text-embedding-004:batchEmbedContents"; req.URL.String() != want {
		t.Errorf("URL: got %s, want %s", req.URL, want)
	}
	out, err := p.(provider.Translator).Response(provider.Embedding, []byte(`{"embeddings":[{"values":[0.5,0.25]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	pt.JSONEqual(t, "embeddings", out, `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.5,0.25]}],"model":"","usage":{"prompt_tokens":0,"total_tokens":0}}`)
}
