package ollama_test

import (
	"io"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/provider/ollama"
	pt "github.com/switchyard/switchyard/internal/provider/providertest"
)

func BenchmarkRequest(b *testing.B) {
	pt.BenchRequest(b, newProvider(b, "http://127.0.0.1:9", false), pt.RequestBody(pt.CaseToolResult, "llama3"))
}

func BenchmarkStream(b *testing.B) {
	first, tail, _ := strings.Cut(streamReply, "\n")
	pt.BenchStream(b, func(r io.Reader) provider.EventSource { return ollama.NewStream(r) }, "", first+"\n", tail)
}
