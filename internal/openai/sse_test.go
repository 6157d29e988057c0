package openai

import (
	"io"
	"strings"
	"testing"
)

// Ready says whether Next can return without waiting: a whole event is buffered.
func TestEventReaderReady(t *testing.T) {
	for _, tc := range []struct {
		stream string
		want   bool // after reading the first event
	}{
		{"data: a\n\ndata: b\n\n", true},
		{"data: a\r\n\r\ndata: b\r\n\r\n", true},
		{"data: a\n\ndata: b\n", false},           // second event not finished
		{"data: a\n\n\n\n", false},                // only stray blank lines follow
		{"data: a\n\n\r\n: keep-alive\n\n", true}, // a comment is an event too
		{"data: a\n\n", false},
	} {
		er := NewEventReader(strings.NewReader(tc.stream), 0)
		if _, err := er.Next(); err != nil {
			t.Fatalf("%q: %v", tc.stream, err)
		}
		if got := er.Ready(); got != tc.want {
			t.Errorf("%q: Ready() = %v, want %v", tc.stream, got, tc.want)
		}
	}
}

// Events longer than the read buffer are read whole.
func TestEventReaderLongEvent(t *testing.T) {
	long := strings.Repeat("x", 3*readBuffer)
	er := NewEventReader(strings.NewReader("data: "+long+"\n\ndata: [DONE]\n\n"), 0)
	ev, err := er.Next()
	if err != nil || string(ev.Data) != long {
		t.Fatalf("long event: %d bytes, %v", len(ev.Data), err)
	}
	if ev, err = er.Next(); err != nil || !ev.Done {
		t.Fatalf("after the long event: %+v, %v", ev, err)
	}
	if _, err = er.Next(); err != io.EOF {
		t.Fatalf("at the end: %v, want EOF", err)
	}
}
