package bedrock

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"

	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/provider/oaichat"
)

// MaxMessageBytes bounds one event-stream message (1 MiB): a hostile upstream cannot make the
// decoder buffer more.
const MaxMessageBytes = 1 << 20

// ErrMessageTooLarge is returned for an event-stream message over MaxMessageBytes.
var ErrMessageTooLarge = errors.New("bedrock stream: message too large")

// Stream implements provider.Translator.
func (p *Provider) Stream(body io.Reader) provider.EventSource { return NewStream(body) }

// NewStream returns the translator of one ConverseStream body.
func NewStream(body io.Reader) *Stream {
	s := &Stream{br: bufio.NewReaderSize(body, 16<<10), dec: eventstream.NewDecoder(),
		ch: oaichat.Chunker{ID: oaichat.NewID("chatcmpl-"), Created: time.Now().Unix()}, tools: map[int]int{}}
	s.Pump = oaichat.Pump[eventstream.Message]{Read: s.read, Translate: s.translate, AtEOF: s.atEOF}
	return s
}

// Stream translates ConverseStream event-stream messages into chat.completion.chunk events.
// It is not safe for concurrent use.
type Stream struct {
	oaichat.Pump[eventstream.Message]
	br      *bufio.Reader
	dec     *eventstream.Decoder
	buf     []byte
	ch      oaichat.Chunker
	usage   usage
	tools   map[int]int
	stopped bool
}

// streamEvent is the union of the ConverseStream event payloads.
type streamEvent struct {
	ContentBlockIndex int `json:"contentBlockIndex"`
	Start             *struct {
		ToolUse *struct {
			ToolUseID string `json:"toolUseId"`
			Name      string `json:"name"`
		} `json:"toolUse"`
	} `json:"start"`
	Delta *struct {
		Text    *string `json:"text"`
		ToolUse *struct {
			Input string `json:"input"`
		} `json:"toolUse"`
	} `json:"delta"`
	StopReason string `json:"stopReason"`
	Usage      *usage `json:"usage"`
	Message    string `json:"message"`
}

// atEOF ends a stream that saw messageStop with the usage chunk and [DONE].
func (s *Stream) atEOF() error {
	if !s.stopped {
		return io.ErrUnexpectedEOF
	}
	s.finish()
	return nil
}

// read decodes the next message after checking its declared lengths against the bound.
func (s *Stream) read() (eventstream.Message, error) {
	prelude, err := s.br.Peek(8)
	if len(prelude) == 0 && err == io.EOF {
		return eventstream.Message{}, io.EOF
	}
	if err != nil {
		return eventstream.Message{}, io.ErrUnexpectedEOF
	}
	total, headers := binary.BigEndian.Uint32(prelude), binary.BigEndian.Uint32(prelude[4:])
	if total > MaxMessageBytes || uint64(headers)+16 > uint64(total) {
		return eventstream.Message{}, fmt.Errorf("%w (%d bytes, %d of headers)", ErrMessageTooLarge, total, headers)
	}
	m, err := s.dec.Decode(s.br, s.buf[:0])
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return m, fmt.Errorf("bedrock stream: %w", err)
	}
	s.buf = m.Payload
	return m, nil
}

// finish queues the usage chunk and [DONE].
func (s *Stream) finish() {
	s.Push(s.ch.Usage(s.usage.openai()), oaichat.Done())
	s.Ended = true
}

func header(m eventstream.Message, name string) string {
	if v := m.Headers.Get(name); v != nil {
		return v.String()
	}
	return ""
}

// translate queues the OpenAI events for one event-stream message.
func (s *Stream) translate(m eventstream.Message) error {
	var e streamEvent
	if len(m.Payload) > 0 {
		if err := json.Unmarshal(m.Payload, &e); err != nil {
			return fmt.Errorf("bedrock stream: bad payload: %w", err)
		}
	}
	switch header(m, ":message-type") {
	case "exception":
		typ := header(m, ":exception-type")
		s.Push(oaichat.ErrorEvent(exceptionStatus(typ), e.Message, typ))
		s.Ended = true
		return nil
	case "error":
		code := header(m, ":error-code")
		s.Push(oaichat.ErrorEvent(http.StatusInternalServerError, header(m, ":error-message"), code))
		s.Ended = true
		return nil
	}
	switch header(m, ":event-type") {
	case "messageStart":
		s.Push(s.ch.Role())
	case "contentBlockStart":
		if e.Start != nil && e.Start.ToolUse != nil {
			if len(s.tools) >= 1024 {
				return fmt.Errorf("bedrock stream: too many tool calls")
			}
			i := len(s.tools)
			s.tools[e.ContentBlockIndex] = i
			s.Push(s.ch.ToolCall(oaichat.ToolCallDelta{Index: i, ID: e.Start.ToolUse.ToolUseID, Type: "function",
				Function: oaichat.FunctionDelta{Name: e.Start.ToolUse.Name}}))
		}
	case "contentBlockDelta":
		switch d := e.Delta; {
		case d == nil:
		case d.Text != nil:
			s.Push(s.ch.Text(*d.Text))
		case d.ToolUse != nil:
			if i, ok := s.tools[e.ContentBlockIndex]; ok && d.ToolUse.Input != "" {
				s.Push(s.ch.ToolCall(oaichat.ToolCallDelta{Index: i, Function: oaichat.FunctionDelta{Arguments: d.ToolUse.Input}}))
			}
		}
	case "messageStop":
		s.stopped = true
		s.Push(s.ch.Finish(FinishReason(e.StopReason)))
	case "metadata":
		if e.Usage != nil {
			s.usage = *e.Usage
		}
		if s.stopped {
			s.finish()
		}
	}
	return nil
}

// exceptionStatus maps an in-stream exception type to an HTTP status.
func exceptionStatus(typ string) int {
	switch typ {
	case "throttlingException":
		return http.StatusTooManyRequests
	case "validationException":
		return http.StatusBadRequest
	case "serviceUnavailableException":
		return http.StatusServiceUnavailable
	case "modelStreamErrorException":
		return http.StatusFailedDependency
	}
	return http.StatusInternalServerError
}
