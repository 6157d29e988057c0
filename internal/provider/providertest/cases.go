package providertest

import (
	"net/http"

	"github.com/switchyard/switchyard/internal/openai"
)

// Case names. A Suite's Exchanges are keyed by them; Skip may name any of them.
const (
	// CaseChat is one user message; the answer is Answer with usage 10/5.
	CaseChat = "chat"
	// CaseSystemMultiTurn is a system message and a user/assistant/user exchange; the answer is
	// "Rome.".
	CaseSystemMultiTurn = "system_multiturn"
	// CaseSampling sets temperature 0.5, top_p 0.9, max_tokens 16 and stop ["END", "\n\n"]; the
	// answer is "Once upon a time" cut by the token limit (finish_reason "length").
	CaseSampling = "sampling"
	// CaseTools defines get_weather with tool_choice "auto"; the answer is the tool call
	// get_weather({"city":"Paris"}) (finish_reason "tool_calls").
	CaseTools = "tools"
	// CaseToolResult sends back the result of that call (tool_call_id "call_1"); the answer is
	// "It is 21°C in Paris.".
	CaseToolResult = "tool_result"
	// CaseImageURL sends an https image URL; the answer is "A cat.".
	CaseImageURL = "image_url"
	// CaseImageBase64 sends a base64 data: URL (image/png); the answer is "A cat.".
	CaseImageBase64 = "image_base64"
	// CaseStream is CaseChat streamed: the content arrives in several chunks, the last chunk
	// before [DONE] carries usage 10/5.
	CaseStream = "stream"
	// CaseStreamTools is CaseTools streamed; the arguments may arrive in pieces.
	CaseStreamTools = "stream_tools"
	// CaseStreamError is a stream in which the upstream reports an error after some content:
	// it must come out as an event {"error":{…}} and end the stream (no [DONE]).
	CaseStreamError = "stream_error"
	// CaseUnsupportedParam is CaseChat plus Suite.UnsupportedParam: refused with a ParamError
	// naming it; with drop_params the upstream gets exactly CaseChat's request.
	CaseUnsupportedParam = "unsupported_param"
)

// Answer is the assistant's text in CaseChat and CaseStream.
const Answer = "Hello! How can I help?"

// ImageData is the base64 payload of CaseImageBase64 (media type image/png).
const ImageData = "iVBORw0KGgoAAAANSUhEUg=="

// ImageURL is the URL of CaseImageURL.
const ImageURL = "https://example.com/cat.png"

// WeatherSchema is the parameters schema of the get_weather tool.
const WeatherSchema = `{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`

// Error classes: the keys of Suite.Errors, each an upstream error the adapter must map.
const (
	ErrBadRequest = "bad_request"
	ErrAuth       = "auth"
	ErrPermission = "permission"
	ErrNotFound   = "not_found"
	ErrRateLimit  = "rate_limit"
	ErrServer     = "server"
	ErrOverloaded = "overloaded"
)

// errorWants are the OpenAI status and type each error class must be reported as. 429 and
// 5xx are retried on another deployment and cool the deployment down; 4xx others fail fast.
var errorWants = map[string]struct {
	status int
	typ    string
}{
	ErrBadRequest: {http.StatusBadRequest, "invalid_request_error"},
	ErrAuth:       {http.StatusUnauthorized, "authentication_error"},
	ErrPermission: {http.StatusForbidden, "permission_error"},
	ErrNotFound:   {http.StatusNotFound, "not_found_error"},
	ErrRateLimit:  {http.StatusTooManyRequests, "rate_limit_error"},
	ErrServer:     {http.StatusInternalServerError, "api_error"},
	ErrOverloaded: {http.StatusServiceUnavailable, "api_error"},
}

// want is what the translated answer of a case must hold.
type want struct {
	content string
	finish  string
	calls   []call
	usage   *openai.Usage
}

type call struct{ name, args string }

const tools = `[{"type":"function","function":{"name":"get_weather","description":"Current weather","parameters":` + WeatherSchema + `}}]`

// cases are the request bodies (the model is added by Run) and the answers.
var cases = []struct {
	name   string
	body   string
	stream bool
	want   want
}{
	{CaseChat, `"messages":[{"role":"user","content":"Hello"}]`, false,
		want{content: Answer, finish: "stop", usage: &openai.Usage{PromptTokens: 10, CompletionTokens: 5, TotalTokens: 15}}},
	{CaseSystemMultiTurn, `"messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Capital of France?"},` +
		`{"role":"assistant","content":"Paris."},{"role":"user","content":"And of Italy?"}]`, false,
		want{content: "Rome.", finish: "stop"}},
	{CaseSampling, `"messages":[{"role":"user","content":"Tell a story"}],"temperature":0.5,"top_p":0.9,"max_tokens":16,"stop":["END","\n\n"]`, false,
		want{content: "Once upon a time", finish: "length"}},
	{CaseTools, `"messages":[{"role":"user","content":"Weather in Paris?"}],"tools":` + tools + `,"tool_choice":"auto"`, false,
		want{finish: "tool_calls", calls: []call{{"get_weather", `{"city":"Paris"}`}}}},
	{CaseToolResult, `"messages":[{"role":"user","content":"Weather in Paris?"},` +
		`{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},` +
		`{"role":"tool","tool_call_id":"call_1","content":"{\"temp_c\":21}"}],"tools":` + tools, false,
		want{content: "It is 21°C in Paris.", finish: "stop"}},
	{CaseImageURL, `"messages":[{"role":"user","content":[{"type":"text","text":"What is this?"},{"type":"image_url","image_url":{"url":"` + ImageURL + `"}}]}]`, false,
		want{content: "A cat.", finish: "stop"}},
	{CaseImageBase64, `"messages":[{"role":"user","content":[{"type":"text","text":"What is this?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,` + ImageData + `"}}]}]`, false,
		want{content: "A cat.", finish: "stop"}},
	{CaseStream, `"messages":[{"role":"user","content":"Hello"}],"stream":true,"stream_options":{"include_usage":true}`, true,
		want{content: Answer, finish: "stop", usage: &openai.Usage{PromptTokens: 10, CompletionTokens: 5, TotalTokens: 15}}},
	{CaseStreamTools, `"messages":[{"role":"user","content":"Weather in Paris?"}],"tools":` + tools + `,"tool_choice":"auto","stream":true`, true,
		want{finish: "tool_calls", calls: []call{{"get_weather", `{"city":"Paris"}`}}}},
	{CaseStreamError, `"messages":[{"role":"user","content":"Hello"}],"stream":true`, true, want{}},
}
