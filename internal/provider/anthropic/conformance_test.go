package anthropic_test

import (
	"testing"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/provider/anthropic"
	pt "github.com/switchyard/switchyard/internal/provider/providertest"
)

func newProvider(t testing.TB, base string, drop bool) provider.Provider {
	d := &config.Deployment{Provider: "anthropic", UpstreamModel: "claude-test", APIBase: base, APIKey: "sk-ant-test",
		ExtraHeaders: map[string]string{"X-Team": "a"}, Params: map[string]any{"drop_params": drop}}
	p, err := anthropic.New(d, &provider.Env{Transports: provider.NewTransports(provider.TransportOptions{})})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// headers are what every request to the fake must carry.
var headers = map[string]string{"x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01",
	"Content-Type": "application/json", "X-Team": "a"}

const weatherTool = `{"name":"get_weather","description":"Current weather","input_schema":` + pt.WeatherSchema + `}`

func message(text, stop string, in, out int) string {
	return `{"id":"msg_1","type":"message","role":"assistant","model":"claude-test","content":[{"type":"text","text":"` + text +
		`"}],"stop_reason":"` + stop + `","usage":{"input_tokens":` + itoa(in) + `,"output_tokens":` + itoa(out) + `}}`
}

func itoa(n int) string {
	b := []byte{}
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		if n /= 10; n == 0 {
			return string(b)
		}
	}
}

func exchange(body, reply string) pt.Exchange {
	return pt.Exchange{Path: "/v1/messages", Header: headers, Body: body, Reply: pt.Reply{Body: reply}}
}

func sse(reply string) pt.Exchange {
	return pt.Exchange{Path: "/v1/messages", Header: headers, Reply: pt.Reply{ContentType: "text/event-stream", Body: reply}}
}

const streamReply = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-test\",\"content\":[],\"stop_reason\":null,\"usage\":{\"input_tokens\":10,\"output_tokens\":1}}}\n\n" +
	"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n" +
	"event: ping\ndata: {\"type\": \"ping\"}\n\n" +
	"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello!\"}}\n\n" +
	"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\" How can I help?\"}}\n\n" +
	"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n" +
	"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":5}}\n\n" +
	"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"

const toolStreamReply = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_2\",\"model\":\"claude-test\",\"usage\":{\"input_tokens\":20,\"output_tokens\":1}}}\n\n" +
	"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"get_weather\",\"input\":{}}}\n\n" +
	"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\"}}\n\n" +
	"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"city\\\": \"}}\n\n" +
	"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\\\"Paris\\\"}\"}}\n\n" +
	"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n" +
	"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{\"output_tokens\":12}}\n\n" +
	"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"

const errorStreamReply = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_3\",\"model\":\"claude-test\",\"usage\":{\"input_tokens\":10,\"output_tokens\":1}}}\n\n" +
	"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hel\"}}\n\n" +
	"event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n"

func errReply(status int, typ, msg string) pt.Reply {
	return pt.Reply{Status: status, Body: `{"type":"error","error":{"type":"` + typ + `","message":"` + msg + `"}}`}
}

func TestConformance(t *testing.T) {
	pt.Run(t, pt.Suite{
		New:   newProvider,
		Model: "claude-test",
		Exchanges: map[string]pt.Exchange{
			pt.CaseChat: exchange(`{"model":"claude-test","max_tokens":4096,"messages":[{"role":"user","content":[{"type":"text","text":"Hello"}]}]}`,
				message(pt.Answer, "end_turn", 10, 5)),
			pt.CaseSystemMultiTurn: exchange(`{"model":"claude-test","max_tokens":4096,"system":[{"type":"text","text":"You are terse."}],"messages":[`+
				`{"role":"user","content":[{"type":"text","text":"Capital of France?"}]},{"role":"assistant","content":[{"type":"text","text":"Paris."}]},`+
				`{"role":"user","content":[{"type":"text","text":"And of Italy?"}]}]}`,
				message("Rome.", "end_turn", 30, 2)),
			pt.CaseSampling: exchange(`{"model":"claude-test","max_tokens":16,"temperature":0.5,"top_p":0.9,"stop_sequences":["END","\n\n"],`+
				`"messages":[{"role":"user","content":[{"type":"text","text":"Tell a story"}]}]}`,
				message("Once upon a time", "max_tokens", 12, 16)),
			pt.CaseTools: exchange(`{"model":"claude-test","max_tokens":4096,"messages":[{"role":"user","content":[{"type":"text","text":"Weather in Paris?"}]}],`+
				`"tools":[`+weatherTool+`],"tool_choice":{"type":"auto"}}`,
				`{"id":"msg_2","type":"message","role":"assistant","model":"claude-test","content":[{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}],`+
					`"stop_reason":"tool_use","usage":{"input_tokens":20,"output_tokens":12}}`),
			pt.CaseToolResult: exchange(`{"model":"claude-test","max_tokens":4096,"messages":[{"role":"user","content":[{"type":"text","text":"Weather in Paris?"}]},`+
				`{"role":"assistant","content":[{"type":"tool_use","id":"call_1","name":"get_weather","input":{"city":"Paris"}}]},`+
				`{"role":"user","content":[{"type":"tool_result","tool_use_id":"call_1","content":"{\"temp_c\":21}"}]}],"tools":[`+weatherTool+`]}`,
				message("It is 21°C in Paris.", "end_turn", 40, 9)),
			pt.CaseImageURL: exchange(`{"model":"claude-test","max_tokens":4096,"messages":[{"role":"user","content":[{"type":"text","text":"What is this?"},`+
				`{"type":"image","source":{"type":"url","url":"`+pt.ImageURL+`"}}]}]}`, message("A cat.", "end_turn", 50, 3)),
			pt.CaseImageBase64: exchange(`{"model":"claude-test","max_tokens":4096,"messages":[{"role":"user","content":[{"type":"text","text":"What is this?"},`+
				`{"type":"image","source":{"type":"base64","media_type":"image/png","data":"`+pt.ImageData+`"}}]}]}`, message("A cat.", "end_turn", 50, 3)),
			pt.CaseStream: func() pt.Exchange {
				e := sse(streamReply)
				e.Body = `{"model":"claude-test","max_tokens":4096,"stream":true,"messages":[{"role":"user","content":[{"type":"text","text":"Hello"}]}]}`
				return e
			}(),
			pt.CaseStreamTools: sse(toolStreamReply),
			pt.CaseStreamError: sse(errorStreamReply),
		},
		Errors: map[string]pt.Reply{
			pt.ErrBadRequest: errReply(400, "invalid_request_error", "messages: field required"),
			pt.ErrAuth:       errReply(401, "authentication_error", "invalid x-api-key"),
			pt.ErrPermission: errReply(403, "permission_error", "no access to this model"),
			pt.ErrNotFound:   errReply(404, "not_found_error", "model: claude-nope"),
			pt.ErrRateLimit:  errReply(429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"),
			pt.ErrServer:     errReply(500, "api_error", "Internal server error"),
			pt.ErrOverloaded: errReply(529, "overloaded_error", "Overloaded"),
		},
		UnsupportedParam: `"logit_bias":{"50256":-100}`,
	})
}
