package ollama_test

import (
	"testing"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/provider/ollama"
	pt "github.com/switchyard/switchyard/internal/provider/providertest"
)

func newProvider(t testing.TB, base string, drop bool) provider.Provider {
	d := &config.Deployment{Provider: "ollama_chat", UpstreamModel: "llama3", APIBase: base,
		ExtraHeaders: map[string]string{"X-Team": "a"}, Params: map[string]any{"drop_params": drop}}
	p, err := ollama.New(d, &provider.Env{Transports: provider.NewTransports(provider.TransportOptions{})})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var headers = map[string]string{"Content-Type": "application/json", "X-Team": "a", "Authorization": ""}

const weatherTool = `{"type":"function","function":{"name":"get_weather","description":"Current weather","parameters":` + pt.WeatherSchema + `}}`

func answer(text, reason string, in, out int) string {
	return `{"model":"llama3","created_at":"2025-01-01T00:00:00Z","message":{"role":"assistant","content":"` + text +
		`"},"done":true,"done_reason":"` + reason + `","total_duration":1,"prompt_eval_count":` + itoa(in) + `,"eval_count":` + itoa(out) + `}`
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

func exchange(body, reply string) pt.Exchange {
	return pt.Exchange{Path: "/api/chat", Header: headers, Body: body, Reply: pt.Reply{Body: reply}}
}

func ndjson(body, reply string) pt.Exchange {
	return pt.Exchange{Path: "/api/chat", Header: headers, Body: body, Reply: pt.Reply{ContentType: "application/x-ndjson", Body: reply}}
}

const streamReply = `{"model":"llama3","created_at":"t","message":{"role":"assistant","content":"Hello!"},"done":false}` + "\n" +
	`{"model":"llama3","created_at":"t","message":{"role":"assistant","content":" How can I help?"},"done":false}` + "\n" +
	`{"model":"llama3","created_at":"t","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","prompt_eval_count":10,"eval_count":5}` + "\n"

const toolStreamReply = `{"model":"llama3","created_at":"t","message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"get_weather","arguments":{"city":"Paris"}}}]},"done":false}` + "\n" +
	`{"model":"llama3","created_at":"t","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","prompt_eval_count":20,"eval_count":12}` + "\n"

const errorStreamReply = `{"model":"llama3","created_at":"t","message":{"role":"assistant","content":"Hel"},"done":false}` + "\n" +
	`{"error":"model runner has unexpectedly stopped"}` + "\n"

func errReply(status int, msg string) pt.Reply {
	return pt.Reply{Status: status, Body: `{"error":"` + msg + `"}`}
}

func TestConformance(t *testing.T) {
	user := func(s string) string { return `{"role":"user","content":"` + s + `"}` }
	pt.Run(t, pt.Suite{
		New:   newProvider,
		Model: "llama3",
		Exchanges: map[string]pt.Exchange{
			pt.CaseChat: exchange(`{"model":"llama3","stream":false,"messages":[`+user("Hello")+`]}`, answer(pt.Answer, "stop", 10, 5)),
			pt.CaseSystemMultiTurn: exchange(`{"model":"llama3","stream":false,"messages":[{"role":"system","content":"You are terse."},`+
				user("Capital of France?")+`,{"role":"assistant","content":"Paris."},`+user("And of Italy?")+`]}`, answer("Rome.", "stop", 30, 2)),
			pt.CaseSampling: exchange(`{"model":"llama3","stream":false,"messages":[`+user("Tell a story")+`],`+
				`"options":{"temperature":0.5,"top_p":0.9,"num_predict":16,"stop":["END","\n\n"]}}`, answer("Once upon a time", "length", 12, 16)),
			pt.CaseTools: exchange(`{"model":"llama3","stream":false,"messages":[`+user("Weather in Paris?")+`],"tools":[`+weatherTool+`]}`,
				`{"model":"llama3","created_at":"t","message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"get_weather","arguments":{"city":"Paris"}}}]},`+
					`"done":true,"done_reason":"stop","prompt_eval_count":20,"eval_count":12}`),
			pt.CaseToolResult: exchange(`{"model":"llama3","stream":false,"messages":[`+user("Weather in Paris?")+`,`+
				`{"role":"assistant","content":"","tool_calls":[{"function":{"name":"get_weather","arguments":{"city":"Paris"}}}]},`+
				`{"role":"tool","content":"{\"temp_c\":21}","tool_name":"get_weather"}],"tools":[`+weatherTool+`]}`, answer("It is 21°C in Paris.", "stop", 40, 9)),
			pt.CaseImageBase64: exchange(`{"model":"llama3","stream":false,"messages":[{"role":"user","content":"What is this?","images":["`+pt.ImageData+`"]}]}`,
				answer("A cat.", "stop", 50, 3)),
			pt.CaseStream:      ndjson(`{"model":"llama3","stream":true,"messages":[`+user("Hello")+`]}`, streamReply),
			pt.CaseStreamTools: ndjson(`{"model":"llama3","stream":true,"messages":[`+user("Weather in Paris?")+`],"tools":[`+weatherTool+`]}`, toolStreamReply),
			pt.CaseStreamError: ndjson(`{"model":"llama3","stream":true,"messages":[`+user("Hello")+`]}`, errorStreamReply),
		},
		Errors: map[string]pt.Reply{
			pt.ErrBadRequest: errReply(400, "invalid message format"),
			pt.ErrAuth:       errReply(401, "unauthorized"),
			pt.ErrPermission: errReply(403, "forbidden"),
			pt.ErrNotFound:   errReply(404, "model 'llama3' not found, try pulling it first"),
			pt.ErrRateLimit:  errReply(429, "too many requests"),
			pt.ErrServer:     errReply(500, "llama runner process has terminated"),
			pt.ErrOverloaded: errReply(503, "server busy, please try again. maximum pending requests exceeded"),
		},
		UnsupportedParam: `"logit_bias":{"50256":-100}`,
		Skip:             map[string]string{pt.CaseImageURL: "ollama takes only inline (base64) images"},
	})
}
