package anthropic_test

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/provider/anthropic"
	pt "github.com/switchyard/switchyard/internal/provider/providertest"
)

func TestMessagesURL(t *testing.T) {
	for _, tt := range []struct{ base, want string }{
		{"https://api.anthropic.com", "https://api.anthropic.com/v1/messages"},
		{"https://api.anthropic.com/", "https://api.anthropic.com/v1/messages"},
		{"http://127.0.0.1:9/v1", "http://127.0.0.1:9/v1/messages"},
		{"http://127.0.0.1:9/v1/", "http://127.0.0.1:9/v1/messages"},
		{"http://127.0.0.1:9/v1/messages", "http://127.0.0.1:9/v1/messages"},
		{"http://gw/anthropic", "http://gw/anthropic/v1/messages"},
	} {
		if got := anthropic.MessagesURL(tt.base); got != tt.want {
			t.Errorf("MessagesURL(%q): got %q, want %q", tt.base, got, tt.want)
		}
	}
}

func TestNewDefaults(t *testing.T) {
	env := &provider.Env{Transports: provider.NewTransports(provider.TransportOptions{}),
		LookupEnv: func(k string) (string, bool) {
			return map[string]string{"ANTHROPIC_API_KEY": "env-key"}[k], k == "ANTHROPIC_API_KEY"
		}}
	p, err := anthropic.New(&config.Deployment{Provider: "anthropic", UpstreamModel: "claude"}, env)
	if err != nil {
		t.Fatal(err)
	}
	req, err := p.NewRequest(context.Background(), provider.Chat, pt.RequestBody(pt.CaseChat, "claude"))
	if err != nil {
		t.Fatal(err)
	}
	if got := req.URL.String(); got != "https://api.anthropic.com/v1/messages" {
		t.Errorf("URL: got %q, want the default endpoint", got)
	}
	if got := req.Header.Get("x-api-key"); got != "env-key" {
		t.Errorf("x-api-key: got %q, want env-key", got)
	}
	if p.StreamUsage() {
		t.Error("StreamUsage: got true, want false")
	}
	if _, err := p.NewRequest(context.Background(), provider.Embedding, []byte(`{"model":"claude","input":"x"}`)); err == nil {
		t.Error("embeddings: got no error")
	}
}

func TestTranslate(t *testing.T) {
	for _, tt := range []struct{ name, in, want string }{
		{"tool_choice required, no parallel calls",
			`{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"required","parallel_tool_calls":false}`,
			`{"model":"m","max_tokens":4096,"messages":[{"role":"user","content":[{"type":"text","text":"x"}]}],"tools":[{"name":"f","input_schema":{"type":"object","properties":{}}}],"tool_choice":{"type":"any","disable_parallel_tool_use":true}}`},
		{"named tool, user, max_completion_tokens, pass-through top_k",
			`{"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":{"type":"function","function":{"name":"f"}},"user":"u1","max_completion_tokens":7,"top_k":5,"drop_params":true}`,
			`{"model":"m","max_tokens":7,"messages":[{"role":"user","content":[{"type":"text","text":"x"}]}],"tool_choice":{"type":"tool","name":"f"},"metadata":{"user_id":"u1"},"top_k":5}`},
		{"two tool results merge into one user message; developer is system; stop string",
			`{"model":"m","stop":"END","messages":[{"role":"developer","content":"be brief"},{"role":"user","content":"x"},{"role":"assistant","content":"checking","tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":""}},{"id":"b","type":"function","function":{"name":"g","arguments":"{\"k\":1}"}}]},` +
				`{"role":"tool","tool_call_id":"a","content":"1"},{"role":"tool","tool_call_id":"b","content":[{"type":"text","text":"2"}]},{"role":"user","content":"and?"}]}`,
			`{"model":"m","max_tokens":4096,"stop_sequences":["END"],"system":[{"type":"text","text":"be brief"}],"messages":[{"role":"user","content":[{"type":"text","text":"x"}]},` +
				`{"role":"assistant","content":[{"type":"text","text":"checking"},{"type":"tool_use","id":"a","name":"f","input":{}},{"type":"tool_use","id":"b","name":"g","input":{"k":1}}]},` +
				`{"role":"user","content":[{"type":"tool_result","tool_use_id":"a","content":"1"},{"type":"tool_result","tool_use_id":"b","content":"2"},{"type":"text","text":"and?"}]}]}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := anthropic.Translate([]byte(tt.in), false)
			if err != nil {
				t.Fatal(err)
			}
			pt.JSONEqual(t, "body", got, tt.want)
		})
	}
}

func TestErrorBodies(t *testing.T) {
	p := newProvider(t, "http://127.0.0.1:9", false).(provider.Translator)
	for _, tt := range []struct {
		status     int
		body, want string
		wantStatus int
	}{
		{529, `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`,
			`{"error":{"message":"Overloaded","type":"api_error","param":null,"code":"overloaded_error"}}`, 503},
		{502, `<html>bad gateway</html>`, `{"error":{"message":"<html>bad gateway</html>","type":"api_error","param":null,"code":null}}`, 502},
		{413, `{"type":"error","error":{"type":"request_too_large","message":"too big"}}`,
			`{"error":{"message":"too big","type":"invalid_request_error","param":null,"code":"request_too_large"}}`, 413},
	} {
		status, body := p.Error(tt.status, []byte(tt.body))
		if status != tt.wantStatus {
			t.Errorf("Error(%d): status %d, want %d", tt.status, status, tt.wantStatus)
		}
		pt.JSONEqual(t, "error body", body, tt.want)
	}
}

func TestStreamAfterStop(t *testing.T) {
	s := anthropic.NewStream(strings.NewReader(streamReply + "event: message_start\ndata: {\"type\":\"message_start\"}\n\n"))
	n := 0
	for {
		ev, err := s.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
		if ev.Done {
			if _, err := s.Next(); err != io.EOF {
				t.Fatalf("after [DONE]: got %v, want io.EOF (nothing after message_stop is read)", err)
			}
			break
		}
	}
	// role, 2 texts, finish, usage, [DONE]
	if n != 6 {
		t.Errorf("events: got %d, want 6", n)
	}
}
