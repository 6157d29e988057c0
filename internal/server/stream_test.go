package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/switchyard/switchyard/internal/fake"
)

func oneDeployment(url string) string {
	return fmt.Sprintf(`model_list:
  - model_name: gpt-3.5-turbo
    litellm_params: {model: azure/chat, api_base: %s, api_key: azure-key, api_version: "2024-10-21"}
`, url)
}

func sdkClient(g *gateway) openai.Client {
	return openai.NewClient(option.WithBaseURL(g.URL+"/v1"), option.WithAPIKey("sk-client"),
		option.WithMaxRetries(0), option.WithHTTPClient(g.Client()))
}

func TestStreamingThroughSDK(t *testing.T) {
	up := startUpstream(t, fake.Options{Chunks: 10, ChunkGap: 100 * time.Millisecond})
	g := startGateway(t, oneDeployment(up.URL), Options{})
	client := sdkClient(g)
	stream := client.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{
		Model:    "gpt-3.5-turbo",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("count to ten")},
	})
	var arrivals []time.Time
	var content strings.Builder
	for stream.Next() {
		c := stream.Current()
		if len(c.Choices) > 0 && c.Choices[0].Delta.Content != "" {
			arrivals = append(arrivals, time.Now())
			content.WriteString(c.Choices[0].Delta.Content)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream error: %v", err)
	}
	if len(arrivals) != 10 {
		t.Fatalf("got %d content chunks, want 10", len(arrivals))
	}
	// Ten chunks 100 ms apart: the first must arrive long before the last (≈ 900 ms), which
	// proves the gateway flushes per event rather than buffering the stream.
	if spread := arrivals[9].Sub(arrivals[0]); spread < 600*time.Millisecond {
		t.Errorf("first and last chunk arrived %v apart, want ≥ 600 ms (chunks 100 ms apart)", spread)
	}
	// Content intact: the same as the upstream streams to a direct client.
	direct := openai.NewClient(option.WithBaseURL(up.URL+"/openai/deployments/chat"), option.WithAPIKey("x"),
		option.WithMaxRetries(0), option.WithQuery("api-version", "2024-10-21"))
	ds := direct.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{
		Model:    "gpt-3.5-turbo",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("count to ten")},
	})
	var want strings.Builder
	for ds.Next() {
		if c := ds.Current(); len(c.Choices) > 0 {
			want.WriteString(c.Choices[0].Delta.Content)
		}
	}
	if got := content.String(); got != want.String() || got == "" {
		t.Errorf("content %q, want the upstream's %q", got, want.String())
	}

	// The raw stream is byte-for-byte SSE ending in [DONE].
	resp, b := g.post(t, "/v1/chat/completions", `{"model":"gpt-3.5-turbo","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("got status %d content type %q, want 200 text/event-stream", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if !strings.HasSuffix(string(b), "data: [DONE]\n\n") {
		t.Errorf("stream does not end with [DONE]: %q", b[max(0, len(b)-80):])
	}
	if resp.Header.Get("x-litellm-model-id") == "" {
		t.Error("streamed answer lacks x-litellm-model-id")
	}
}

func TestNonStreamingThroughSDK(t *testing.T) {
	up := startUpstream(t, fake.Options{Text: "hello from the fake"})
	g := startGateway(t, oneDeployment(up.URL), Options{})
	client := sdkClient(g)
	resp, err := client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model:    "gpt-3.5-turbo",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Choices) != 1 || !strings.Contains(resp.Choices[0].Message.Content, "hello from the fake") {
		t.Errorf("got %+v, want the fake's text", resp.Choices)
	}
	if resp.Usage.TotalTokens == 0 {
		t.Error("usage missing from the answer")
	}
	emb, err := client.Embeddings.New(context.Background(), openai.EmbeddingNewParams{
		Model: "gpt-3.5-turbo",
		Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"a", "b"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(emb.Data) != 2 {
		t.Errorf("got %d embeddings, want 2", len(emb.Data))
	}
	if p := up.h.Requests()[1].Path; p != "/openai/deployments/chat/embeddings" {
		t.Errorf("embeddings went to %q, want /openai/deployments/chat/embeddings", p)
	}
	// Errors come back as SDK errors with the upstream's status.
	_, err = client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model:    "no-such-model",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
	})
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || !strings.Contains(apiErr.Message, "no-such-model") {
		t.Errorf("unknown model: got %v, want a 400 naming the model", err)
	}
}

func TestClientGoneMidStreamCancelsUpstream(t *testing.T) {
	up := startUpstream(t, fake.Options{Chunks: 100, ChunkGap: 50 * time.Millisecond})
	g := startGateway(t, oneDeployment(up.URL), Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, g.URL+"/v1/chat/completions",
		strings.NewReader(`{"model":"gpt-3.5-turbo","stream":true,"messages":[{"role":"user","content":"hi"}]}`))
	resp, err := g.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(resp.Body)
	for range 3 {
		if _, err := br.ReadString('\n'); err != nil {
			t.Fatalf("reading the first events: %v", err)
		}
	}
	cancel()
	resp.Body.Close()
	rec := up.h.Requests()[0]
	select {
	case <-rec.Cancelled:
	case <-rec.Done:
		if !rec.WasCancelled() {
			t.Error("the upstream finished its 100-chunk stream: the client's departure did not cancel it")
		}
	case <-time.After(10 * time.Second):
		t.Error("the upstream did not see its request cancelled within 10 s")
	}
	waitFor(t, func() bool { return g.srv.Table().All()[0].InFlight.Load() == 0 }, "in-flight back to 0")
}

func TestClientGoneBeforeAnswerCancelsUpstream(t *testing.T) {
	up := startUpstream(t, fake.Options{Latency: 30 * time.Second})
	g := startGateway(t, oneDeployment(up.URL), Options{})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, g.URL+"/v1/chat/completions",
		strings.NewReader(fmt.Sprintf(chat, "gpt-3.5-turbo")))
	done := make(chan struct{})
	go func() {
		defer close(done)
		if resp, err := g.Client().Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	waitFor(t, func() bool { return up.h.Count() == 1 }, "the upstream got the request")
	cancel()
	<-done
	select {
	case <-up.h.Requests()[0].Cancelled:
	case <-time.After(10 * time.Second):
		t.Error("the upstream did not see its request cancelled within 10 s")
	}
	if n := up.h.Count(); n != 1 {
		t.Errorf("got %d upstream attempts, want 1 (no retry after the client left)", n)
	}
}

// waitFor polls cond (every 5 ms, up to 10 s) and fails the test with what if it never holds.
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// countingUpstream serves h on 127.0.0.1 and counts the connections opened to it.
func countingUpstream(t *testing.T, h http.Handler) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var conns atomic.Int64
	s := httptest.NewUnstartedServer(h)
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s, &conns
}

const gptStreamBody = `{"model":"gpt-3.5-turbo","stream":true,"messages":[{"role":"user","content":"hi"}]}`

func openaiDeployment(url string) string {
	return fmt.Sprintf(`model_list:
  - model_name: gpt-3.5-turbo
    litellm_params: {model: openai/gpt-3.5-turbo, api_base: %s/v1, api_key: sk-up}
`, url)
}

// TestStreamsReuseUpstreamConnections: a finished stream leaves its upstream connection
// reusable. The upstream here ends its response 30 ms after [DONE], so a gateway that closed
// the body at [DONE] would lose the connection every time; it reads the body to its end.
func TestStreamsReuseUpstreamConnections(t *testing.T) {
	fk := fake.NewHandler(fake.Options{Chunks: 3})
	up, conns := countingUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fk.ServeHTTP(w, r) // flushes every event, [DONE] included
		time.Sleep(30 * time.Millisecond)
	}))
	g := startGateway(t, openaiDeployment(up.URL), Options{})
	const streams = 10
	for range streams {
		resp, body := g.post(t, "/v1/chat/completions", gptStreamBody)
		if resp.StatusCode != 200 || !strings.HasSuffix(string(body), "data: [DONE]\n\n") {
			t.Fatalf("status %d, body %q", resp.StatusCode, body)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d sequential streams opened %d upstream connections; want them to share one", streams, n)
	}
}

// TestStreamOpenAfterDone: an upstream that keeps its response open after [DONE] does not
// hold the client: the client's response ends within the drain bound (250 ms; 10× allowed)
// and the upstream request is cancelled.
func TestStreamOpenAfterDone(t *testing.T) {
	fk := fake.NewHandler(fake.Options{Chunks: 3})
	cancelled := make(chan struct{})
	up, _ := countingUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fk.ServeHTTP(w, r)
		select {
		case <-r.Context().Done():
			close(cancelled)
		case <-time.After(10 * time.Second):
		}
	}))
	g := startGateway(t, openaiDeployment(up.URL), Options{})
	start := time.Now()
	resp, body := g.post(t, "/v1/chat/completions", gptStreamBody)
	if took := time.Since(start); took > 2500*time.Millisecond {
		t.Errorf("the client's response took %v; want it to end within the 250 ms drain bound", took)
	}
	if resp.StatusCode != 200 || !strings.HasSuffix(string(body), "data: [DONE]\n\n") {
		t.Fatalf("status %d, body %q", resp.StatusCode, body)
	}
	select {
	case <-cancelled:
	case <-time.After(5 * time.Second):
		t.Error("the upstream request was not cancelled after the drain bound")
	}
}
