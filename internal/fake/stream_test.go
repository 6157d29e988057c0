package fake_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/switchyard/switchyard/internal/fake"
)

func TestOpenAIStream(t *testing.T) {
	tests := []struct {
		name         string
		opts         fake.Options
		path, body   string
		chat         bool
		model        string
		pieces       []string // content of each content chunk, in order
		includeUsage bool
		completion   int
		finish       string
	}{
		{"chat default", fake.Options{Name: "a"}, "/v1/chat/completions", `{"model":"gpt-4o","stream":true}`, true, "gpt-4o",
			[]string{"tok0", " tok1", " tok2", " tok3", " tok4"}, false, 5, "stop"},
		{"chat usage", fake.Options{Name: "a", Chunks: 2, OutputTokens: 5}, "/chat/completions",
			`{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true}}`, true, "gpt-4o",
			[]string{"tok0 tok1 tok2", " tok3 tok4"}, true, 5, "stop"},
		{"chat usage false", fake.Options{Chunks: 1}, "/v1/chat/completions",
			`{"model":"m","stream":true,"stream_options":{"include_usage":false}}`, true, "m",
			[]string{"tok0"}, false, 1, "stop"},
		{"chat fewer tokens than chunks", fake.Options{Chunks: 3, OutputTokens: 1, Text: "Hello"}, "/v1/chat/completions",
			`{"model":"m","stream":true}`, true, "m", []string{"Hello tok0", "", ""}, false, 1, "stop"},
		{"chat capped", fake.Options{Chunks: 2}, "/v1/chat/completions",
			`{"model":"m","stream":true,"max_tokens":1,"stream_options":{"include_usage":true}}`, true, "m",
			[]string{"tok0", ""}, true, 1, "length"},
		{"azure chat", fake.Options{Chunks: 1}, "/openai/deployments/dep/chat/completions?api-version=2024-10-21",
			`{"stream":true,"stream_options":{"include_usage":true}}`, true, "dep", []string{"tok0"}, true, 1, "stop"},
		{"legacy", fake.Options{Chunks: 2}, "/v1/completions", `{"model":"i","stream":true}`, false, "i",
			[]string{"tok0", " tok1"}, false, 2, "stop"},
		{"legacy usage", fake.Options{Chunks: 2}, "/completions",
			`{"model":"i","stream":true,"stream_options":{"include_usage":true}}`, false, "i",
			[]string{"tok0", " tok1"}, true, 2, "stop"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serve(t, fake.NewHandler(tt.opts))
			resp := post(t, context.Background(), srv.Client(), srv.URL+tt.path, tt.body)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status: got %d want 200", resp.StatusCode)
			}
			if got := resp.Header.Get("Content-Type"); got != "text/event-stream" {
				t.Errorf("Content-Type: got %q want text/event-stream", got)
			}
			evs := readEvents(t, resp.Body)
			if n := len(evs); n == 0 || evs[n-1].data != "[DONE]" {
				t.Fatalf("stream must end with [DONE]; got %d events, last %+v", n, evs[max(n-1, 0)])
			}
			evs = evs[:len(evs)-1]
			wantObject := "text_completion"
			if tt.chat {
				wantObject = "chat.completion.chunk"
			}
			chunks := make([]chatChunk, len(evs))
			for i, ev := range evs {
				decodeJSON(t, []byte(ev.data), &chunks[i])
				c := chunks[i]
				if c.Object != wantObject || c.Model != tt.model || c.ID != chunks[0].ID || c.SystemFingerprint != tt.opts.Name {
					t.Errorf("chunk %d head: got object %q model %q id %q fingerprint %q", i, c.Object, c.Model, c.ID, c.SystemFingerprint)
				}
				// With include_usage every chunk carries "usage": null, except the usage chunk.
				if hasUsage := strings.Contains(ev.data, `"usage":`); hasUsage != tt.includeUsage {
					t.Errorf("chunk %d: usage key present %v, want %v: %s", i, hasUsage, tt.includeUsage, ev.data)
				}
			}
			if tt.includeUsage {
				last := chunks[len(chunks)-1]
				p := (len(tt.body) + 3) / 4
				want := usage{PromptTokens: p, CompletionTokens: tt.completion, TotalTokens: p + tt.completion}
				if len(last.Choices) != 0 || last.Usage == nil || *last.Usage != want {
					t.Fatalf("usage chunk: got choices %d usage %+v, want [] and %+v", len(last.Choices), last.Usage, want)
				}
				chunks = chunks[:len(chunks)-1]
			}
			for i, c := range chunks {
				if c.Usage != nil || len(c.Choices) != 1 {
					t.Fatalf("chunk %d: got usage %+v and %d choices, want none and 1", i, c.Usage, len(c.Choices))
				}
			}
			if tt.chat {
				role := chunks[0].Choices[0]
				if role.Delta.Role == nil || *role.Delta.Role != "assistant" || role.Delta.Content == nil || *role.Delta.Content != "" || role.FinishReason != nil {
					t.Errorf("first chunk must be role-only: %s", evs[0].data)
				}
				chunks = chunks[1:]
			}
			final := chunks[len(chunks)-1].Choices[0]
			if final.FinishReason == nil || *final.FinishReason != tt.finish || final.Delta.Content != nil || (final.Text != nil && *final.Text != "") {
				t.Errorf("final chunk: got %+v, want finish %q and no content", final, tt.finish)
			}
			chunks = chunks[:len(chunks)-1]
			var got []string
			for i, c := range chunks {
				ch := c.Choices[0]
				if ch.FinishReason != nil {
					t.Errorf("content chunk %d has finish_reason %q", i, *ch.FinishReason)
				}
				text := ch.Text
				if tt.chat {
					text = ch.Delta.Content
				}
				if text == nil {
					t.Fatalf("content chunk %d has no content", i)
				}
				got = append(got, *text)
			}
			if strings.Join(got, "|") != strings.Join(tt.pieces, "|") {
				t.Errorf("content pieces: got %q want %q", got, tt.pieces)
			}
		})
	}
}

func TestAnthropicStream(t *testing.T) {
	srv := serve(t, fake.NewHandler(fake.Options{Chunks: 3, OutputTokens: 4, Name: "claude-fake"}))
	body := `{"model":"claude-sonnet-4","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"hi"}]}`
	resp := post(t, context.Background(), srv.Client(), srv.URL+"/v1/messages", body)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("got status %d Content-Type %q, want 200 text/event-stream", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	evs := readEvents(t, resp.Body)
	wantNames := []string{"message_start", "content_block_start", "ping",
		"content_block_delta", "content_block_delta", "content_block_delta",
		"content_block_stop", "message_delta", "message_stop"}
	var names []string
	for _, ev := range evs {
		names = append(names, ev.name)
		var typed struct{ Type string }
		decodeJSON(t, []byte(ev.data), &typed)
		if typed.Type != ev.name {
			t.Errorf("event %q carries data type %q", ev.name, typed.Type)
		}
	}
	if strings.Join(names, ",") != strings.Join(wantNames, ",") {
		t.Fatalf("events:\ngot  %v\nwant %v", names, wantNames)
	}
	var start struct {
		Message struct {
			ID, Type, Role, Model string
			Content               []any
			Usage                 struct {
				InputTokens int `json:"input_tokens"`
			}
		}
	}
	decodeJSON(t, []byte(evs[0].data), &start)
	if m := start.Message; !strings.HasPrefix(m.ID, "msg_") || m.Type != "message" || m.Role != "assistant" ||
		m.Model != "claude-sonnet-4" || len(m.Content) != 0 || m.Usage.InputTokens != (len(body)+3)/4 {
		t.Errorf("message_start: got %+v", m)
	}
	var text strings.Builder
	for _, ev := range evs[3:6] {
		var d struct {
			Index int
			Delta struct{ Type, Text string }
		}
		decodeJSON(t, []byte(ev.data), &d)
		if d.Index != 0 || d.Delta.Type != "text_delta" {
			t.Errorf("content_block_delta: got %s", ev.data)
		}
		text.WriteString(d.Delta.Text)
	}
	if got := text.String(); got != "tok0 tok1 tok2 tok3" {
		t.Errorf("text: got %q want %q", got, "tok0 tok1 tok2 tok3")
	}
	want := `{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":4}}`
	if got := compact(t, []byte(evs[7].data)); got != want {
		t.Errorf("message_delta:\ngot  %s\nwant %s", got, want)
	}
}

// TestStreamTiming checks Latency and ChunkGap on a fake clock: the headers come at once, the
// first chunk after Latency, each next content chunk ChunkGap later.
func TestStreamTiming(t *testing.T) {
	tests := []struct {
		name, path, body string
		firstContent     int // index of the first content event
	}{
		{"openai", "/v1/chat/completions", `{"model":"m","stream":true}`, 1},
		{"anthropic", "/v1/messages", `{"model":"m","stream":true,"max_tokens":9}`, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const latency, gap = 3 * time.Second, 250 * time.Millisecond
				h := fake.NewHandler(fake.Options{Latency: latency, ChunkGap: gap, Chunks: 4})
				client := &http.Client{Transport: fake.Transport(h)}
				start := time.Now()
				resp := post(t, context.Background(), client, "http://fake.invalid"+tt.path, tt.body)
				if got := time.Since(start); got != 0 {
					t.Errorf("headers after %v, want at once", got)
				}
				er := newEventReader(resp.Body)
				for i := 0; ; i++ {
					ev, ok := er.next()
					if !ok {
						break
					}
					want := latency
					if k := i - tt.firstContent; k > 0 && k < 4 {
						want += time.Duration(k) * gap
					} else if k >= 4 {
						want += 3 * gap
					}
					if got := time.Since(start); got != want {
						t.Errorf("event %d (%s %.40s) after %v, want %v", i, ev.name, ev.data, got, want)
					}
				}
			})
		})
	}
}

// TestNonStreamLatency checks that a non-streaming answer and an injected failure both wait
// Latency before their headers.
func TestNonStreamLatency(t *testing.T) {
	for _, failRate := range []float64{0, 1} {
		synctest.Test(t, func(t *testing.T) {
			h := fake.NewHandler(fake.Options{Latency: 2 * time.Second, FailRate: failRate})
			client := &http.Client{Transport: fake.Transport(h)}
			start := time.Now()
			resp := post(t, context.Background(), client, "http://fake.invalid/v1/chat/completions", `{"model":"m"}`)
			if got := time.Since(start); got != 2*time.Second {
				t.Errorf("fail rate %v: headers after %v, want 2s", failRate, got)
			}
			var v map[string]json.RawMessage
			decodeJSON(t, readAll(t, resp), &v)
		})
	}
}
