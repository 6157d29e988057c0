package main

import (
	"bufio"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

// pacedReader hands out one piece per Read and moves a fake clock forward step first, as if
// each piece arrived step after the previous one.
type pacedReader struct {
	pieces []string
	now    time.Time
	step   time.Duration
}

func (p *pacedReader) Read(b []byte) (int, error) {
	if len(p.pieces) == 0 {
		return 0, io.EOF
	}
	p.now = p.now.Add(p.step)
	n := copy(b, p.pieces[0])
	p.pieces[0] = p.pieces[0][n:]
	if p.pieces[0] == "" {
		p.pieces = p.pieces[1:]
	}
	return n, nil
}

func TestSSEReader(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name     string
		pieces   []string
		want     streamTiming
		wantGaps []time.Duration
		wantErr  error
	}{
		{
			name: "role, three chunks, done",
			pieces: []string{"data: {\"role\"}\n\n", "data: {\"c\":1}\n\n", "data: {\"c\":2}\n\n",
				"data: {\"c\":3}\n\n", "data: [DONE]\n\n"},
			want:     streamTiming{TTFB: 1 * ms, Events: 4, Done: true},
			wantGaps: []time.Duration{ms, ms, ms},
		},
		{
			name:     "comments, event fields and CRLF are skipped",
			pieces:   []string{": keep-alive\r\n\r\n", "event: x\r\ndata: {\"c\":1}\r\n\r\n", "data:{\"c\":2}\r\n\r\ndata: [DONE]\r\n\r\n"},
			want:     streamTiming{TTFB: 2 * ms, Events: 2, Done: true},
			wantGaps: []time.Duration{ms},
		},
		{
			name:     "two events in one read have no gap",
			pieces:   []string{"data: {\"c\":1}\n\ndata: {\"c\":2}\n\n", "data: [DONE]\n\n"},
			want:     streamTiming{TTFB: ms, Events: 2, Done: true},
			wantGaps: []time.Duration{0},
		},
		{
			name:    "error event",
			pieces:  []string{"data: {\"c\":1}\n\n", "data: {\"error\":{\"message\":\"boom\"}}\n\n"},
			want:    streamTiming{TTFB: ms, Events: 1},
			wantErr: errStreamError,
		},
		{
			name:    "no [DONE]",
			pieces:  []string{"data: {\"c\":1}\n\n"},
			want:    streamTiming{TTFB: ms, Events: 1},
			wantErr: errNoDone,
		},
		{
			name:     "an event longer than the buffer",
			pieces:   []string{"data: {\"c\":\"" + strings.Repeat("x", 100) + "\"}\n\n", "data: [DONE]\n\n"},
			want:     streamTiming{TTFB: 8 * ms, Events: 1, Done: true}, // 8 reads of 16 bytes
			wantGaps: nil,
		},
	}
	for _, tt := range tests {
		start := time.Unix(1000, 0)
		pr := &pacedReader{pieces: slices.Clone(tt.pieces), now: start, step: ms}
		size := 4096
		if tt.name == "an event longer than the buffer" {
			pr.pieces, size = splitEvery(pr.pieces[0], 32, pr.pieces[1:]), 16
		}
		firsts := 0
		r := sseReader{now: func() time.Time { return pr.now }, onFirst: func() { firsts++ }}
		got, gaps, err := r.read(bufio.NewReaderSize(pr, size), start, nil)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("%s: error %v, want %v", tt.name, err, tt.wantErr)
		}
		if got != tt.want {
			t.Errorf("%s: timing %+v, want %+v", tt.name, got, tt.want)
		}
		if !slices.Equal(gaps, tt.wantGaps) {
			t.Errorf("%s: gaps %v, want %v", tt.name, gaps, tt.wantGaps)
		}
		if want := min(1, tt.want.Events); firsts != want {
			t.Errorf("%s: onFirst called %d times, want %d", tt.name, firsts, want)
		}
	}
}

// splitEvery cuts s into pieces of n bytes and appends rest.
func splitEvery(s string, n int, rest []string) []string {
	var out []string
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	return append(append(out, s), rest...)
}
