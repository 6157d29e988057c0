package anthropic

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/switchyard/switchyard/internal/openai"
	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/provider/oaichat"
)

// MaxEventBytes bounds one upstream SSE event (1 MiB): a hostile upstream cannot grow memory.
const MaxEventBytes = 1 << 20

// MaxToolCalls bounds the tool calls of one streamed answer.
const MaxToolCalls = 1024

// Stream implements provider.Translator: Messages SSE events become chat.completion.chunk
// events, a usage chunk and [DONE].
func (p *Provider) Stream(body io.Reader) provider.EventSource {
	return NewStream(body)
}

// NewStream returns the translator of one Messages event stream.
func NewStream(body io.Reader) *Stream {
	s := &Stream{er: openai.NewEventReader(body, MaxEventBytes), ch: oaichat.Chunker{Created: time.Now().Unix()},
		tools: map[int]int{}}
	s.Pump = oaichat.Pump[openai.Event]{Read: s.er.Next, Translate: s.translate, AtEOF: oaichat.CutShort}
	return s
}

// Stream translates a Messages event stream. It is not safe for concurrent use.
// The Pump ends after message_stop or an error event; a body ending before is cut short.
type Stream struct {
	oaichat.Pump[openai.Event]
	er    *openai.EventReader
	ch    oaichat.Chunker
	usage usage
	// tools maps a tool_use block's index to its OpenAI tool call index.
	tools map[int]int
}

// event is the union of the Messages stream events' fields.
type event struct {
	Type         string          `json:"type"`
	Message      *response       `json:"message"`
	Index        int             `json:"index"`
	ContentBlock *block          `json:"content_block"`
	Delta        json.RawMessage `json:"delta"`
	Usage        *usage          `json:"usage"`
	Error        *struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"error"`
}

type blockDelta struct {
	Type        string `json:"type"`
	Text        string `json:"text"`
	PartialJSON string `json:"partial_json"`
}

type messageDelta struct {
	StopReason string `json:"stop_reason"`
}

// translate queues the OpenAI events for one upstream event.
func (s *Stream) translate(in openai.Event) error {
	data := in.Data
	if data == nil {
		return nil // a comment or an event without data
	}
	var e event
	if err := json.Unmarshal(data, &e); err != nil {
		return fmt.Errorf("anthropic stream: bad event: %w", err)
	}
	switch e.Type {
	case "message_start":
		if e.Message != nil {
			s.ch.ID, s.ch.Model, s.usage = e.Message.ID, e.Message.Model, e.Message.Usage
		}
		s.Push(s.ch.Role())
	case "content_block_start":
		if b := e.ContentBlock; b != nil {
			switch b.Type {
			case "text":
				if b.Text != "" {
					s.Push(s.ch.Text(b.Text))
				}
			case "tool_use":
				if len(s.tools) >= MaxToolCalls {
					return fmt.Errorf("anthropic stream: more than %d tool calls", MaxToolCalls)
				}
				i := len(s.tools)
				s.tools[e.Index] = i
				s.Push(s.ch.ToolCall(oaichat.ToolCallDelta{Index: i, ID: b.ID, Type: "function",
					Function: oaichat.FunctionDelta{Name: b.Name}}))
			}
		}
	case "content_block_delta":
		var d blockDelta
		if err := json.Unmarshal(e.Delta, &d); err != nil {
			return fmt.Errorf("anthropic stream: bad content_block_delta: %w", err)
		}
		switch d.Type {
		case "text_delta":
			s.Push(s.ch.Text(d.Text))
		case "input_json_delta":
			if i, ok := s.tools[e.Index]; ok && d.PartialJSON != "" {
				s.Push(s.ch.ToolCall(oaichat.ToolCallDelta{Index: i, Function: oaichat.FunctionDelta{Arguments: d.PartialJSON}}))
			}
		}
	case "message_delta":
		s.mergeUsage(e.Usage)
		var d messageDelta
		if len(e.Delta) > 0 {
			if err := json.Unmarshal(e.Delta, &d); err != nil {
				return fmt.Errorf("anthropic stream: bad message_delta: %w", err)
			}
		}
		if d.StopReason != "" {
			s.Push(s.ch.Finish(FinishReason(d.StopReason)))
		}
	case "message_stop":
		s.Push(s.ch.Usage(usageOf(s.usage)), oaichat.Done())
		s.Ended = true
	case "error":
		typ, msg := "api_error", "anthropic stream error"
		if e.Error != nil {
			typ, msg = e.Error.Type, e.Error.Message
		}
		s.Push(oaichat.ErrorEvent(streamError(typ), msg, typ))
		s.Ended = true
	}
	// ping, content_block_stop and unknown events produce nothing.
	return nil
}

// mergeUsage takes message_delta's cumulative counts (output always; input ones when given).
func (s *Stream) mergeUsage(u *usage) {
	if u == nil {
		return
	}
	s.usage.OutputTokens = u.OutputTokens
	if u.InputTokens > 0 {
		s.usage.InputTokens = u.InputTokens
	}
	if u.CacheCreationInputTokens > 0 {
		s.usage.CacheCreationInputTokens = u.CacheCreationInputTokens
	}
	if u.CacheReadInputTokens > 0 {
		s.usage.CacheReadInputTokens = u.CacheReadInputTokens
	}
}
