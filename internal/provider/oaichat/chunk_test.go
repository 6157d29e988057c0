package oaichat

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestTextMatchesEncodingJSON: the hand-encoded content chunk is byte for byte what
// encoding/json makes of the same Chunk.
func TestTextMatchesEncodingJSON(t *testing.T) {
	inputs := []string{"", "Hello", `quote " backslash \ slash /`, "<b>&amp;</b>", "tab\tnl\nCR\r\b\f\x00\x1f\x7f",
		"héllo wörld 日本語 🎉", "bad \xff utf8 \xc3", "line\u2028sep\u2029", "\xed\xa0\x80 surrogate"}
	ids := [][2]string{{"msg_1", "claude"}, {`id"<x>`, "m\u2028"}}
	c := &Chunker{Created: 1733400000}
	for _, id := range ids {
		c.ID, c.Model = id[0], id[1] // changed between chunks: the next chunk follows
		for _, s := range inputs {
			got := c.Text(s)
			want := Event(c.chunk(Delta{Content: &s}, nil))
			if !bytes.Equal(got.Raw, want.Raw) || !bytes.Equal(got.Data, want.Data) {
				t.Errorf("Text(%q):\n got  %q\n want %q", s, got.Raw, want.Raw)
			}
		}
	}
}

func FuzzText(f *testing.F) {
	f.Add("Hello", "id", "model")
	f.Fuzz(func(t *testing.T, s, id, model string) {
		c := &Chunker{ID: id, Model: model, Created: 7}
		got := c.Text(s)
		want := Event(c.chunk(Delta{Content: &s}, nil))
		if !bytes.Equal(got.Raw, want.Raw) {
			t.Fatalf("Text(%q):\n got  %q\n want %q", s, got.Raw, want.Raw)
		}
		if !json.Valid(got.Data) {
			t.Fatalf("not JSON: %q", got.Data)
		}
	})
}
