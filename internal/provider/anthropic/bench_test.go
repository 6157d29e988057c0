package anthropic_test

import (
	"io"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/provider/anthropic"
	pt "github.com/switchyard/switchyard/internal/provider/providertest"
)

func BenchmarkRequest(b *testing.B) {
	pt.BenchRequest(b, newProvider(b, "http://127.0.0.1:9", false), pt.RequestBody(pt.CaseToolResult, "claude-test"))
}

func BenchmarkStream(b *testing.B) {
	head, rest, _ := strings.Cut(streamReply, "event: content_block_delta")
	delta, tail, _ := strings.Cut(rest, "event: content_block_delta")
	pt.BenchStream(b, func(r io.Reader) provider.EventSource { return anthropic.NewStream(r) },
		head, "event: content_block_delta"+delta, "event: content_block_delta"+tail)
}
