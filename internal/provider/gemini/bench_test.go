package gemini_test

import (
	"io"
	"testing"

	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/provider/gemini"
	pt "github.com/switchyard/switchyard/internal/provider/providertest"
)

func BenchmarkRequest(b *testing.B) {
	pt.BenchRequest(b, newProvider(b, "http://127.0.0.1:9", false), pt.RequestBody(pt.CaseToolResult, "gemini-test"))
}

func BenchmarkStream(b *testing.B) {
	pt.BenchStream(b, func(r io.Reader) provider.EventSource { return gemini.NewStream(r) }, "",
		"data: "+`{"candidates":[{"content":{"role":"model","parts":[{"text":"Hello!"}]},"index":0}],"modelVersion":"gemini-test"}`+"\r\n\r\n",
		"data: "+answer(text(" How can I help?"), "STOP", 10, 5)+"\r\n\r\n")
}
