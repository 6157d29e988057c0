package providertest

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/provider"
)

// BenchRequest measures p.NewRequest for a chat body (translation, and signing where the
// provider signs).
func BenchRequest(b *testing.B, p provider.Provider, body []byte) {
	b.ReportAllocs()
	ctx := context.Background()
	for b.Loop() {
		if _, err := p.NewRequest(ctx, provider.Chat, body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchStream measures translating a whole upstream stream per op — head, then the content
// event repeated 100 times, then tail — and reports the cost per translated OpenAI event as
// ns/event (the per-stream setup is spread over the events, as in a real answer).
func BenchStream(b *testing.B, open func(io.Reader) provider.EventSource, head, repeated, tail string) {
	reply := []byte(head + strings.Repeat(repeated, 100) + tail)
	b.ReportAllocs()
	events := 0
	for b.Loop() {
		src := open(bytes.NewReader(reply))
		for {
			if _, err := src.Next(); err != nil {
				if err != io.EOF {
					b.Fatal(err)
				}
				break
			}
			events++
		}
	}
	if events > 0 {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events), "ns/event")
	}
}
