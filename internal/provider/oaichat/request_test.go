package oaichat

import (
	"errors"
	"testing"

	"github.com/switchyard/switchyard/internal/provider"
)

func TestDecodeNamesTheBadField(t *testing.T) {
	tests := []struct{ body, param, reason string }{
		{`{"messages":[{"role":"user","content":"hi"},{"role":"user","content":5}]}`, "messages", `message 1: "content" must be a string, an array of content parts or null`},
		{`{"messages":[{"role":3,"content":"x"}]}`, "messages", `message 0: "role" has the wrong type: got a JSON number`},
		{`{"messages":{}}`, "messages", "must be an array of messages"},
		{`{"messages":[],"temperature":"hot"}`, "temperature", "has the wrong type: got a JSON string"},
		{`{"tools":[1]}`, "tools", "has the wrong type: got a JSON number"},
	}
	for _, tt := range tests {
		_, err := Decode([]byte(tt.body))
		var pe *provider.ParamError
		if !errors.As(err, &pe) || pe.Param != tt.param || pe.Reason != tt.reason || pe.Droppable {
			t.Errorf("Decode(%s): got %#v, want ParamError %q: %q", tt.body, err, tt.param, tt.reason)
		}
	}
}

func TestDecodeEmbedding(t *testing.T) {
	e, err := DecodeEmbedding([]byte(`{"model":"m","input":"one","dimensions":8}`), "p")
	if err != nil || e.Model != "m" || len(e.Texts) != 1 || e.Texts[0] != "one" || e.Dimensions == nil || *e.Dimensions != 8 {
		t.Fatalf("got %+v, %v", e, err)
	}
	if e, err := DecodeEmbedding([]byte(`{"model":"m","input":["a","b"]}`), "p"); err != nil || len(e.Texts) != 2 {
		t.Fatalf("array input: got %+v, %v", e, err)
	}
	for body, param := range map[string]string{
		`{"model":"m","input":[1,2,3]}`:              "input",
		`{"model":"m","input":[]}`:                   "input",
		`{"model":"m"}`:                              "input",
		`{"model":"m","input":"a","dimensions":"x"}`: "dimensions",
		`[1]`: "body",
	} {
		_, err := DecodeEmbedding([]byte(body), "p")
		var pe *provider.ParamError
		if !errors.As(err, &pe) || pe.Param != param {
			t.Errorf("DecodeEmbedding(%s): got %v, want a ParamError naming %q", body, err, param)
		}
	}
}
