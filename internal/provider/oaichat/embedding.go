package oaichat

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/switchyard/switchyard/internal/provider"
)

// Embedding is a decoded OpenAI embeddings request whose input is text.
type Embedding struct {
	Model string
	// Texts is input: one string, or each string of an array, in order.
	Texts []string
	// Dimensions is dimensions; nil when unset.
	Dimensions *int
	// EncodingFormat is encoding_format ("float", "base64"); "" when unset.
	EncodingFormat string
}

// DecodeEmbedding reads an OpenAI embeddings body for a provider (named by providerName) that
// embeds text only. Token arrays, an empty input and members of the wrong type are a
// *provider.ParamError naming the member.
func DecodeEmbedding(body []byte, providerName string) (*Embedding, error) {
	var in struct {
		Model          string          `json:"model"`
		Input          json.RawMessage `json:"input"`
		Dimensions     *int            `json:"dimensions"`
		EncodingFormat string          `json:"encoding_format"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, fieldError(err)
	}
	e := &Embedding{Model: in.Model, Dimensions: in.Dimensions, EncodingFormat: in.EncodingFormat}
	if len(in.Input) > 0 && in.Input[0] == '"' {
		var s string
		if err := json.Unmarshal(in.Input, &s); err != nil {
			return nil, fieldError(err)
		}
		e.Texts = []string{s}
	} else if err := json.Unmarshal(in.Input, &e.Texts); err != nil {
		return nil, &provider.ParamError{Param: "input", Reason: providerName + " embeds text only (a string or an array of strings)"}
	}
	if len(e.Texts) == 0 {
		return nil, &provider.ParamError{Param: "input", Reason: "is empty"}
	}
	return e, nil
}

// fieldError turns a decoding error of a request body into a *provider.ParamError naming the
// top-level member at fault ("body" when it cannot tell).
func fieldError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		param, _, _ := strings.Cut(te.Field, ".")
		return &provider.ParamError{Param: param, Reason: "has the wrong type: got a JSON " + te.Value}
	}
	return &provider.ParamError{Param: "body", Reason: "is not a JSON object"}
}
