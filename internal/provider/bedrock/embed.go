package bedrock

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/provider/oaichat"
)

// TranslateEmbedding turns an OpenAI embeddings body into the InvokeModel body of the model's
// family and returns the model id:
//
//   - amazon.titan-embed-*: {"inputText":…} (one text per call; "dimensions" passed on, which
//     Titan v2 takes);
//   - cohere.embed-*: {"texts":[…],"input_type":"search_document"}, LiteLLM's default input type.
//
// Anything else is a *provider.ParamError.
func TranslateEmbedding(body []byte, drop bool) (string, []byte, error) {
	in, err := oaichat.DecodeEmbedding(body, "bedrock")
	if err != nil {
		return "", nil, err
	}
	switch {
	case strings.Contains(in.Model, "amazon.titan-embed"):
		if len(in.Texts) != 1 {
			return "", nil, &provider.ParamError{Param: "input", Reason: fmt.Sprintf("bedrock titan embeds one text per request, got %d", len(in.Texts))}
		}
		b, err := json.Marshal(struct {
			InputText  string `json:"inputText"`
			Dimensions *int   `json:"dimensions,omitempty"`
		}{in.Texts[0], in.Dimensions})
		return in.Model, b, err
	case strings.Contains(in.Model, "cohere.embed"):
		if in.Dimensions != nil && !drop {
			return "", nil, &provider.ParamError{Param: "dimensions", Reason: "bedrock cohere embeddings do not support it", Droppable: true}
		}
		b, err := json.Marshal(struct {
			Texts     []string `json:"texts"`
			InputType string   `json:"input_type"`
		}{in.Texts, "search_document"})
		return in.Model, b, err
	}
	return "", nil, &provider.ParamError{Param: "model", Reason: fmt.Sprintf("bedrock embeddings need an amazon.titan-embed-* or cohere.embed-* model, not %q", in.Model)}
}

// embeddingResponse turns an InvokeModel answer of an embedding model into OpenAI's list:
// Titan's {"embedding":[…],"inputTextTokenCount":n} or Cohere's {"embeddings":[[…],…]} (v3)
// or {"embeddings":{"float":[[…],…]}} (v4).
func embeddingResponse(body []byte) ([]byte, error) {
	var r struct {
		Embedding  json.RawMessage `json:"embedding"`
		Tokens     int             `json:"inputTextTokenCount"`
		Embeddings json.RawMessage `json:"embeddings"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("bedrock embedding answer is not JSON: %w", err)
	}
	if len(r.Embedding) > 0 {
		return oaichat.EmbeddingList("", []json.RawMessage{r.Embedding}, r.Tokens)
	}
	var vs []json.RawMessage
	if err := json.Unmarshal(r.Embeddings, &vs); err != nil {
		var typed struct {
			Float []json.RawMessage `json:"float"`
		}
		if json.Unmarshal(r.Embeddings, &typed) != nil || typed.Float == nil {
			return nil, fmt.Errorf("bedrock embedding answer has no embedding")
		}
		vs = typed.Float
	}
	if vs == nil {
		return nil, fmt.Errorf("bedrock embedding answer has no embedding")
	}
	return oaichat.EmbeddingList("", vs, 0)
}
