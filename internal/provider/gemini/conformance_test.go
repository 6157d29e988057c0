package gemini_test

import (
	"strconv"
	"testing"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/provider/gemini"
	pt "github.com/switchyard/switchyard/internal/provider/providertest"
)

func newProvider(t testing.TB, base string, drop bool) provider.Provider {
	d := &config.Deployment{Provider: "gemini", UpstreamModel: "gemini-test", APIBase: base, APIKey: "goog-test",
		ExtraHeaders: map[string]string{"X-Team": "a"}, Params: map[string]any{"drop_params": drop}}
	p, err := gemini.New(d, &provider.Env{Transports: provider.NewTransports(provider.TransportOptions{})})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var headers = map[string]string{"x-goog-api-key": "goog-test", "Content-Type": "application/json", "X-Team": "a"}

const (
	generate = "/v1beta/models/gemini-test:generateContent"
	stream   = "/v1beta/models/gemini-test:streamGenerateContent?alt=sse"
	weather  = `{"functionDeclarations":[{"name":"get_weather","description":"Current weather","parametersJsonSchema":` + pt.WeatherSchema + `}]}`
)

func user(s string) string { return `{"role":"user","parts":[{"text":"` + s + `"}]}` }

func answer(parts, finish string, in, out int) string {
	return `{"candidates":[{"content":{"role":"model","parts":[` + parts + `]},"finishReason":"` + finish + `","index":0}],` +
		`"usageMetadata":{"promptTokenCount":` + strconv.Itoa(in) + `,"candidatesTokenCount":` + strconv.Itoa(out) +
		`,"totalTokenCount":` + strconv.Itoa(in+out) + `},"modelVersion":"gemini-test","responseId":"resp-1"}`
}

func text(s string) string { return `{"text":"` + s + `"}` }

func exchange(body, reply string) pt.Exchange {
	return pt.Exchange{Path: generate, Header: headers, Body: body, Reply: pt.Reply{Body: reply}}
}

func sse(body string, events ...string) pt.Exchange {
	reply := ""
	for _, e := range events {
		reply += "data: " + e + "\r\n\r\n"
	}
	return pt.Exchange{Path: stream, Header: headers, Body: body, Reply: pt.Reply{ContentType: "text/event-stream", Body: reply}}
}

func errReply(status int, rpc, msg, reason string) pt.Reply {
	details := ""
	if reason != "" {
		details = `,"details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"` + reason + `","domain":"googleapis.com"}]`
	}
	return pt.Reply{Status: status, Body: `{"error":{"code":` + strconv.Itoa(status) + `,"message":"` + msg + `","status":"` + rpc + `"` + details + `}}`}
}

func TestConformance(t *testing.T) {
	chunk := func(parts string) string {
		return `{"candidates":[{"content":{"role":"model","parts":[` + parts + `]},"index":0}],"modelVersion":"gemini-test","responseId":"resp-2"}`
	}
	pt.Run(t, pt.Suite{
		New:   newProvider,
		Model: "gemini-test",
		Exchanges: map[string]pt.Exchange{
			pt.CaseChat: exchange(`{"contents":[`+user("Hello")+`]}`, answer(text(pt.Answer), "STOP", 10, 5)),
			pt.CaseSystemMultiTurn: exchange(`{"systemInstruction":{"parts":[{"text":"You are terse."}]},"contents":[`+user("Capital of France?")+`,`+
				`{"role":"model","parts":[{"text":"Paris."}]},`+user("And of Italy?")+`]}`, answer(text("Rome."), "STOP", 30, 2)),
			pt.CaseSampling: exchange(`{"contents":[`+user("Tell a story")+`],"generationConfig":{"temperature":0.5,"topP":0.9,"maxOutputTokens":16,"stopSequences":["END","\n\n"]}}`,
				answer(text("Once upon a time"), "MAX_TOKENS", 12, 16)),
			pt.CaseTools: exchange(`{"contents":[`+user("Weather in Paris?")+`],"tools":[`+weather+`],"toolConfig":{"functionCallingConfig":{"mode":"AUTO"}}}`,
				answer(`{"functionCall":{"name":"get_weather","args":{"city":"Paris"}}}`, "STOP", 20, 12)),
			pt.CaseToolResult: exchange(`{"contents":[`+user("Weather in Paris?")+`,{"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{"city":"Paris"}}}]},`+
				`{"role":"user","parts":[{"functionResponse":{"name":"get_weather","response":{"temp_c":21}}}]}],"tools":[`+weather+`]}`,
				answer(text("It is 21°C in Paris."), "STOP", 40, 9)),
			pt.CaseImageURL: exchange(`{"contents":[{"role":"user","parts":[{"text":"What is this?"},{"fileData":{"mimeType":"image/png","fileUri":"`+pt.ImageURL+`"}}]}]}`,
				answer(text("A cat."), "STOP", 50, 3)),
			pt.CaseImageBase64: exchange(`{"contents":[{"role":"user","parts":[{"text":"What is this?"},{"inlineData":{"mimeType":"image/png","data":"`+pt.ImageData+`"}}]}]}`,
				answer(text("A cat."), "STOP", 50, 3)),
			pt.CaseStream: sse(`{"contents":[`+user("Hello")+`]}`,
				chunk(text("Hello!")), chunk(text(" How can I help?")),
				`{"candidates":[{"content":{"role":"model","parts":[{"text":""}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":10,"candidatesTokenCount":5,"totalTokenCount":15},"modelVersion":"gemini-test"}`),
			pt.CaseStreamTools: sse(`{"contents":[`+user("Weather in Paris?")+`],"tools":[`+weather+`],"toolConfig":{"functionCallingConfig":{"mode":"AUTO"}}}`,
				answer(`{"functionCall":{"name":"get_weather","args":{"city":"Paris"}}}`, "STOP", 20, 12)),
			pt.CaseStreamError: sse(`{"contents":[`+user("Hello")+`]}`, chunk(text("Hel")),
				`{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}`),
		},
		Errors: map[string]pt.Reply{
			pt.ErrBadRequest: errReply(400, "INVALID_ARGUMENT", "Invalid JSON payload received.", ""),
			pt.ErrAuth:       errReply(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", "API_KEY_INVALID"),
			pt.ErrPermission: errReply(403, "PERMISSION_DENIED", "Permission denied on resource project.", ""),
			pt.ErrNotFound:   errReply(404, "NOT_FOUND", "models/gemini-nope is not found for API version v1beta", ""),
			pt.ErrRateLimit:  errReply(429, "RESOURCE_EXHAUSTED", "You exceeded your current quota.", ""),
			pt.ErrServer:     errReply(500, "INTERNAL", "An internal error has occurred.", ""),
			pt.ErrOverloaded: errReply(503, "UNAVAILABLE", "The model is overloaded. Please try again later.", ""),
		},
		UnsupportedParam: `"logit_bias":{"50256":-100}`,
	})
}
