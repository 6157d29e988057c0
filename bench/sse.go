package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"
)

var (
	// errStreamError is an OpenAI-shaped error event inside a stream.
	errStreamError = errors.New("stream carried an error event")
	// errNoDone is a stream that ended without "data: [DONE]": broken, not finished.
	errNoDone = errors.New("stream ended without [DONE]")
)

// streamTiming is what readSSE saw of one server-sent-events answer.
type streamTiming struct {
	// TTFB is the time from the request's start to the first data event (0 if none came).
	TTFB time.Duration
	// Events counts data events, not counting the final [DONE].
	Events int
	// Done reports whether "data: [DONE]" arrived.
	Done bool
}

// sseReader times the data events of a stream. A zero sseReader is not usable; set now.
type sseReader struct {
	// now returns the current time; time.Now outside tests.
	now func() time.Time
	// onFirst, if set, is called once when the first data event arrives.
	onFirst func()
}

var (
	dataPrefix = []byte("data:")
	doneData   = []byte("[DONE]")
	errorData  = []byte(`{"error"`)
)

// read consumes r to its end, timing each "data:" line from start: the first gives TTFB,
// each later one (up to and including [DONE]'s predecessor) appends the gap since the
// previous one to gaps. It returns the (possibly grown) gaps, and an error for a read
// failure, an error event, or a stream that ends without [DONE]. Comment lines, event:
// and id: fields and blank lines are skipped; lines may end in \n or \r\n.
func (s sseReader) read(r *bufio.Reader, start time.Time, gaps []time.Duration) (streamTiming, []time.Duration, error) {
	var st streamTiming
	var last time.Time
	for {
		line, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) { // an event longer than the buffer
			head := bytes.Clone(line) // ReadBytes overwrites the buffer line points into
			rest, err2 := r.ReadBytes('\n')
			line, err = append(head, rest...), err2
		}
		if data, ok := bytes.CutPrefix(line, dataPrefix); ok {
			t := s.now()
			data = bytes.TrimSpace(data)
			switch {
			case bytes.Equal(data, doneData):
				st.Done = true
			case bytes.HasPrefix(data, errorData):
				return st, gaps, errStreamError
			default:
				if st.Events == 0 {
					st.TTFB = t.Sub(start)
					if s.onFirst != nil {
						s.onFirst()
					}
				} else {
					gaps = append(gaps, t.Sub(last))
				}
				last = t
				st.Events++
			}
		}
		switch {
		case err == io.EOF && st.Done:
			return st, gaps, nil
		case err == io.EOF:
			return st, gaps, errNoDone
		case err != nil:
			return st, gaps, fmt.Errorf("reading stream: %w", err)
		}
	}
}
