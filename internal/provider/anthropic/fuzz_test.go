package anthropic_test

import (
	"bytes"
	"testing"

	"github.com/switchyard/switchyard/internal/provider/anthropic"
	pt "github.com/switchyard/switchyard/internal/provider/providertest"
)

func FuzzStream(f *testing.F) {
	for _, s := range []string{streamReply, toolStreamReply, errorStreamReply, "data: {}\n\n", "event: ping\n\n",
		"data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":5}\n\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pt.Drain(t, anthropic.NewStream(bytes.NewReader(data)), 10000)
	})
}

func TestStreamBounded(t *testing.T) {
	for _, prefix := range []string{"data: ", "data: {\"type\":\"message_start\"}\n\ndata: \"", ""} {
		r := &pt.Endless{Prefix: []byte(prefix), Fill: 'a'}
		pt.Bounded(t, anthropic.NewStream(r), r, anthropic.MaxEventBytes)
	}
}
