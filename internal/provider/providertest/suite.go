// Package providertest is the conformance suite every translating provider adapter runs. The
// adapter is driven directly — NewRequest, the request sent to a fake of its upstream on
// 127.0.0.1 that checks it strictly (path, headers, body), then Translator.Response, Stream or
// Error — through the same cases for every provider. The shared part (requests, expected
// answers, error classes) lives here; each provider's fake (what its upstream expects and
// answers) lives in that provider's test files as a Suite.
package providertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/switchyard/switchyard/internal/openai"
	"github.com/switchyard/switchyard/internal/provider"
)

// Suite is one provider's conformance run.
type Suite struct {
	// New builds the adapter under test with apiBase (the fake upstream's URL) as its base URL
	// and drop_params as given.
	New func(t testing.TB, apiBase string, dropParams bool) provider.Provider
	// Model is the model of every request body (the deployment's upstream model); default
	// "test-model".
	Model string
	// Exchanges are what the fake upstream expects and answers, by case name (CaseChat, …).
	// A case neither here nor in Skip fails.
	Exchanges map[string]Exchange
	// Errors are the upstream's error answers by class (ErrBadRequest, …) to CaseChat's
	// request; every class must be given.
	Errors map[string]Reply
	// UnsupportedParam is one member, `"key":value`, of an OpenAI chat parameter the provider
	// cannot take (for CaseUnsupportedParam); "" means it takes them all.
	UnsupportedParam string
	// Skip names the cases the provider does not support, with the reason.
	Skip map[string]string
}

// Exchange is one request the fake upstream expects and its answer. Empty fields are not
// checked.
type Exchange struct {
	// Path is the request URI expected: path and query.
	Path string
	// Header are headers that must have exactly these values.
	Header map[string]string
	// Body is the JSON body expected, compared as JSON values (key order and spacing aside).
	Body string
	// Check, when set, makes further checks of the request (body is its bytes).
	Check func(t testing.TB, r *http.Request, body []byte)
	// Reply is the fake's answer.
	Reply Reply
}

// Reply is an answer of the fake upstream.
type Reply struct {
	// Status defaults to 200.
	Status int
	// ContentType defaults to application/json.
	ContentType string
	// Body is sent as is.
	Body string
}

// RequestBody is the OpenAI request body of a case (as the proxy hands it to NewRequest), for
// benchmarks and extra tests. It panics for an unknown case.
func RequestBody(name, model string) []byte {
	for _, c := range cases {
		if c.name == name {
			return []byte(`{"model":"` + model + `",` + c.body + `}`)
		}
	}
	panic("providertest: no case " + name)
}

// Run runs every case of the suite as a subtest.
func Run(t *testing.T, s Suite) {
	if s.Model == "" {
		s.Model = "test-model"
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ex, ok := s.exchange(t, c.name)
			if !ok {
				return
			}
			body := RequestBody(c.name, s.Model)
			if c.name == CaseStreamError {
				s.runStreamError(t, ex, body)
				return
			}
			s.run(t, ex, body, c.stream, c.want)
		})
	}
	t.Run("stream_truncated", func(t *testing.T) {
		ex, ok := s.exchange(t, CaseStream)
		if !ok {
			return
		}
		ex.Reply.Body = ex.Reply.Body[:len(ex.Reply.Body)/2]
		s.runTruncated(t, ex, RequestBody(CaseStream, s.Model))
	})
	t.Run(CaseUnsupportedParam, func(t *testing.T) { s.runUnsupported(t) })
	t.Run("malformed", func(t *testing.T) { s.runMalformed(t) })
	for class, w := range errorWants {
		t.Run("error_"+class, func(t *testing.T) {
			ex, ok := s.exchange(t, CaseChat)
			if !ok {
				return
			}
			reply, ok := s.Errors[class]
			if !ok {
				t.Fatalf("Suite.Errors has no answer for error class %q", class)
			}
			ex.Reply = reply
			p, resp := s.send(t, ex, RequestBody(CaseChat, s.Model), false)
			b, _ := io.ReadAll(resp.Body)
			status, out := translator(t, p).Error(resp.StatusCode, b)
			if status != w.status {
				t.Errorf("status: got %d, want %d", status, w.status)
			}
			var eb openai.ErrorBody
			if err := json.Unmarshal(out, &eb); err != nil || eb.Error.Message == "" {
				t.Fatalf("error body %s: want an OpenAI error envelope with a message (%v)", out, err)
			}
			if eb.Error.Type != w.typ {
				t.Errorf("error type: got %q, want %q", eb.Error.Type, w.typ)
			}
		})
	}
}

// exchange returns the case's exchange; ok is false when the case is skipped (or missing,
// which fails the test).
func (s *Suite) exchange(t *testing.T, name string) (Exchange, bool) {
	if why, skip := s.Skip[name]; skip {
		t.Skip(why)
		return Exchange{}, false
	}
	ex, ok := s.Exchanges[name]
	if !ok {
		t.Fatalf("Suite.Exchanges has no exchange for case %q (add one or Skip it)", name)
	}
	return ex, ok
}

// send starts the fake, builds the adapter and the request and sends it.
func (s *Suite) send(t *testing.T, ex Exchange, body []byte, drop bool) (provider.Provider, *http.Response) {
	t.Helper()
	srv := httptest.NewServer(fake(t, ex))
	t.Cleanup(srv.Close)
	p := s.New(t, srv.URL, drop)
	req, err := p.NewRequest(context.Background(), provider.Chat, body)
	if err != nil {
		t.Fatalf("NewRequest: %v", err)
	}
	resp, err := p.Transport().RoundTrip(req)
	if err != nil {
		t.Fatalf("RoundTrip: %v", err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return p, resp
}

func translator(t *testing.T, p provider.Provider) provider.Translator {
	t.Helper()
	tr, ok := p.(provider.Translator)
	if !ok {
		t.Fatalf("%T does not implement provider.Translator", p)
	}
	return tr
}

// run sends a case's request and checks the translated answer.
func (s *Suite) run(t *testing.T, ex Exchange, body []byte, stream bool, w want) {
	p, resp := s.send(t, ex, body, false)
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("upstream status %d: %s", resp.StatusCode, b)
	}
	var got answer
	if stream {
		got = collect(t, translator(t, p).Stream(resp.Body))
	} else {
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		out, err := translator(t, p).Response(provider.Chat, b)
		if err != nil {
			t.Fatalf("Response: %v", err)
		}
		got = completion(t, out)
	}
	got.check(t, w)
}

// fake is the upstream: it checks the request against ex and answers ex.Reply.
func fake(t *testing.T, ex Exchange) http.Handler {
	var hits atomic.Int32
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) > 1 {
			t.Errorf("fake upstream: got a second request %s", r.URL)
		}
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost {
			t.Errorf("method: got %s, want POST", r.Method)
		}
		if ex.Path != "" && r.URL.RequestURI() != ex.Path {
			t.Errorf("path: got %q, want %q", r.URL.RequestURI(), ex.Path)
		}
		for k, v := range ex.Header {
			if got := r.Header.Get(k); got != v {
				t.Errorf("header %s: got %q, want %q", k, got, v)
			}
		}
		if ex.Body != "" {
			JSONEqual(t, "request body", body, ex.Body)
		}
		if ex.Check != nil {
			ex.Check(t, r, body)
		}
		ct := ex.Reply.ContentType
		if ct == "" {
			ct = "application/json"
		}
		w.Header().Set("Content-Type", ct)
		status := ex.Reply.Status
		if status == 0 {
			status = http.StatusOK
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, ex.Reply.Body)
	})
}

// JSONEqual fails t unless got and want are equal JSON values (object key order and white
// space aside), showing both.
func JSONEqual(t testing.TB, what string, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Errorf("%s: not JSON (%v): %s", what, err, got)
		return
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: the wanted value is not JSON (%v): %s", what, err, want)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if !bytes.Equal(gb, wb) {
		t.Errorf("%s:\n got  %s\n want %s", what, gb, wb)
	}
}

// runUnsupported checks that an unsupported parameter is refused with a ParamError naming it
// and nothing is sent, and that drop_params drops it (the upstream gets CaseChat's request).
func (s *Suite) runUnsupported(t *testing.T) {
	if s.UnsupportedParam == "" {
		t.Skip("the provider takes every OpenAI chat parameter")
	}
	chat, ok := s.exchange(t, CaseChat)
	if !ok {
		return
	}
	pr, err := openai.ParseRequest([]byte("{" + s.UnsupportedParam + "}"))
	if err != nil || len(pr.Members) != 1 {
		t.Fatalf("Suite.UnsupportedParam %q: want one JSON member (%v)", s.UnsupportedParam, err)
	}
	param := pr.Members[0].Key
	base := RequestBody(CaseChat, s.Model)
	body := append(append(append([]byte(nil), base[:len(base)-1]...), ","+s.UnsupportedParam...), '}')

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("a request with an unsupported parameter was sent upstream: %s", r.URL)
	}))
	defer srv.Close()
	_, err = s.New(t, srv.URL, false).NewRequest(context.Background(), provider.Chat, body)
	var pe *provider.ParamError
	if !errors.As(err, &pe) {
		t.Fatalf("NewRequest with %s: got error %v, want a *provider.ParamError", param, err)
	}
	if pe.Param != param {
		t.Errorf("ParamError.Param: got %q, want %q", pe.Param, param)
	}

	t.Run("dropped", func(t *testing.T) {
		p, resp := s.send(t, chat, body, true)
		b, _ := io.ReadAll(resp.Body)
		out, err := translator(t, p).Response(provider.Chat, b)
		if err != nil {
			t.Fatalf("Response: %v", err)
		}
		completion(t, out).check(t, cases[0].want)
	})
}

// malformed are request bodies (the model added) that no provider can translate, and the
// parameter the ParamError must name.
var malformed = []struct{ name, body, param string }{
	{"content a number", `"messages":[{"role":"user","content":5}]`, "messages"},
	{"role a number", `"messages":[{"role":1,"content":"Hello"}]`, "messages"},
	{"messages an object", `"messages":{"role":"user","content":"Hello"}`, "messages"},
	{"part text a number", `"messages":[{"role":"user","content":[{"type":"text","text":1}]}]`, "messages"},
	{"arguments not JSON", `"messages":[{"role":"user","content":"Hi"},{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{oops"}}]},{"role":"tool","tool_call_id":"c","content":"x"}]`, "messages"},
	{"temperature a string", `"messages":[{"role":"user","content":"Hello"}],"temperature":"hot"`, "temperature"},
}

// runMalformed checks that a body the adapter cannot translate is refused with a ParamError
// naming the field (the client gets 400, nothing is retried) and nothing is sent.
func (s *Suite) runMalformed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("a malformed request was sent upstream: %s", r.URL)
	}))
	defer srv.Close()
	p := s.New(t, srv.URL, true)
	for _, m := range malformed {
		t.Run(m.name, func(t *testing.T) {
			_, err := p.NewRequest(context.Background(), provider.Chat, []byte(`{"model":"`+s.Model+`",`+m.body+`}`))
			var pe *provider.ParamError
			if !errors.As(err, &pe) {
				t.Fatalf("got error %v, want a *provider.ParamError", err)
			}
			if pe.Param != m.param || pe.Reason == "" || pe.Droppable {
				t.Errorf("got %+v, want Param %q, a reason, not droppable", pe, m.param)
			}
		})
	}
}

// runStreamError checks that an in-band upstream error becomes an OpenAI error event that
// ends the stream.
func (s *Suite) runStreamError(t *testing.T, ex Exchange, body []byte) {
	p, resp := s.send(t, ex, body, false)
	src := translator(t, p).Stream(resp.Body)
	for i := 0; ; i++ {
		if i > 10000 {
			t.Fatal("no end after 10000 events")
		}
		ev, err := src.Next()
		if err != nil {
			t.Fatalf("stream ended (%v) without an error event", err)
		}
		if ev.Done {
			t.Fatal("got [DONE], want an error event")
		}
		checkFraming(t, ev)
		if !openai.IsErrorEvent(ev.Data) {
			continue
		}
		var eb openai.ErrorBody
		if err := json.Unmarshal(ev.Data, &eb); err != nil || eb.Error.Message == "" || eb.Error.Type == "" {
			t.Errorf("error event %s: want an OpenAI error with message and type (%v)", ev.Data, err)
		}
		if ev, err := src.Next(); err == nil {
			t.Errorf("after the error event: got %q, want the end of the stream", ev.Raw)
		}
		return
	}
}

// runTruncated checks that a stream cut before its end is an error, not a clean end.
func (s *Suite) runTruncated(t *testing.T, ex Exchange, body []byte) {
	p, resp := s.send(t, ex, body, false)
	src := translator(t, p).Stream(resp.Body)
	for i := 0; i <= 10000; i++ {
		ev, err := src.Next()
		if err == io.EOF {
			t.Fatal("a truncated stream ended with io.EOF, want an error")
		}
		if err != nil {
			return
		}
		if ev.Done {
			t.Fatal("a truncated stream ended with [DONE]")
		}
		if openai.IsErrorEvent(ev.Data) {
			return
		}
	}
	t.Fatal("no end after 10000 events")
}
