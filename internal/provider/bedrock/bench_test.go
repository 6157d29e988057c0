package bedrock_test

import (
	"io"
	"testing"

	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/provider/bedrock"
	pt "github.com/switchyard/switchyard/internal/provider/providertest"
)

func BenchmarkRequest(b *testing.B) {
	pt.BenchRequest(b, newProvider(b, "http://127.0.0.1:9", false), pt.RequestBody(pt.CaseToolResult, model))
}

func BenchmarkStream(b *testing.B) {
	head := frames(b, "messageStart", `{"role":"assistant"}`)
	delta := frames(b, "contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Hello!"}}`)
	tail := frames(b, "contentBlockStop", `{"contentBlockIndex":0}`, "messageStop", `{"stopReason":"end_turn"}`,
		"metadata", `{"usage":{"inputTokens":10,"outputTokens":5,"totalTokens":15}}`)
	pt.BenchStream(b, func(r io.Reader) provider.EventSource { return bedrock.NewStream(r) }, head, delta, tail)
}
