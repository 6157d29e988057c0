package gemini

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/switchyard/switchyard/internal/openai"
	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/provider/oaichat"
)

// MaxEventBytes bounds one upstream SSE event (4 MiB; an event may carry an inline image).
const MaxEventBytes = 4 << 20

// Stream implements provider.Translator.
func (p *Provider) Stream(body io.Reader) provider.EventSource { return NewStream(body) }

// NewStream returns the translator of one streamGenerateContent?alt=sse stream.
func NewStream(body io.Reader) *Stream {
	s := &Stream{er: openai.NewEventReader(body, MaxEventBytes), ch: oaichat.Chunker{Created: time.Now().Unix()}}
	s.Pump = oaichat.Pump[openai.Event]{Read: s.er.Next, Translate: s.translate, AtEOF: s.atEOF}
	return s
}

// Stream translates a streamGenerateContent SSE stream into chat.completion.chunk events.
// Gemini's stream has no end event: it ends cleanly only after a finishReason, and then the
// usage chunk and [DONE] follow. It is not safe for concurrent use.
type Stream struct {
	oaichat.Pump[openai.Event]
	er       *openai.EventReader
	ch       oaichat.Chunker
	usage    openai.Usage
	started  bool
	finished bool
	calls    int
}

// atEOF ends a stream that saw a finishReason with the usage chunk and [DONE].
func (s *Stream) atEOF() error {
	if !s.finished {
		return io.ErrUnexpectedEOF
	}
	s.Push(s.ch.Usage(s.usage), oaichat.Done())
	s.Ended = true
	return nil
}

// translate queues the OpenAI events for one GenerateContentResponse.
func (s *Stream) translate(in openai.Event) error {
	data := in.Data
	if data == nil {
		return nil
	}
	var r response
	if err := json.Unmarshal(data, &r); err != nil {
		return fmt.Errorf("gemini stream: bad event: %w", err)
	}
	if r.Error != nil {
		status := r.Error.statusOf()
		if status == 0 {
			status = http.StatusInternalServerError
		}
		s.Push(oaichat.ErrorEvent(status, r.Error.Message, r.Error.Status))
		s.Ended = true
		return nil
	}
	if !s.started {
		s.started = true
		s.ch.ID, s.ch.Model = r.ResponseID, r.ModelVersion
		if s.ch.ID == "" {
			s.ch.ID = oaichat.NewID("chatcmpl-")
		}
		s.Push(s.ch.Role())
	}
	if r.UsageMetadata != nil {
		s.usage = r.UsageMetadata.usage()
	}
	if len(r.Candidates) == 0 {
		if r.PromptFeedback != nil && r.PromptFeedback.BlockReason != "" && !s.finished {
			s.finished = true
			s.Push(s.ch.Finish("content_filter"))
		}
		return nil
	}
	c := r.Candidates[0]
	for _, pt := range c.Content.Parts {
		switch {
		case pt.FunctionCall != nil:
			tc := toolCall(pt.FunctionCall)
			s.Push(s.ch.ToolCall(oaichat.ToolCallDelta{Index: s.calls, ID: tc.ID, Type: "function",
				Function: oaichat.FunctionDelta{Name: tc.Function.Name, Arguments: tc.Function.Arguments}}))
			s.calls++
		case !pt.Thought && pt.Text != "":
			s.Push(s.ch.Text(pt.Text))
		}
	}
	if c.FinishReason != "" && !s.finished {
		s.finished = true
		s.Push(s.ch.Finish(FinishReason(c.FinishReason, s.calls > 0)))
	}
	return nil
}
