package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/fake"
)

// ollamaUpstream is a fake Ollama server on 127.0.0.1: POST /api/chat answers "hello from
// ollama" (NDJSON when streaming), as Ollama's own /api/chat does. It counts its requests.
type ollamaUpstream struct {
	URL  string
	hits atomic.Int64
}

func startOllama(t *testing.T) *ollamaUpstream {
	o := &ollamaUpstream{}
	o.URL = startUpstreamHandler(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.hits.Add(1)
		var req struct {
			Model    string            `json:"model"`
			Stream   bool              `json:"stream"`
			Messages []json.RawMessage `json:"messages"`
		}
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path != "/api/chat" || json.Unmarshal(body, &req) != nil || req.Model != "llama3" || len(req.Messages) == 0 {
			t.Errorf("ollama fake: unexpected request %s %s", r.URL, body)
			http.Error(w, `{"error":"bad request"}`, http.StatusBadRequest)
			return
		}
		const done = `"done":true,"done_reason":"stop","prompt_eval_count":7,"eval_count":3}`
		if !req.Stream {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"model":"llama3","message":{"role":"assistant","content":"hello from ollama"},`+done)
			return
		}
		w.Header().Set("Content-Type", "application/x-ndjson")
		for _, part := range []string{"hello ", "from ", "ollama"} {
			fmt.Fprintf(w, `{"model":"llama3","message":{"role":"assistant","content":%q},"done":false}`+"\n", part)
		}
		io.WriteString(w, `{"model":"llama3","message":{"role":"assistant","content":""},`+done+"\n")
	}))
	return o
}

// mixedGroup is one group "chat" of four deployments in this order: azure, openai, anthropic,
// ollama_chat, each naming itself in its answers.
func mixedGroup(azure, oai, anthropic, ollama string) string {
	return fmt.Sprintf(`model_list:
  - model_name: chat
    litellm_params: {model: azure/gpt-4o-mini, api_base: %s, api_key: azure-key, api_version: "2024-10-21"}
    model_info: {id: chat-azure}
  - model_name: chat
    litellm_params: {model: openai/gpt-4o-mini, api_base: %s/v1, api_key: sk-openai-key}
    model_info: {id: chat-openai}
  - model_name: chat
    litellm_params: {model: anthropic/claude-3-5-haiku-latest, api_base: %s, api_key: sk-ant-key}
    model_info: {id: chat-anthropic}
  - model_name: chat
    litellm_params: {model: ollama_chat/llama3, api_base: %s}
    model_info: {id: chat-ollama}
router_settings:
  num_retries: 3
  cooldown_time: 30
litellm_settings:
  drop_params: true
`, azure, oai, anthropic, ollama)
}

// cycle is a Rand that picks the deployments of an n-deployment group in turn (simple-shuffle
// without weights picks candidate ⌊r·n⌋).
func cycle(n int) func() float64 {
	var i atomic.Int64
	return func() float64 { return (float64((i.Add(1)-1)%int64(n)) + 0.5) / float64(n) }
}

// mixedGateway starts the four upstreams and a gateway over mixedGroup.
func mixedGateway(t *testing.T, rand func() float64) (*gateway, map[string]func() int) {
	az := startUpstream(t, fake.Options{Text: "hello from azure"})
	oai := startUpstream(t, fake.Options{Text: "hello from openai"})
	ant := startUpstream(t, fake.Options{Text: "hello from anthropic"})
	oll := startOllama(t)
	g := startGateway(t, mixedGroup(az.URL, oai.URL, ant.URL, oll.URL), Options{Rand: rand})
	return g, map[string]func() int{
		"chat-azure": az.h.Count, "chat-openai": oai.h.Count, "chat-anthropic": ant.h.Count,
		"chat-ollama": func() int { return int(oll.hits.Load()) },
	}
}

// TestMixedGroupThroughSDK sends a group of azure, openai, anthropic and ollama deployments
// chat completions through the official OpenAI SDK, plain and streamed: every provider serves
// in turn, its answer comes back in OpenAI's shape and x-litellm-model-id names it.
func TestMixedGroupThroughSDK(t *testing.T) {
	g, hits := mixedGateway(t, cycle(4))
	client := sdkClient(g)
	order := []string{"chat-azure", "chat-openai", "chat-anthropic", "chat-ollama"}
	params := openai.ChatCompletionNewParams{
		Model:    "chat",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("Be brief."), openai.UserMessage("hi")},
	}
	for _, id := range order {
		var hr *http.Response
		resp, err := client.Chat.Completions.New(context.Background(), params, option.WithResponseInto(&hr))
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if got := hr.Header.Get("x-litellm-model-id"); got != id {
			t.Errorf("x-litellm-model-id: got %q, want %q", got, id)
		}
		provider := strings.TrimPrefix(id, "chat-")
		if len(resp.Choices) != 1 || !strings.Contains(resp.Choices[0].Message.Content, "hello from "+provider) ||
			resp.Choices[0].FinishReason != "stop" {
			t.Errorf("%s: got choices %+v, want one answer from %s finishing with stop", id, resp.Choices, provider)
		}
		if resp.Usage.PromptTokens == 0 || resp.Usage.TotalTokens != resp.Usage.PromptTokens+resp.Usage.CompletionTokens {
			t.Errorf("%s: usage %+v, want prompt tokens and a consistent total", id, resp.Usage)
		}
	}
	for _, id := range order {
		var hr *http.Response
		stream := client.Chat.Completions.NewStreaming(context.Background(), params, option.WithResponseInto(&hr))
		var content strings.Builder
		var finish string
		for stream.Next() {
			c := stream.Current()
			if len(c.Choices) > 0 {
				content.WriteString(c.Choices[0].Delta.Content)
				if c.Choices[0].FinishReason != "" {
					finish = c.Choices[0].FinishReason
				}
			}
		}
		if err := stream.Err(); err != nil {
			t.Fatalf("%s stream: %v", id, err)
		}
		if got := hr.Header.Get("x-litellm-model-id"); got != id {
			t.Errorf("stream x-litellm-model-id: got %q, want %q", got, id)
		}
		if provider := strings.TrimPrefix(id, "chat-"); !strings.Contains(content.String(), "hello from "+provider) || finish != "stop" {
			t.Errorf("%s stream: content %q finish %q, want the answer from %s and stop", id, content.String(), finish, provider)
		}
	}
	for _, id := range order {
		if n := hits[id](); n != 2 {
			t.Errorf("%s upstream got %d requests, want 2", id, n)
		}
	}
}

// TestMixedGroupStreamUsage checks every provider's stream against include_usage: without
// it no chunk carries usage (the gateway asks OpenAI-shaped upstreams for it and translated
// streams always have it, so it strips that chunk); with it, the last chunk before [DONE] has
// choices [] and the usage.
func TestMixedGroupStreamUsage(t *testing.T) {
	g, _ := mixedGateway(t, cycle(4))
	for _, ask := range []bool{false, true} {
		for range 4 {
			body := `{"model":"chat","stream":true,"messages":[{"role":"user","content":"hi"}]` +
				map[bool]string{false: "}", true: `,"stream_options":{"include_usage":true}}`}[ask]
			resp, b := g.post(t, "/v1/chat/completions", body)
			id := resp.Header.Get("x-litellm-model-id")
			if resp.StatusCode != http.StatusOK || !strings.HasSuffix(string(b), "data: [DONE]\n\n") {
				t.Fatalf("%s: status %d, want 200 and a stream ending in [DONE]: %s", id, resp.StatusCode, b)
			}
			events := strings.Split(strings.TrimSuffix(string(b), "\n\n"), "\n\n")
			last := events[len(events)-2]
			hasUsage := strings.Contains(string(b), `"usage":{`)
			switch {
			case !ask && hasUsage:
				t.Errorf("%s: the client did not ask for usage, got it:\n%s", id, b)
			case ask && (!strings.Contains(last, `"usage":{`) || !strings.Contains(last, `"choices":[]`)):
				t.Errorf("%s: include_usage: last event %q, want choices [] and usage", id, last)
			}
		}
	}
}

// TestMixedGroupFailover: a deployment of one provider failing (Anthropic overloaded, Ollama
// down) is retried on another provider's deployment, streamed or not, and the answer says
// which deployment served.
func TestMixedGroupFailover(t *testing.T) {
	ant := startUpstream(t, fake.Options{FailRate: 1, FailStatus: 529})
	oai := startUpstream(t, fake.Options{Text: "hello from openai"})
	yaml := fmt.Sprintf(`model_list:
  - model_name: chat
    litellm_params: {model: anthropic/claude-3-5-haiku-latest, api_base: %s, api_key: sk-ant-key}
    model_info: {id: chat-anthropic}
  - model_name: chat
    litellm_params: {model: ollama_chat/llama3, api_base: %s}
    model_info: {id: chat-ollama}
  - model_name: chat
    litellm_params: {model: openai/gpt-4o-mini, api_base: %s/v1, api_key: sk-openai-key}
    model_info: {id: chat-openai}
router_settings:
  num_retries: 3
  cooldown_time: 30
`, ant.URL, refusedURL(t), oai.URL)
	g := startGateway(t, yaml, Options{Rand: first})
	for i, stream := range []bool{false, true, false, true} {
		body := fmt.Sprintf(`{"model":"chat","stream":%t,"messages":[{"role":"user","content":"hi"}]}`, stream)
		resp, b := g.post(t, "/v1/chat/completions", body)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "hello from openai") {
			t.Fatalf("request %d (stream %t): status %d: %s", i, stream, resp.StatusCode, b)
		}
		if id := resp.Header.Get("x-litellm-model-id"); id != "chat-openai" {
			t.Errorf("request %d: served by %q, want chat-openai", i, id)
		}
	}
	if ant.h.Count() == 0 {
		t.Error("the overloaded anthropic deployment was never tried")
	}
	if oai.h.Count() != 4 {
		t.Errorf("openai served %d requests, want 4", oai.h.Count())
	}
}

// TestMixedGroupMalformedMessage: a message a translating provider cannot read is the
// client's error (400 naming the field), not a failure to retry elsewhere or cool down.
func TestMixedGroupMalformedMessage(t *testing.T) {
	ant := startUpstream(t, fake.Options{})
	oai := startUpstream(t, fake.Options{})
	yaml := fmt.Sprintf(`model_list:
  - model_name: chat
    litellm_params: {model: anthropic/claude-3-5-haiku-latest, api_base: %s, api_key: sk-ant-key}
  - model_name: chat
    litellm_params: {model: openai/gpt-4o-mini, api_base: %s/v1, api_key: sk-openai-key}
router_settings:
  num_retries: 3
`, ant.URL, oai.URL)
	g := startGateway(t, yaml, Options{Rand: first})
	resp, b := g.post(t, "/v1/chat/completions", `{"model":"chat","messages":[{"role":"user","content":"hi"},{"role":"user","content":5}]}`)
	msg := checkEnvelope(t, resp, b)
	var env struct {
		Error struct {
			Type  string  `json:"type"`
			Param *string `json:"param"`
		} `json:"error"`
	}
	_ = json.Unmarshal(b, &env)
	if resp.StatusCode != http.StatusBadRequest || env.Error.Type != "invalid_request_error" ||
		env.Error.Param == nil || *env.Error.Param != "messages" || !strings.Contains(msg, "message 1") {
		t.Errorf("got %d %s, want 400 invalid_request_error with param messages naming message 1", resp.StatusCode, b)
	}
	if ant.h.Count()+oai.h.Count() != 0 {
		t.Errorf("upstreams got %d requests, want none", ant.h.Count()+oai.h.Count())
	}
}

// TestMixedProvidersExample serves examples/mixed-providers.yaml with its api_base values
// pointed at fakes: the example loads, and each of its providers answers in turn.
func TestMixedProvidersExample(t *testing.T) {
	data, err := os.ReadFile("../../examples/mixed-providers.yaml")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"AZURE_API_KEY": "azure-key", "OPENAI_API_KEY": "sk-openai", "ANTHROPIC_API_KEY": "sk-ant"}
	cfg, err := config.Parse("mixed-providers.yaml", data, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Warnings) > 0 {
		t.Errorf("warnings: %q, want none", cfg.Warnings)
	}
	ups := map[string]*upstream{}
	for i := range cfg.Deployments {
		d := &cfg.Deployments[i]
		ups[d.ID] = startUpstream(t, fake.Options{Text: "hello from " + d.ID})
		d.APIBase = ups[d.ID].URL
		if d.Provider == "openai" {
			d.APIBase += "/v1"
		}
	}
	if len(ups) != 3 {
		t.Fatalf("got deployments %v, want azure, openai and anthropic", ups)
	}
	srv, err := New(cfg, Options{LookupEnv: noEnv, Rand: cycle(3), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	g := &gateway{Server: hs, srv: srv}
	for range 3 {
		resp, b := g.post(t, "/v1/chat/completions", fmt.Sprintf(chat, "chat"))
		id := resp.Header.Get("x-litellm-model-id")
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "hello from "+id) {
			t.Errorf("status %d from %q: %s", resp.StatusCode, id, b)
		}
	}
	for id, u := range ups {
		if u.h.Count() != 1 {
			t.Errorf("%s got %d requests, want 1", id, u.h.Count())
		}
	}
}
