package ollama_test

import (
	"context"
	"errors"
	"testing"

	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/provider/ollama"
	pt "github.com/switchyard/switchyard/internal/provider/providertest"
)

func TestTranslate(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		drop     bool
		want     string
		param    string
	}{
		{"image URL refused", string(pt.RequestBody(pt.CaseImageURL, "m")), false, "", "image_url"},
		{"image URL dropped", string(pt.RequestBody(pt.CaseImageURL, "m")), true,
			`{"model":"m","stream":false,"messages":[{"role":"user","content":"What is this?"}]}`, ""},
		{"tool_choice required refused", `{"model":"m","messages":[],"tool_choice":"required"}`, false, "", "tool_choice"},
		{"options, format and pass-through", `{"model":"m","messages":[{"role":"developer","content":"x"}],"seed":7,"num_ctx":8192,"keep_alive":"5m","response_format":{"type":"json_object"}}`, false,
			`{"model":"m","stream":false,"messages":[{"role":"system","content":"x"}],"format":"json","options":{"seed":7,"num_ctx":8192},"keep_alive":"5m"}`, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ollama.Translate([]byte(tt.in), tt.drop)
			var pe *provider.ParamError
			if tt.param != "" {
				if !errors.As(err, &pe) || pe.Param != tt.param {
					t.Fatalf("got error %v, want a ParamError naming %s", err, tt.param)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			pt.JSONEqual(t, "body", got, tt.want)
		})
	}
}

func TestEmbeddings(t *testing.T) {
	p := newProvider(t, "http://127.0.0.1:9/", false)
	req, err := p.NewRequest(context.Background(), provider.Embedding, []byte(`{"model":"nomic","input":["a","b"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if req.URL.String() != "http://127.0.0.1:9/api/embed" {
		t.Errorf("URL: got %s, want http://127.0.0.1:9/api/embed", req.URL)
	}
	out, err := p.(provider.Translator).Response(provider.Embedding, []byte(`{"model":"nomic","embeddings":[[0.1,0.2],[0.3,0.4]],"prompt_eval_count":4}`))
	if err != nil {
		t.Fatal(err)
	}
	pt.JSONEqual(t, "embeddings", out, `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,0.2]},{"object":"embedding","index":1,"embedding":[0.3,0.4]}],"model":"nomic","usage":{"prompt_tokens":4,"total_tokens":4}}`)
}
