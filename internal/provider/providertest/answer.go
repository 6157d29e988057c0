package providertest

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"

	"github.com/switchyard/switchyard/internal/openai"
	"github.com/switchyard/switchyard/internal/provider"
)

// answer is a translated answer, streamed or not, reduced to what cases check.
type answer struct {
	content string
	finish  string
	calls   []call
	ids     []string
	usage   *openai.Usage
}

type wireCall struct {
	Index    int    `json:"index"`
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

// completion reads a chat.completion body.
func completion(t *testing.T, b []byte) answer {
	t.Helper()
	var c struct {
		Object  string `json:"object"`
		Choices []struct {
			Message struct {
				Role      string     `json:"role"`
				Content   *string    `json:"content"`
				ToolCalls []wireCall `json:"tool_calls"`
			} `json:"message"`
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
		Usage *openai.Usage `json:"usage"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatalf("response is not JSON (%v): %s", err, b)
	}
	if c.Object != "chat.completion" || len(c.Choices) != 1 || c.Choices[0].Message.Role != "assistant" {
		t.Fatalf("response: want a chat.completion with one assistant choice, got %s", b)
	}
	ch := c.Choices[0]
	a := answer{finish: ch.FinishReason, usage: c.Usage}
	if ch.Message.Content != nil {
		a.content = *ch.Message.Content
	}
	for _, tc := range ch.Message.ToolCalls {
		if tc.Type != "function" {
			t.Errorf("tool call type: got %q, want function", tc.Type)
		}
		a.calls = append(a.calls, call{tc.Function.Name, tc.Function.Arguments})
		a.ids = append(a.ids, tc.ID)
	}
	return a
}

// checkFraming fails t unless ev is `data: <Data>\n\n`.
func checkFraming(t *testing.T, ev openai.Event) {
	t.Helper()
	if !bytes.Equal(ev.Raw, append(append([]byte("data: "), ev.Data...), "\n\n"...)) {
		t.Errorf("event Raw %q: want \"data: \" + Data + \"\\n\\n\" (Data %q)", ev.Raw, ev.Data)
	}
}

// collect reads a translated stream to its end and assembles the answer.
func collect(t *testing.T, src provider.EventSource) answer {
	t.Helper()
	var a answer
	byIndex := map[int]int{}
	var last []byte
	for i := 0; ; i++ {
		if i > 10000 {
			t.Fatal("no end after 10000 events")
		}
		ev, err := src.Next()
		if err != nil {
			t.Fatalf("Next: %v before [DONE]", err)
		}
		checkFraming(t, ev)
		if ev.Done {
			if _, err := src.Next(); err != io.EOF {
				t.Errorf("after [DONE]: got %v, want io.EOF", err)
			}
			break
		}
		last = append(last[:0], ev.Data...)
		var c struct {
			Object  string `json:"object"`
			Choices []struct {
				Delta struct {
					Content   *string    `json:"content"`
					ToolCalls []wireCall `json:"tool_calls"`
				} `json:"delta"`
				FinishReason *string `json:"finish_reason"`
			} `json:"choices"`
			Usage *openai.Usage   `json:"usage"`
			Error json.RawMessage `json:"error"`
		}
		if err := json.Unmarshal(ev.Data, &c); err != nil {
			t.Fatalf("event data is not JSON (%v): %s", err, ev.Data)
		}
		if c.Error != nil {
			t.Fatalf("error event: %s", ev.Data)
		}
		if c.Object != "chat.completion.chunk" {
			t.Errorf("chunk object: got %q, want chat.completion.chunk", c.Object)
		}
		if c.Usage != nil {
			a.usage = c.Usage
		}
		for _, ch := range c.Choices {
			if ch.Delta.Content != nil {
				a.content += *ch.Delta.Content
			}
			if ch.FinishReason != nil {
				a.finish = *ch.FinishReason
			}
			for _, tc := range ch.Delta.ToolCalls {
				k, ok := byIndex[tc.Index]
				if !ok {
					if tc.ID == "" || tc.Function.Name == "" || tc.Type != "function" {
						t.Errorf("first delta of tool call %d: want id, type function and name, got %+v", tc.Index, tc)
					}
					k = len(a.calls)
					byIndex[tc.Index] = k
					a.calls = append(a.calls, call{name: tc.Function.Name})
					a.ids = append(a.ids, tc.ID)
				}
				a.calls[k].args += tc.Function.Arguments
			}
		}
	}
	if a.usage != nil && !bytes.Contains(last, []byte(`"usage"`)) {
		t.Errorf("the last chunk before [DONE] carries no usage: %s", last)
	}
	return a
}

// check compares the answer with the case's.
func (a answer) check(t *testing.T, w want) {
	t.Helper()
	if a.content != w.content {
		t.Errorf("content: got %q, want %q", a.content, w.content)
	}
	if a.finish != w.finish {
		t.Errorf("finish_reason: got %q, want %q", a.finish, w.finish)
	}
	if len(a.calls) != len(w.calls) {
		t.Fatalf("tool calls: got %d %v, want %d %v", len(a.calls), a.calls, len(w.calls), w.calls)
	}
	for i, c := range w.calls {
		if a.calls[i].name != c.name {
			t.Errorf("tool call %d name: got %q, want %q", i, a.calls[i].name, c.name)
		}
		if a.ids[i] == "" {
			t.Errorf("tool call %d has no id", i)
		}
		JSONEqual(t, "tool call arguments", []byte(a.calls[i].args), c.args)
	}
	if w.usage != nil && (a.usage == nil || *a.usage != *w.usage) {
		t.Errorf("usage: got %+v, want %+v", a.usage, *w.usage)
	}
}
