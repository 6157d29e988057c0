package openai

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestParseRequest(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		model     string
		stream    bool
		usage     bool
		maxTokens int
		retries   int // -1 = unset
		timeout   float64
		keys      []string
	}{
		{"minimal", `{"model":"gpt-4o","messages":[]}`, "gpt-4o", false, false, 0, -1, 0, []string{"model", "messages"}},
		{"spaces and nesting", " {\n \"messages\": [{\"role\":\"user\",\"content\":\"a \\\"}\\\" b {[\"}],\n \"model\" : \"m\" } ",
			"m", false, false, 0, -1, 0, []string{"messages", "model"}},
		{"stream with usage", `{"model":"x","stream":true,"stream_options":{"include_usage":true},"max_tokens":50}`,
			"x", true, true, 50, -1, 0, []string{"model", "stream", "stream_options", "max_tokens"}},
		{"litellm fields", `{"model":"x","num_retries":4,"timeout":1.5,"max_completion_tokens":7}`,
			"x", false, false, 7, 4, 1.5, []string{"model", "num_retries", "timeout", "max_completion_tokens"}},
		{"escaped backslash before a quote", `{"a":"x\\\\","model":"m\"q"}`, "m\"q", false, false, 0, -1, 0, []string{"a", "model"}},
		{"escaped key", `{"mo\u0064el":"y"}`, "y", false, false, 0, -1, 0, []string{"model"}},
		{"escaped model", `{"model":"gpt\u002d4o"}`, "gpt-4o", false, false, 0, -1, 0, []string{"model"}},
		{"empty object", `{}`, "", false, false, 0, -1, 0, nil},
		{"no model", `{"messages":[1,2,{"a":null}],"n":-1.5e3,"b":false}`, "", false, false, 0, -1, 0, []string{"messages", "n", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseRequest([]byte(tt.body))
			if err != nil {
				t.Fatalf("ParseRequest: %v", err)
			}
			if r.Model != tt.model || r.Stream != tt.stream || r.IncludeUsage != tt.usage || r.MaxTokens != tt.maxTokens || r.Timeout != tt.timeout {
				t.Errorf("got model %q stream %v usage %v max_tokens %d timeout %v, want %q %v %v %d %v",
					r.Model, r.Stream, r.IncludeUsage, r.MaxTokens, r.Timeout, tt.model, tt.stream, tt.usage, tt.maxTokens, tt.timeout)
			}
			gotRetries := -1
			if r.NumRetries != nil {
				gotRetries = *r.NumRetries
			}
			if gotRetries != tt.retries {
				t.Errorf("got num_retries %d, want %d", gotRetries, tt.retries)
			}
			var keys []string
			for _, m := range r.Members {
				keys = append(keys, m.Key)
			}
			if strings.Join(keys, ",") != strings.Join(tt.keys, ",") {
				t.Errorf("got members %v, want %v", keys, tt.keys)
			}
		})
	}
}

func TestParseRequestErrors(t *testing.T) {
	for _, body := range []string{
		``, `[]`, `"model"`, `{`, `{"model":"x"`, `{"model":"x",}`, `{"model" "x"}`, `{"model":"x"}}`,
		`{"messages":[1,2}`, `{"a":"unterminated}`, `{"a":tru}`, `{"model":5}`, `{"a":{"b":[}]}}`, `{} x`,
	} {
		if _, err := ParseRequest([]byte(body)); !errors.Is(err, ErrBadJSON) {
			t.Errorf("ParseRequest(%q): got %v, want ErrBadJSON", body, err)
		}
	}
}

func TestPatch(t *testing.T) {
	r, err := ParseRequest([]byte(`{"model":"alias","messages":[{"role":"user","content":"hi"}],"temperature":0.1,"fallbacks":["b"],"num_retries":3,"api_base":"http://evil","metadata":{"x":1},"mock_testing_fallbacks":true,"user":"u"}`))
	if err != nil {
		t.Fatal(err)
	}
	defaults := Fields(map[string]json.RawMessage{"temperature": json.RawMessage(`0.9`), "max_tokens": json.RawMessage(`20`)})
	got := string(r.Patch(nil, "gpt-turbo-small-ca", defaults, true))
	want := `{"model":"gpt-turbo-small-ca","messages":[{"role":"user","content":"hi"}],"temperature":0.1,"user":"u","max_tokens":20}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if !json.Valid([]byte(got)) {
		t.Errorf("patched body is not valid JSON: %s", got)
	}
	if n := r.PatchedLen("gpt-turbo-small-ca", defaults); n < len(got) {
		t.Errorf("PatchedLen %d < len %d", n, len(got))
	}
	empty, _ := ParseRequest([]byte(`{}`))
	if got := string(empty.Patch(nil, "m", nil, false)); got != `{"model":"m"}` {
		t.Errorf("got %s, want {\"model\":\"m\"}", got)
	}
}

func TestEventReader(t *testing.T) {
	stream := "data: {\"a\":1}\n\n: keep-alive\n\n\r\nevent: x\r\ndata: line1\r\ndata: line2\r\n\r\ndata: [DONE]\n\n"
	er := NewEventReader(strings.NewReader(stream), 0)
	type ev struct {
		raw, data string
		hasData   bool
		done      bool
	}
	want := []ev{
		{"data: {\"a\":1}\n\n", `{"a":1}`, true, false},
		{": keep-alive\n\n", "", false, false},
		{"event: x\r\ndata: line1\r\ndata: line2\r\n\r\n", "line1\nline2", true, false},
		{"data: [DONE]\n\n", "[DONE]", true, true},
	}
	for i, w := range want {
		e, err := er.Next()
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if string(e.Raw) != w.raw || string(e.Data) != w.data || (e.Data != nil) != w.hasData || e.Done != w.done {
			t.Errorf("event %d: got raw %q data %q done %v, want raw %q data %q done %v", i, e.Raw, e.Data, e.Done, w.raw, w.data, w.done)
		}
	}
	if _, err := er.Next(); err != io.EOF {
		t.Errorf("at end: got %v, want io.EOF", err)
	}
	cut := NewEventReader(strings.NewReader("data: {\"a\":1}\n\ndata: {\"b\""), 0)
	cut.Next()
	if _, err := cut.Next(); err != io.ErrUnexpectedEOF {
		t.Errorf("stream cut mid-event: got %v, want io.ErrUnexpectedEOF", err)
	}
	big := NewEventReader(strings.NewReader("data: "+strings.Repeat("x", 100<<10)+"\n\n"), 64<<10)
	if _, err := big.Next(); !errors.Is(err, ErrEventTooLarge) {
		t.Errorf("oversized event: got %v, want ErrEventTooLarge", err)
	}
}

func TestErrorEvent(t *testing.T) {
	ev := string(ErrorEvent("boom", "api_error", "upstream_disconnected"))
	want := `data: {"error":{"message":"boom","type":"api_error","param":null,"code":"upstream_disconnected"}}` + "\n\n"
	if ev != want {
		t.Errorf("got %q, want %q", ev, want)
	}
}

func BenchmarkParseRequest(b *testing.B) {
	body := []byte(`{"model":"gpt-3.5-turbo","messages":[{"role":"system","content":"You are helpful."},{"role":"user","content":"` + strings.Repeat("hello world ", 1365) + `"}],"temperature":0.2,"stream":false}`)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseRequest(body); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzParseRequest checks ParseRequest against encoding/json: every valid JSON object parses,
// with the same model, and patching it yields valid JSON.
func FuzzParseRequest(f *testing.F) {
	for _, s := range []string{`{"model":"m","messages":[{"role":"user","content":"a\\\"b"}]}`, `{}`, `{"a":[1,{"b":"}"}]}`, `[1]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var obj map[string]json.RawMessage
		valid := json.Unmarshal(body, &obj) == nil && obj != nil
		r, err := ParseRequest(body)
		if !valid {
			return
		}
		if err != nil {
			var m struct{ Model any }
			json.Unmarshal(body, &m)
			if _, isString := m.Model.(string); m.Model == nil || isString {
				t.Fatalf("valid object %q: %v", body, err)
			}
			return
		}
		var m struct{ Model string }
		json.Unmarshal(body, &m)
		if r.Model != m.Model {
			t.Fatalf("model: got %q, want %q", r.Model, m.Model)
		}
		if out := r.Patch(nil, "x", nil, true); !json.Valid(out) {
			t.Fatalf("patched body is invalid: %q", out)
		}
	})
}

func TestPatchAsksForStreamUsage(t *testing.T) {
	tests := []struct{ body, want string }{
		{`{"model":"a","stream":true}`, `{"model":"m","stream":true,"stream_options":{"include_usage":true}}`},
		{`{"model":"a","stream":true,"stream_options":{}}`, `{"model":"m","stream":true,"stream_options":{"include_usage":true}}`},
		{`{"model":"a","stream":true,"stream_options":{"x":1}}`, `{"model":"m","stream":true,"stream_options":{"include_usage":true,"x":1}}`},
		{`{"model":"a","stream":true,"stream_options":{"include_usage":false}}`, `{"model":"m","stream":true,"stream_options":{"include_usage":true}}`},
		{`{"model":"a","stream":true,"stream_options":{"include_usage":true}}`, `{"model":"m","stream":true,"stream_options":{"include_usage":true}}`},
		{`{"model":"a","stream":false}`, `{"model":"m","stream":false}`},
	}
	for _, tt := range tests {
		r, err := ParseRequest([]byte(tt.body))
		if err != nil {
			t.Fatal(err)
		}
		if got := string(r.Patch(nil, "m", nil, true)); got != tt.want {
			t.Errorf("Patch(%s): got %s, want %s", tt.body, got, tt.want)
		}
	}
}
