package bedrock_test

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/provider/bedrock"
	pt "github.com/switchyard/switchyard/internal/provider/providertest"
)

const model = "anthropic.claude-3-haiku-20240307-v1:0"

func newProvider(t testing.TB, base string, drop bool) provider.Provider {
	d := &config.Deployment{Provider: "bedrock", UpstreamModel: model, APIBase: base,
		ExtraHeaders: map[string]string{"X-Team": "a"},
		Params: map[string]any{"drop_params": drop, "aws_access_key_id": "AKIDTEST",
			"aws_secret_access_key": config.Secret("secret-test"), "aws_region_name": "us-west-2"}}
	p, err := bedrock.New(d, &provider.Env{Transports: provider.NewTransports(provider.TransportOptions{})})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// checkSigned verifies the SigV4 signature by signing the received request again with the
// same credentials and time.
func checkSigned(t testing.TB, r *http.Request, body []byte) {
	auth := r.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKIDTEST/") || !strings.Contains(auth, "/us-west-2/bedrock/aws4_request") {
		t.Errorf("Authorization %q: want a SigV4 signature for AKIDTEST, us-west-2, bedrock", auth)
		return
	}
	tm, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		t.Errorf("X-Amz-Date %q: %v", r.Header.Get("X-Amz-Date"), err)
		return
	}
	req, _ := http.NewRequest(http.MethodPost, "http://"+r.Host+r.URL.RequestURI(), bytes.NewReader(body))
	_, signed, _ := strings.Cut(auth, "SignedHeaders=")
	signed, _, _ = strings.Cut(signed, ",")
	for _, h := range strings.Split(signed, ";") {
		if h != "host" {
			req.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	s := &bedrock.Signer{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret-test", Region: "us-west-2", Now: func() time.Time { return tm }}
	if err := s.Sign(context.Background(), req, body); err != nil {
		t.Fatal(err)
	}
	if got := req.Header.Get("Authorization"); got != auth {
		t.Errorf("signature does not verify:\n got  %s\n want %s", auth, got)
	}
}

var headers = map[string]string{"Content-Type": "application/json", "X-Team": "a"}

const (
	converse       = "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse"
	converseStream = "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream"
	weatherTool    = `{"tools":[{"toolSpec":{"name":"get_weather","description":"Current weather","inputSchema":{"json":` + pt.WeatherSchema + `}}}]`
)

func user(s string) string { return `{"role":"user","content":[{"text":"` + s + `"}]}` }

func answer(content, stop string, in, out int) string {
	return `{"output":{"message":{"role":"assistant","content":[` + content + `]}},"stopReason":"` + stop +
		`","usage":{"inputTokens":` + strconv.Itoa(in) + `,"outputTokens":` + strconv.Itoa(out) + `,"totalTokens":` + strconv.Itoa(in+out) + `},"metrics":{"latencyMs":100}}`
}

func text(s string) string { return `{"text":"` + s + `"}` }

func exchange(body, reply string) pt.Exchange {
	return pt.Exchange{Path: converse, Header: headers, Body: body, Check: checkSigned, Reply: pt.Reply{Body: reply}}
}

// frames encodes event-stream messages: each pair is an event type and its JSON payload; a
// type starting with "!" is an exception.
func frames(t testing.TB, pairs ...string) string {
	var buf bytes.Buffer
	enc := eventstream.NewEncoder()
	for i := 0; i < len(pairs); i += 2 {
		var h eventstream.Headers
		if typ, ok := strings.CutPrefix(pairs[i], "!"); ok {
			h.Set(":message-type", eventstream.StringValue("exception"))
			h.Set(":exception-type", eventstream.StringValue(typ))
		} else {
			h.Set(":message-type", eventstream.StringValue("event"))
			h.Set(":event-type", eventstream.StringValue(pairs[i]))
		}
		h.Set(":content-type", eventstream.StringValue("application/json"))
		if err := enc.Encode(&buf, eventstream.Message{Headers: h, Payload: []byte(pairs[i+1])}); err != nil {
			t.Fatal(err)
		}
	}
	return buf.String()
}

func stream(t testing.TB, body string, pairs ...string) pt.Exchange {
	return pt.Exchange{Path: converseStream, Header: map[string]string{"Accept": "application/vnd.amazon.eventstream", "X-Team": "a"},
		Body: body, Check: checkSigned, Reply: pt.Reply{ContentType: "application/vnd.amazon.eventstream", Body: frames(t, pairs...)}}
}

func errReply(status int, msg string) pt.Reply {
	return pt.Reply{Status: status, Body: `{"message":"` + msg + `"}`}
}

func TestConformance(t *testing.T) {
	pt.Run(t, pt.Suite{
		New:   newProvider,
		Model: model,
		Exchanges: map[string]pt.Exchange{
			pt.CaseChat: exchange(`{"messages":[`+user("Hello")+`]}`, answer(text(pt.Answer), "end_turn", 10, 5)),
			pt.CaseSystemMultiTurn: exchange(`{"system":[{"text":"You are terse."}],"messages":[`+user("Capital of France?")+`,`+
				`{"role":"assistant","content":[{"text":"Paris."}]},`+user("And of Italy?")+`]}`, answer(text("Rome."), "end_turn", 30, 2)),
			pt.CaseSampling: exchange(`{"messages":[`+user("Tell a story")+`],"inferenceConfig":{"maxTokens":16,"temperature":0.5,"topP":0.9,"stopSequences":["END","\n\n"]}}`,
				answer(text("Once upon a time"), "max_tokens", 12, 16)),
			pt.CaseTools: exchange(`{"messages":[`+user("Weather in Paris?")+`],"toolConfig":`+weatherTool+`,"toolChoice":{"auto":{}}}}`,
				answer(`{"toolUse":{"toolUseId":"tooluse_1","name":"get_weather","input":{"city":"Paris"}}}`, "tool_use", 20, 12)),
			pt.CaseToolResult: exchange(`{"messages":[`+user("Weather in Paris?")+`,{"role":"assistant","content":[{"toolUse":{"toolUseId":"call_1","name":"get_weather","input":{"city":"Paris"}}}]},`+
				`{"role":"user","content":[{"toolResult":{"toolUseId":"call_1","content":[{"text":"{\"temp_c\":21}"}]}}]}],"toolConfig":`+weatherTool+`}}`,
				answer(text("It is 21°C in Paris."), "end_turn", 40, 9)),
			pt.CaseImageBase64: exchange(`{"messages":[{"role":"user","content":[{"text":"What is this?"},{"image":{"format":"png","source":{"bytes":"`+pt.ImageData+`"}}}]}]}`,
				answer(text("A cat."), "end_turn", 50, 3)),
			pt.CaseStream: stream(t, `{"messages":[`+user("Hello")+`]}`,
				"messageStart", `{"role":"assistant"}`,
				"contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Hello!"}}`,
				"contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":" How can I help?"}}`,
				"contentBlockStop", `{"contentBlockIndex":0}`,
				"messageStop", `{"stopReason":"end_turn"}`,
				"metadata", `{"usage":{"inputTokens":10,"outputTokens":5,"totalTokens":15},"metrics":{"latencyMs":120}}`),
			pt.CaseStreamTools: stream(t, `{"messages":[`+user("Weather in Paris?")+`],"toolConfig":`+weatherTool+`,"toolChoice":{"auto":{}}}}`,
				"messageStart", `{"role":"assistant"}`,
				"contentBlockStart", `{"contentBlockIndex":0,"start":{"toolUse":{"toolUseId":"tooluse_1","name":"get_weather"}}}`,
				"contentBlockDelta", `{"contentBlockIndex":0,"delta":{"toolUse":{"input":"{\"city\":"}}}`,
				"contentBlockDelta", `{"contentBlockIndex":0,"delta":{"toolUse":{"input":"\"Paris\"}"}}}`,
				"contentBlockStop", `{"contentBlockIndex":0}`,
				"messageStop", `{"stopReason":"tool_use"}`,
				"metadata", `{"usage":{"inputTokens":20,"outputTokens":12,"totalTokens":32}}`),
			pt.CaseStreamError: stream(t, `{"messages":[`+user("Hello")+`]}`,
				"messageStart", `{"role":"assistant"}`,
				"contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Hel"}}`,
				"!throttlingException", `{"message":"Too many requests, please wait before trying again."}`),
		},
		Errors: map[string]pt.Reply{
			pt.ErrBadRequest: errReply(400, "Malformed input request, please reformat your input and try again."),
			pt.ErrAuth:       errReply(401, "The security token included in the request is invalid."),
			pt.ErrPermission: errReply(403, "You don't have access to the model with the specified model ID."),
			pt.ErrNotFound:   errReply(404, "Could not resolve the foundation model from the provided model identifier."),
			pt.ErrRateLimit:  errReply(429, "Too many requests, please wait before trying again."),
			pt.ErrServer:     errReply(500, "The server encountered an internal error."),
			pt.ErrOverloaded: errReply(503, "Bedrock is unable to process your request."),
		},
		UnsupportedParam: `"logit_bias":{"50256":-100}`,
		Skip:             map[string]string{pt.CaseImageURL: "Converse takes only inline (base64) images"},
	})
}
