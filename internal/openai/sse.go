package openai

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// MaxEventBytes bounds one SSE event (16 MiB): a hostile upstream cannot grow memory without end.
const MaxEventBytes = 16 << 20

// ErrEventTooLarge is returned by EventReader.Next for an event over its limit.
var ErrEventTooLarge = errors.New("stream event too large")

// EventReader splits a server-sent-events stream into events. Each event is returned raw (its
// lines and the blank line that ends it, as received) so it can be forwarded byte for byte, with
// its data fields joined for inspection.
type EventReader struct {
	br    *bufio.Reader
	raw   []byte
	data  []byte
	limit int
}

// NewEventReader reads events from r; limit ≤ 0 means MaxEventBytes.
func NewEventReader(r io.Reader, limit int) *EventReader {
	if limit <= 0 {
		limit = MaxEventBytes
	}
	return &EventReader{br: bufio.NewReaderSize(r, readBuffer), limit: limit}
}

// readBuffer is an EventReader's read buffer (2 KiB): it holds typical chunks (a few hundred
// bytes) whole — longer lines are gathered in a separate slice — and keeps an idle stream's
// footprint small (the upstream connection's own reader buffers 4 KiB below it).
const readBuffer = 2 << 10

// Ready reports whether a complete event is already buffered, so Next will return it without
// waiting on the stream. A forwarder can leave the current event unflushed and flush both
// together.
func (er *EventReader) Ready() bool {
	b, _ := er.br.Peek(er.br.Buffered())
	b = bytes.TrimLeft(b, "\r\n") // stray blank lines are skipped by Next
	return bytes.Contains(b, []byte("\n\n")) || bytes.Contains(b, []byte("\n\r\n"))
}

// Event is one SSE event. Raw and Data alias the reader's buffers and are valid until the next
// call to Next.
type Event struct {
	// Raw is the event as received, including its terminating blank line.
	Raw []byte
	// Data is the event's data lines joined by "\n", without the "data:" prefix; nil for
	// events that carry no data (comments, keep-alives).
	Data []byte
	// Done is true for "data: [DONE]".
	Done bool
}

// Next returns the next event. At the end of the stream it returns io.EOF if the stream ended
// on an event boundary, io.ErrUnexpectedEOF if it ended inside an event.
func (er *EventReader) Next() (Event, error) {
	er.raw, er.data = er.raw[:0], er.data[:0]
	hasData := false
	for {
		line, err := er.br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// A long line: gather it whole.
			long := append([]byte(nil), line...)
			for err == bufio.ErrBufferFull {
				if len(er.raw)+len(long) > er.limit {
					return Event{}, fmt.Errorf("%w (over %d bytes)", ErrEventTooLarge, er.limit)
				}
				line, err = er.br.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if len(er.raw)+len(line) > er.limit {
			return Event{}, fmt.Errorf("%w (over %d bytes)", ErrEventTooLarge, er.limit)
		}
		if err != nil {
			if err == io.EOF {
				if len(er.raw) == 0 && len(line) == 0 {
					return Event{}, io.EOF
				}
				return Event{}, io.ErrUnexpectedEOF
			}
			return Event{}, err
		}
		er.raw = append(er.raw, line...)
		content := bytes.TrimRight(line, "\r\n")
		if len(content) == 0 {
			if len(er.raw) == len(line) {
				// A stray blank line between events: skip it.
				er.raw = er.raw[:0]
				continue
			}
			ev := Event{Raw: er.raw}
			if hasData {
				ev.Data = er.data
				ev.Done = string(er.data) == "[DONE]"
			}
			return ev, nil
		}
		if v, ok := bytes.CutPrefix(content, []byte("data:")); ok {
			if len(v) > 0 && v[0] == ' ' {
				v = v[1:]
			}
			if hasData {
				er.data = append(er.data, '\n')
			}
			er.data = append(er.data, v...)
			hasData = true
		}
	}
}
