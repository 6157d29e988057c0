package openai

import (
	"encoding/json"
	"strings"
	"testing"
)

// referenceUsage is what ResponseUsage did before the scanner: a full encoding/json decode.
func referenceUsage(body []byte) (Usage, bool) {
	var v struct {
		Usage *Usage `json:"usage"`
	}
	if json.Unmarshal(body, &v) != nil || v.Usage == nil {
		return Usage{}, false
	}
	return *v.Usage, true
}

func TestResponseUsageMatchesEncodingJSON(t *testing.T) {
	for _, body := range []string{
		`{"id":"x","choices":[{"message":{"content":"hi"}}],"usage":{"prompt_tokens":3,"completion_tokens":5,"total_tokens":8}}`,
		`{"usage":{"prompt_tokens":3,"completion_tokens":5,"total_tokens":8,"prompt_tokens_details":{"cached_tokens":0}},"id":"x"}`,
		` { "usage" : { "total_tokens" : 12 } } `,
		`{"usage":null}`,
		`{"usage":{}}`,
		`{"usage":{"total_tokens":null}}`,
		`{"usage":{"total_tokens":"8"}}`,
		`{"usage":{"total_tokens":8.5}}`,
		`{"usage":{"total_tokens":-1}}`,
		`{"usage":[1,2]}`,
		`{"usage":{"total_tokens":1},"usage":{"total_tokens":2}}`,
		`{"choices":[{"message":{"content":"\"usage\":{\"total_tokens\":9}"}}]}`,
		`{"nested":{"usage":{"total_tokens":9}}}`,
		`{"usage":{"total_tokens":8}`,
		`{"usage":{"total_tokens":8}} trailing`,
		`["usage"]`,
		`"usage"`,
		``,
		`{"usage":{"total_tokens":8},}`,
	} {
		gotU, gotOK := ResponseUsage([]byte(body))
		wantU, wantOK := referenceUsage([]byte(body))
		if gotU != wantU || gotOK != wantOK {
			t.Errorf("ResponseUsage(%s) = %+v, %v; encoding/json says %+v, %v", body, gotU, gotOK, wantU, wantOK)
		}
	}
}

func BenchmarkResponseUsage(b *testing.B) {
	body := []byte(`{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-3.5-turbo","choices":[{"index":0,"message":{"role":"assistant","content":"` +
		strings.Repeat("hello there ", 40) + `"},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":12,"total_tokens":21}}`)
	b.Run("scan", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ResponseUsage(body)
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			referenceUsage(body)
		}
	})
}
