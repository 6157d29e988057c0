package openai

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// referenceChunk is how chunks were read before the scanner: encoding/json into the members
// the gateway looks at. ClassifyChunk and ChunkUsage must agree with it.
type referenceChunk struct {
	Choices []struct {
		Delta struct {
			Content      *string         `json:"content"`
			ToolCalls    json.RawMessage `json:"tool_calls"`
			FunctionCall json.RawMessage `json:"function_call"`
			Refusal      *string         `json:"refusal"`
		} `json:"delta"`
		Text         *string `json:"text"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *Usage          `json:"usage"`
	Error json.RawMessage `json:"error"`
}

func referenceClassify(data []byte) (ChunkKind, *Usage) {
	var c referenceChunk
	if err := json.Unmarshal(data, &c); err != nil {
		return ChunkInvalid, nil
	}
	if len(c.Error) > 0 && string(c.Error) != "null" {
		return ChunkError, nil
	}
	for _, ch := range c.Choices {
		d := ch.Delta
		if (d.Content != nil && *d.Content != "") || (ch.Text != nil && *ch.Text != "") ||
			len(d.ToolCalls) > 0 && string(d.ToolCalls) != "null" ||
			len(d.FunctionCall) > 0 && string(d.FunctionCall) != "null" ||
			(d.Refusal != nil && *d.Refusal != "") || ch.FinishReason != nil {
			return ChunkCommit, c.Usage
		}
	}
	return ChunkHold, c.Usage
}

// referenceUsageOnly is the old test for the chunk include_usage adds: usage and no choices.
func referenceUsageOnly(data []byte) bool {
	var c struct {
		Choices []json.RawMessage `json:"choices"`
		Usage   *Usage            `json:"usage"`
	}
	return json.Unmarshal(data, &c) == nil && c.Usage != nil && len(c.Choices) == 0
}

// checkChunk compares ClassifyChunk and ChunkUsage with the encoding/json reference.
func checkChunk(t *testing.T, data string) {
	t.Helper()
	kind, u, hasUsage := ClassifyChunk([]byte(data))
	wantKind, wantU := referenceClassify([]byte(data))
	if kind != wantKind || hasUsage != (wantU != nil) || (wantU != nil && u != *wantU) {
		t.Errorf("ClassifyChunk(%s) = %d, %+v, %v; encoding/json says %d, %+v", data, kind, u, hasUsage, wantKind, wantU)
	}
	u, usageOnly, ok := ChunkUsage([]byte(data))
	wantUsage, wantOK := referenceUsage([]byte(data))
	if ok != wantOK || u != wantUsage || usageOnly != referenceUsageOnly([]byte(data)) {
		t.Errorf("ChunkUsage(%s) = %+v, %v, %v; encoding/json says %+v, %v, %v",
			data, u, usageOnly, ok, wantUsage, referenceUsageOnly([]byte(data)), wantOK)
	}
}

func TestClassifyChunk(t *testing.T) {
	tests := []struct {
		data string
		want ChunkKind
	}{
		{`{"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}`, ChunkHold},
		{`{"choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}`, ChunkHold},
		{`{"choices":[],"prompt_filter_results":[{"prompt_index":0}]}`, ChunkHold},
		{`{"choices":null}`, ChunkHold},
		{`{"choices":[null]}`, ChunkHold},
		{`{"choices":[{"delta":null}]}`, ChunkHold},
		{`{"choices":[{"delta":{"tool_calls":null,"function_call":null}}]}`, ChunkHold},
		{`{}`, ChunkHold},
		{`{"choices":[{"index":0,"delta":{"content":"Hi"}}]}`, ChunkCommit},
		{`{"choices":[{"index":0,"delta":{"content":"\u0000"}}]}`, ChunkCommit},
		{`{"choices":[{"index":0,"delta":{"refusal":"no"}}]}`, ChunkCommit},
		{`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0}]}}]}`, ChunkCommit},
		{`{"choices":[{"index":0,"delta":{"function_call":{"name":"f"}}}]}`, ChunkCommit},
		{`{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`, ChunkCommit},
		{`{"choices":[{"index":0,"text":"x"}]}`, ChunkCommit},
		{`{"choices":[{"index":0,"delta":{}},{"index":1,"delta":{"content":"x"}}]}`, ChunkCommit},
		{` { "choices" : [ { "delta" : { "content" : "Hi" } } ] , "usage" : { "total_tokens" : 3 } } `, ChunkCommit},
		{`{"error":{"message":"overloaded"}}`, ChunkError},
		{`{"error":"overloaded","choices":[{"delta":{"content":"x"}}]}`, ChunkError},
		{`{"error":null,"choices":[{"delta":{"content":"x"}}]}`, ChunkCommit},
		{`not json`, ChunkInvalid},
		{``, ChunkInvalid},
		{`[]`, ChunkInvalid},
		{`{"choices":[{"delta":{"content":"x"}}]`, ChunkInvalid},
		{`{"choices":[{"delta":{"content":"x"}}]} {}`, ChunkInvalid},
		{`{"choices":{}}`, ChunkInvalid},
		{`{"choices":[1]}`, ChunkInvalid},
		{`{"choices":[{"delta":[]}]}`, ChunkInvalid},
		{`{"choices":[{"delta":{"content":5}}]}`, ChunkInvalid},
		{`{"choices":[{"text":true}]}`, ChunkInvalid},
		{`{"choices":[{"finish_reason":1}]}`, ChunkInvalid},
		{`{"choices":[{"delta":{"content":"x"}},{"delta":{"content":1}}]}`, ChunkInvalid},
		{`{"choices":[{"delta":{"content":"x"}}],"usage":{"total_tokens":"8"}}`, ChunkInvalid},
		{`{"choices":[{"delta":{"content":"x"}}],"usage":[1]}`, ChunkInvalid},
		{`{"choices":[{"delta":{"content":"x"}}],"usage":{"total_tokens":1.5}}`, ChunkInvalid},
		{`{"choices":[{"delta":{"content":"x"}}],"usage":{}}`, ChunkCommit},
	}
	for _, tt := range tests {
		if got, _, _ := ClassifyChunk([]byte(tt.data)); got != tt.want {
			t.Errorf("ClassifyChunk(%s): got %d, want %d", tt.data, got, tt.want)
		}
		checkChunk(t, tt.data)
	}
}

func TestChunkUsage(t *testing.T) {
	last := `{"id":"c","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":5,"total_tokens":8}}`
	u, usageOnly, ok := ChunkUsage([]byte(last))
	if !ok || !usageOnly || u != (Usage{PromptTokens: 3, CompletionTokens: 5, TotalTokens: 8}) {
		t.Errorf("ChunkUsage(last chunk) = %+v, %v, %v; want 3/5/8, usage-only", u, usageOnly, ok)
	}
	for _, data := range []string{
		last,
		`{"choices":[{"delta":{"content":"x"}}]}`,
		`{"choices":[{"delta":{"content":"x"}}],"usage":null}`,
		`{"choices":[{"delta":{"content":"x"}}],"usage" :  null }`,
		`{"choices":[{"delta":{"content":"x"}}],"usage":{"total_tokens":4}}`,
		`{"usage":{"total_tokens":4}}`,
		`{"choices":null,"usage":{"total_tokens":4}}`,
		`{"choices":[ ],"usage":{"total_tokens":4}}`,
		`{"choices":"x","usage":{"total_tokens":4}}`,
		// "usage" as a string value, inside a string, as a nested key and as an odd key:
		// none of them hide the real one.
		`{"choices":[{"delta":{"content":"usage"}}],"usage":{"total_tokens":4}}`,
		`{"choices":[{"delta":{"content":"\"usage\":null"}}],"usage":{"total_tokens":4}}`,
		`{"choices":[{"delta":{"content":"\"usage\":{\"total_tokens\":9}"}}],"usage":null}`,
		`{"choices":[{"delta":{"usage":null}}],"usage":{"total_tokens":4}}`,
		`{"choices":[{"delta":{"usage":{"total_tokens":9}}}],"usage":null}`,
		`{"a\"usage":null,"usage":{"total_tokens":4}}`,
		`{"usage":null,"usage":{"total_tokens":4}}`,
		`{"usage":{"total_tokens":4},"usage":null}`,
		`{"usage":nul}`,
		`{"usage":null`,
	} {
		checkChunk(t, data)
	}
}

// TestChunksMatchEncodingJSON compares the scanner with encoding/json on chunks put together
// at random from the members the gateway reads and values of every JSON type.
func TestChunksMatchEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	values := []string{`null`, `""`, `"x"`, `"\"usage\":null"`, `0`, `-1`, `2.5`, `true`, `[]`, `[1,"a"]`, `{}`, `{"k":"v"}`}
	pick := func(extra ...string) string {
		all := append(values[:len(values):len(values)], extra...)
		return all[r.IntN(len(all))]
	}
	// object joins a random subset of members, in random order, with random spacing.
	object := func(members map[string]func() string) string {
		var parts []string
		for k, v := range members {
			if r.IntN(3) > 0 {
				parts = append(parts, fmt.Sprintf(`%q:%s%s`, k, strings.Repeat(" ", r.IntN(2)), v()))
			}
		}
		r.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
		return "{" + strings.Join(parts, ",") + "}"
	}
	delta := func() string {
		return pick(object(map[string]func() string{
			"content":       func() string { return pick() },
			"refusal":       func() string { return pick() },
			"role":          func() string { return `"assistant"` },
			"tool_calls":    func() string { return pick(`[{"index":0,"function":{"arguments":"{}"}}]`) },
			"function_call": func() string { return pick() },
		}))
	}
	choice := func() string {
		return pick(object(map[string]func() string{
			"index":         func() string { return `0` },
			"delta":         delta,
			"text":          func() string { return pick() },
			"finish_reason": func() string { return pick(`"stop"`) },
			"logprobs":      func() string { return pick() },
		}))
	}
	usage := func() string {
		return pick(object(map[string]func() string{
			"prompt_tokens":     func() string { return pick(`7`) },
			"completion_tokens": func() string { return pick(`11`) },
			"total_tokens":      func() string { return pick(`18`) },
		}))
	}
	for range 5000 {
		data := object(map[string]func() string{
			"id":      func() string { return `"chatcmpl-1"` },
			"choices": func() string { return pick("["+choice()+"]", "["+choice()+","+choice()+"]") },
			"usage":   usage,
			"error":   func() string { return pick(`{"message":"m"}`) },
		})
		checkChunk(t, data)
	}
}

func BenchmarkChunk(b *testing.B) {
	content := []byte(`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","system_fingerprint":"fp","choices":[{"index":0,"delta":{"content":"hello there "},"logprobs":null,"finish_reason":null}],"usage":null}`)
	b.Run("ClassifyChunk", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ClassifyChunk(content)
		}
	})
	b.Run("ClassifyChunk-encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			referenceClassify(content)
		}
	})
	b.Run("ChunkUsage-null", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ChunkUsage(content)
		}
	})
}
