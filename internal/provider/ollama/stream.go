package ollama

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/provider/oaichat"
)

// MaxLineBytes bounds one NDJSON line (1 MiB): a hostile upstream cannot grow memory.
const MaxLineBytes = 1 << 20

// ErrLineTooLong is returned for an NDJSON line over MaxLineBytes.
var ErrLineTooLong = errors.New("ollama stream: line too long")

// Stream implements provider.Translator.
func (p *Provider) Stream(body io.Reader) provider.EventSource { return NewStream(body) }

// NewStream returns the translator of one /api/chat NDJSON stream.
func NewStream(body io.Reader) *Stream {
	s := &Stream{br: bufio.NewReaderSize(body, 16<<10),
		ch: oaichat.Chunker{ID: oaichat.NewID("chatcmpl-"), Created: time.Now().Unix()}}
	s.Pump = oaichat.Pump[[]byte]{Read: s.readLine, Translate: s.translate, AtEOF: oaichat.CutShort}
	return s
}

// Stream translates an /api/chat NDJSON stream into chat.completion.chunk events. It is not
// safe for concurrent use.
type Stream struct {
	oaichat.Pump[[]byte]
	br      *bufio.Reader
	line    []byte
	ch      oaichat.Chunker
	started bool
	calls   int
}

// readLine returns the next line; io.ErrUnexpectedEOF when the stream ends before done.
func (s *Stream) readLine() ([]byte, error) {
	s.line = s.line[:0]
	for {
		part, err := s.br.ReadSlice('\n')
		if len(s.line)+len(part) > MaxLineBytes {
			return nil, ErrLineTooLong
		}
		s.line = append(s.line, part...)
		switch err {
		case nil:
			return s.line, nil
		case bufio.ErrBufferFull:
			continue
		case io.EOF:
			if len(bytes.TrimSpace(s.line)) > 0 {
				return s.line, nil // a last line without its newline
			}
			return nil, io.ErrUnexpectedEOF
		default:
			return nil, err
		}
	}
}

// translate queues the OpenAI events for one NDJSON line.
func (s *Stream) translate(line []byte) error {
	if len(bytes.TrimSpace(line)) == 0 {
		return nil
	}
	var r chatResponse
	if err := json.Unmarshal(line, &r); err != nil {
		return fmt.Errorf("ollama stream: bad line: %w", err)
	}
	if r.Error != "" {
		s.Push(oaichat.ErrorEvent(http.StatusInternalServerError, r.Error, ""))
		s.Ended = true
		return nil
	}
	if !s.started {
		s.started, s.ch.Model = true, r.Model
		s.Push(s.ch.Role())
	}
	if r.Message.Content != "" {
		s.Push(s.ch.Text(r.Message.Content))
	}
	for _, tc := range calls(r.Message.ToolCalls) {
		s.Push(s.ch.ToolCall(oaichat.ToolCallDelta{Index: s.calls, ID: tc.ID, Type: "function",
			Function: oaichat.FunctionDelta{Name: tc.Function.Name, Arguments: tc.Function.Arguments}}))
		s.calls++
	}
	if r.Done {
		s.Push(s.ch.Finish(finishReason(r.DoneReason, s.calls > 0)),
			s.ch.Usage(oaichat.Usage(r.PromptEvalCount, r.EvalCount)), oaichat.Done())
		s.Ended = true
	}
	return nil
}
