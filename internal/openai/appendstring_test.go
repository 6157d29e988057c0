package openai

import (
	"encoding/json"
	"testing"
)

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uote\back`, "nl\n\r\ttab\x00\x1f\b\f", "ünïcødé ✓ \u2028\u2029",
		"<a href='x'>&amp;</a>", "bad \xff utf8"} {
		want, _ := json.Marshal(s)
		if got := AppendString([]byte("x"), s); string(got) != "x"+string(want) {
			t.Errorf("AppendString(%q) = %s, want x%s", s, got, want)
		}
	}
}
