package ollama_test

import (
	"bytes"
	"testing"

	"github.com/switchyard/switchyard/internal/provider/ollama"
	pt "github.com/switchyard/switchyard/internal/provider/providertest"
)

func FuzzStream(f *testing.F) {
	for _, s := range []string{streamReply, toolStreamReply, errorStreamReply, "{}\n", "\n\n", `{"done":true}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pt.Drain(t, ollama.NewStream(bytes.NewReader(data)), 10000)
	})
}

func TestStreamBounded(t *testing.T) {
	r := &pt.Endless{Prefix: []byte(`{"message":{"content":"`), Fill: 'a'}
	pt.Bounded(t, ollama.NewStream(r), r, ollama.MaxLineBytes)
}
