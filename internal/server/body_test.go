package server

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/switchyard/switchyard/internal/fake"
)

// Client bodies are read into pooled buffers and patched into pooled upstream bodies. Under
// concurrency, with sizes on both sides of the pooling threshold, streaming and not, every
// upstream request carries exactly its own client's messages.
func TestPooledBodiesArriveIntact(t *testing.T) {
	up := startUpstream(t, fake.Options{})
	g := startGateway(t, fmt.Sprintf(`model_list:
  - model_name: m
    litellm_params: {model: openai/m, api_base: %s/v1, api_key: sk-test}
`, up.URL), Options{})
	sizes := []int{10, 3 << 10, 5 << 10, 16 << 10, 100 << 10}
	const perSize = 8
	var wg sync.WaitGroup
	for i := range len(sizes) * perSize {
		wg.Go(func() {
			// Each prompt is unique: its index, then filler of one letter.
			prompt := fmt.Sprintf("req-%03d ", i) + strings.Repeat(string(rune('a'+i%26)), sizes[i%len(sizes)])
			body := fmt.Sprintf(`{"model":"m","stream":%t,"messages":[{"role":"user","content":%q}]}`, i%2 == 0, prompt)
			resp, b := g.post(t, "/v1/chat/completions", body)
			if resp.StatusCode != 200 {
				t.Errorf("request %d: status %d: %s", i, resp.StatusCode, b)
			}
		})
	}
	wg.Wait()
	got := map[string]bool{}
	for _, r := range up.h.Requests() {
		var req struct {
			Messages []struct{ Content string } `json:"messages"`
		}
		if err := json.Unmarshal(r.Body, &req); err != nil || len(req.Messages) != 1 {
			t.Fatalf("upstream got a body that is not one message (%v): %.200s", err, r.Body)
		}
		c := req.Messages[0].Content
		var i int
		fmt.Sscanf(c, "req-%03d ", &i)
		want := fmt.Sprintf("req-%03d ", i) + strings.Repeat(string(rune('a'+i%26)), sizes[i%len(sizes)])
		if c != want {
			t.Errorf("request %d arrived altered: %d bytes, want %d (first difference at %d)", i, len(c), len(want), firstDiff(c, want))
		}
		got[c[:8]] = true
	}
	if len(got) != len(sizes)*perSize {
		t.Errorf("upstream saw %d distinct prompts, want %d", len(got), len(sizes)*perSize)
	}
}

func firstDiff(a, b string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// Non-streaming answers carry a Content-Length equal to their body, small or large, and are
// not chunked.
func TestAnswersCarryContentLength(t *testing.T) {
	for _, words := range []int{5, 2000} {
		up := startUpstream(t, fake.Options{OutputTokens: words})
		g := startGateway(t, fmt.Sprintf(`model_list:
  - model_name: m
    litellm_params: {model: openai/m, api_base: %s/v1, api_key: sk-test}
`, up.URL), Options{})
		resp, b := g.post(t, "/v1/chat/completions", fmt.Sprintf(chat, "m"))
		if resp.StatusCode != 200 || resp.ContentLength != int64(len(b)) || len(resp.TransferEncoding) > 0 {
			t.Errorf("%d-word answer: status %d, Content-Length %d for %d bytes, Transfer-Encoding %v",
				words, resp.StatusCode, resp.ContentLength, len(b), resp.TransferEncoding)
		}
		if words == 2000 && len(b) <= 2048 {
			t.Errorf("the large answer is only %d bytes", len(b))
		}
	}
}
