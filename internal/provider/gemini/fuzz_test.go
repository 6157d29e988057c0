package gemini_test

import (
	"bytes"
	"testing"

	"github.com/switchyard/switchyard/internal/provider/gemini"
	pt "github.com/switchyard/switchyard/internal/provider/providertest"
)

func FuzzStream(f *testing.F) {
	for _, s := range []string{
		"data: " + answer(text("Hi"), "STOP", 1, 1) + "\n\n",
		"data: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"name\":\"f\",\"args\":{}}}]}}]}\n\n",
		"data: {\"error\":{\"code\":429,\"message\":\"quota\",\"status\":\"RESOURCE_EXHAUSTED\"}}\n\n",
		"data: {\"promptFeedback\":{\"blockReason\":\"SAFETY\"}}\n\n", "data: []\n\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pt.Drain(t, gemini.NewStream(bytes.NewReader(data)), 10000)
	})
}

func TestStreamBounded(t *testing.T) {
	r := &pt.Endless{Prefix: []byte("data: "), Fill: 'a'}
	pt.Bounded(t, gemini.NewStream(r), r, gemini.MaxEventBytes)
}
