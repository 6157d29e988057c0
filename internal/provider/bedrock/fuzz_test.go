package bedrock_test

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/switchyard/switchyard/internal/provider/bedrock"
	pt "github.com/switchyard/switchyard/internal/provider/providertest"
)

func FuzzStream(f *testing.F) {
	f.Add([]byte(frames(f, "messageStart", `{"role":"assistant"}`, "contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Hi"}}`,
		"messageStop", `{"stopReason":"end_turn"}`, "metadata", `{"usage":{"inputTokens":1,"outputTokens":1}}`)))
	f.Add([]byte(frames(f, "contentBlockStart", `{"contentBlockIndex":3,"start":{"toolUse":{"toolUseId":"t","name":"f"}}}`,
		"contentBlockDelta", `{"contentBlockIndex":3,"delta":{"toolUse":{"input":"{"}}}`)))
	f.Add([]byte(frames(f, "!throttlingException", `{"message":"slow down"}`)))
	f.Add([]byte{0, 0, 0, 16, 0, 0, 0, 0, 1, 2, 3, 4})
	f.Fuzz(func(t *testing.T, data []byte) {
		pt.Drain(t, bedrock.NewStream(bytes.NewReader(data)), 10000)
	})
}

func TestStreamBounded(t *testing.T) {
	for _, lens := range [][2]uint32{{1 << 31, 0}, {64, 1 << 30}, {bedrock.MaxMessageBytes, 0}} {
		prefix := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, lens[0]), lens[1])
		r := &pt.Endless{Prefix: prefix, Fill: 'a'}
		pt.Bounded(t, bedrock.NewStream(r), r, bedrock.MaxMessageBytes)
	}
}
