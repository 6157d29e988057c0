package tokens

import (
	"strings"
	"testing"
)

func TestPrompt(t *testing.T) {
	var c Counter
	tests := []struct {
		body   string
		lo, hi int
	}{
		{`{"messages":[{"role":"user","content":"hello world"}]}`, 6, 8},
		{`{"messages":[{"role":"system","content":"be brief"},{"role":"user","content":[{"type":"text","text":"hello world"}]}]}`, 12, 16},
		{`{"prompt":"hello world"}`, 2, 2},
		{`{"input":["hello","world"]}`, 2, 2},
		{`{"messages":[{"role":"user","content":"` + strings.Repeat("word ", 1000) + `"}]}`, 1000, 1010},
		{`not json at all`, 4, 4},
	}
	for _, tt := range tests {
		if got := c.Prompt([]byte(tt.body)); got < tt.lo || got > tt.hi {
			t.Errorf("Prompt(%.60s): got %d, want %d..%d", tt.body, got, tt.lo, tt.hi)
		}
	}
}
