package oaichat

import (
	"io"

	"github.com/switchyard/switchyard/internal/openai"
)

// Pump is the loop every translated stream shares: it hands out the queued OpenAI events and,
// when none is left, reads the next upstream unit U (an SSE event, an NDJSON line, an
// event-stream message) and translates it. A stream embeds a Pump, so its Next is the Pump's.
type Pump[U any] struct {
	Queue
	// Ended is set once the last OpenAI event is queued (after the upstream's end event or an
	// error event): nothing more is read and Next returns io.EOF when the queue is empty.
	Ended bool
	// Read returns the next upstream unit; io.EOF at the end of the body.
	Read func() (U, error)
	// Translate queues the OpenAI events of one unit (none for a unit to skip).
	Translate func(U) error
	// AtEOF is called when the body ends before Ended: it queues the closing events and sets
	// Ended, or returns an error (io.ErrUnexpectedEOF for a stream cut short).
	AtEOF func() error
}

// Next implements provider.EventSource.
func (p *Pump[U]) Next() (openai.Event, error) {
	for {
		if ev, ok := p.Pop(); ok {
			return ev, nil
		}
		if p.Ended {
			return openai.Event{}, io.EOF
		}
		u, err := p.Read()
		if err == io.EOF {
			if err := p.AtEOF(); err != nil {
				return openai.Event{}, err
			}
			if !p.Ended {
				return openai.Event{}, io.ErrUnexpectedEOF
			}
			continue
		}
		if err != nil {
			return openai.Event{}, err
		}
		if err := p.Translate(u); err != nil {
			return openai.Event{}, err
		}
	}
}

// CutShort is an AtEOF for streams that must see their end event: the body ending first is
// io.ErrUnexpectedEOF.
func CutShort() error { return io.ErrUnexpectedEOF }
