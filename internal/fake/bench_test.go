package fake_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/fake"
)

// discardWriter is a minimal http.ResponseWriter and http.Flusher that drops the answer.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(int)             {}
func (w *discardWriter) Flush()                      {}

func benchmarkHandler(b *testing.B, path, body string) {
	h := fake.NewHandler(fake.Options{RecordLimit: -1, Chunks: 20, Name: "bench"})
	w := &discardWriter{h: make(http.Header)}
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequest(http.MethodPost, "http://fake.invalid"+path, strings.NewReader(body))
		clear(w.h)
		h.ServeHTTP(w, req)
	}
}

func BenchmarkChat(b *testing.B) {
	benchmarkHandler(b, "/v1/chat/completions", `{"model":"gpt-4o","messages":[{"role":"user","content":"hello there"}]}`)
}

func BenchmarkChatStream(b *testing.B) {
	benchmarkHandler(b, "/v1/chat/completions",
		`{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hello there"}]}`)
}

func BenchmarkMessagesStream(b *testing.B) {
	benchmarkHandler(b, "/v1/messages", `{"model":"claude","stream":true,"max_tokens":100,"messages":[{"role":"user","content":"hi"}]}`)
}
