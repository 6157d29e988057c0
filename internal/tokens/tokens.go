// Package tokens counts prompt tokens for context-window pre-call checks. It runs only when a
// deployment has max_input_tokens and enable_pre_call_checks is on, and only for prompts whose
// byte count exceeds that limit (a token is at least one byte, so smaller prompts fit without
// counting). The tokenizer's vocabulary loads on first use, never at startup.
package tokens

import (
	"encoding/json"
	"sync"

	"github.com/tiktoken-go/tokenizer"
)

// Counter counts tokens with OpenAI's o200k_base encoding (GPT-4o's), loaded lazily. The zero
// value is ready; safe for concurrent use.
type Counter struct {
	once  sync.Once
	codec tokenizer.Codec
	err   error
}

// perMessage is the framing OpenAI adds per chat message (role and separators).
const perMessage = 4

// Prompt counts the tokens of a chat request body's messages (or a completion's prompt, or an
// embedding's input): the text of every content part plus framing per message. A body it cannot
// read counts as ceil(bytes / 4).
func (c *Counter) Prompt(body []byte) int {
	c.once.Do(func() { c.codec, c.err = tokenizer.Get(tokenizer.O200kBase) })
	var req struct {
		Messages []struct {
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
		Prompt json.RawMessage `json:"prompt"`
		Input  json.RawMessage `json:"input"`
	}
	if c.err != nil || json.Unmarshal(body, &req) != nil {
		return (len(body) + 3) / 4
	}
	n := 0
	for _, m := range req.Messages {
		n += perMessage + c.count(m.Role) + c.text(m.Content)
	}
	return n + c.text(req.Prompt) + c.text(req.Input)
}

// text counts a content value: a string, or an array of strings or of parts with "text".
func (c *Counter) text(raw json.RawMessage) int {
	if len(raw) == 0 {
		return 0
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return c.count(s)
	}
	var parts []json.RawMessage
	if json.Unmarshal(raw, &parts) != nil {
		return (len(raw) + 3) / 4
	}
	n := 0
	for _, p := range parts {
		var part struct {
			Text string `json:"text"`
		}
		if json.Unmarshal(p, &s) == nil {
			n += c.count(s)
		} else if json.Unmarshal(p, &part) == nil {
			n += c.count(part.Text)
		}
	}
	return n
}

func (c *Counter) count(s string) int {
	if s == "" {
		return 0
	}
	n, err := c.codec.Count(s)
	if err != nil {
		return (len(s) + 3) / 4
	}
	return n
}
