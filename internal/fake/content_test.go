package fake

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestContentPieces(t *testing.T) {
	tests := []struct {
		text          string
		words, chunks int
	}{
		{"", 0, 3}, {"", 1, 5}, {"", 5, 5}, {"", 7, 3}, {"", 100, 7},
		{"Prefix.", 0, 2}, {"Prefix.", 1, 4}, {"Prefix.", 9, 4}, {"a \"quoted\"\nline", 2, 2},
	}
	for _, tt := range tests {
		c := newContent(tt.text)
		var b strings.Builder
		emptySeen := false
		for i := range tt.chunks {
			var p string
			if err := json.Unmarshal(c.appendPiece(nil, tt.words, i, tt.chunks), &p); err != nil {
				t.Fatalf("%+v: chunk %d: %v", tt, i, err)
			}
			if p == "" {
				emptySeen = true
			} else if emptySeen {
				t.Errorf("%+v: chunk %d not empty after an empty one", tt, i)
			}
			b.WriteString(p)
		}
		var full string
		if err := json.Unmarshal(c.appendFull(nil, tt.words), &full); err != nil {
			t.Fatalf("%+v: full: %v", tt, err)
		}
		want := strings.TrimSpace(tt.text + " " + strings.Join(words(tt.words), " "))
		if got := b.String(); got != want || full != want {
			t.Errorf("%+v: pieces join to %q, full %q, want %q", tt, got, full, want)
		}
	}
}

func words(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "tok" + string(appendInt(nil, i))
	}
	return out
}
