package fake

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"github.com/switchyard/switchyard/internal/openai"
	"math"
	"net/http"
	"strconv"
)

// EmbeddingDims is the length of every embedding vector the fake returns.
const EmbeddingDims = 8

// embeddingsRequest holds the request fields the fake reads from an embeddings body.
type embeddingsRequest struct {
	Model          string          `json:"model"`
	Input          json.RawMessage `json:"input"`
	EncodingFormat string          `json:"encoding_format"`
}

// serveEmbeddings answers an OpenAI or Azure embeddings request: one vector per input, where
// input is a string, an array of strings, an array of token ids (one input) or an array of
// token-id arrays.
func (h *Handler) serveEmbeddings(w http.ResponseWriter, r *http.Request, rt route, body []byte) {
	var req embeddingsRequest
	if !decode(w, rt.family, body, &req) {
		return
	}
	n, ok := countInputs(req.Input)
	if !ok {
		writeOpenAIError(w, http.StatusBadRequest, "'input' is a required property and must be a string or an array",
			"invalid_request_error", "")
		return
	}
	model := req.Model
	if rt.family == azureFamily {
		model = rt.deployment
	}
	if _, ok := h.prelude(w, r, rt.family, false); !ok {
		return
	}
	b64 := req.EncodingFormat == "base64"
	b := make([]byte, 0, 128+len(model)+n*(64+EmbeddingDims*12))
	b = append(b, `{"object":"list","data":[`...)
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"object":"embedding","index":`...)
		b = appendInt(b, i)
		b = append(b, `,"embedding":`...)
		b = appendVector(b, i, b64)
		b = append(b, '}')
	}
	p := promptTokens(body)
	b = append(b, `],"model":`...)
	b = openai.AppendString(b, model)
	b = append(b, `,"usage":{"prompt_tokens":`...)
	b = appendInt(b, p)
	b = append(b, `,"total_tokens":`...)
	b = appendInt(b, p)
	b = append(b, "}}"...)
	writeJSON(w, http.StatusOK, b)
}

// countInputs reports how many inputs raw holds; ok is false when it is missing or of the
// wrong type.
func countInputs(raw json.RawMessage) (n int, ok bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return 0, false
	}
	switch raw[0] {
	case '"':
		return 1, true
	case '[':
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil || len(items) == 0 {
			return 0, false
		}
		if c := bytes.TrimSpace(items[0]); len(c) > 0 && (c[0] == '-' || c[0] >= '0' && c[0] <= '9') {
			return 1, true // one input given as token ids
		}
		return len(items), true
	}
	return 0, false
}

// embeddingValue is component j of the vector for input i: deterministic, distinct per input.
func embeddingValue(i, j int) float32 {
	return float32(j+1)/10 + float32(i%1000)/1000
}

// appendVector appends input i's vector as a JSON array of numbers, or as a base64 string of
// little-endian float32s (OpenAI's encoding_format "base64").
func appendVector(b []byte, i int, b64 bool) []byte {
	if b64 {
		var raw [EmbeddingDims * 4]byte
		for j := range EmbeddingDims {
			binary.LittleEndian.PutUint32(raw[j*4:], math.Float32bits(embeddingValue(i, j)))
		}
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, raw[:])
		return append(b, '"')
	}
	b = append(b, '[')
	for j := range EmbeddingDims {
		if j > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendFloat(b, float64(embeddingValue(i, j)), 'g', -1, 32)
	}
	return append(b, ']')
}
