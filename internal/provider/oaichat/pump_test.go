package oaichat

import (
	"errors"
	"io"
	"testing"

	"github.com/switchyard/switchyard/internal/openai"
)

// lines is a Pump over a list of units: "" is skipped, "end" ends the stream.
func lines(units []string, atEOF func(p *Pump[string]) error) *Pump[string] {
	p := &Pump[string]{}
	i := 0
	p.Read = func() (string, error) {
		if i == len(units) {
			return "", io.EOF
		}
		i++
		return units[i-1], nil
	}
	p.Translate = func(u string) error {
		switch u {
		case "":
		case "bad":
			return errors.New("bad unit")
		case "end":
			p.Push(Done())
			p.Ended = true
		default:
			p.Push(RawEvent([]byte(u)), RawEvent([]byte(u+"!")))
		}
		return nil
	}
	p.AtEOF = func() error { return atEOF(p) }
	return p
}

func drain(p *Pump[string]) (got []string, err error) {
	for {
		ev, err := p.Next()
		if err != nil {
			return got, err
		}
		if ev.Done {
			got = append(got, "[DONE]")
		} else {
			got = append(got, string(ev.Data))
		}
	}
}

func TestPump(t *testing.T) {
	cutShort := func(*Pump[string]) error { return CutShort() }
	closing := func(p *Pump[string]) error { p.Push(Done()); p.Ended = true; return nil }
	silent := func(*Pump[string]) error { return nil }
	tests := []struct {
		name  string
		units []string
		atEOF func(*Pump[string]) error
		want  []string
		err   error
	}{
		{"end event", []string{"a", "", "b", "end", "never read"}, cutShort, []string{"a", "a!", "b", "b!", "[DONE]"}, io.EOF},
		{"cut short", []string{"a"}, cutShort, []string{"a", "a!"}, io.ErrUnexpectedEOF},
		{"closed at EOF", []string{"a"}, closing, []string{"a", "a!", "[DONE]"}, io.EOF},
		{"AtEOF that neither ends nor fails", []string{"a"}, silent, []string{"a", "a!"}, io.ErrUnexpectedEOF},
		{"bad unit", []string{"a", "bad", "c"}, cutShort, []string{"a", "a!"}, nil},
	}
	for _, tt := range tests {
		got, err := drain(lines(tt.units, tt.atEOF))
		if len(got) != len(tt.want) || (tt.err != nil && !errors.Is(err, tt.err)) || (tt.err == nil && err.Error() != "bad unit") {
			t.Errorf("%s: got %q, %v; want %q, %v", tt.name, got, err, tt.want, tt.err)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%s: event %d: got %q, want %q", tt.name, i, got[i], tt.want[i])
			}
		}
	}
	var _ interface{ Next() (openai.Event, error) } = &Pump[string]{}
}
