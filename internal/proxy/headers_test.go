package proxy

import (
	"net/http"
	"reflect"
	"testing"
)

// An upstream answer's end-to-end headers reach the client; hop-by-hop ones, its Date (the
// gateway's own is sent) and any x-litellm-* do not; its x-ratelimit-* are renamed, since
// the client's x-ratelimit-* describe the model group.
func TestCopyHeaders(t *testing.T) {
	src := http.Header{
		"Content-Type":                   {"application/json"},
		"Openai-Processing-Ms":           {"120"},
		"X-Request-Id":                   {"req_1"},
		"X-Ratelimit-Remaining-Requests": {"99"},
		"Date":                           {"Mon, 01 Jan 2001 00:00:00 GMT"},
		"Connection":                     {"keep-alive"},
		"Transfer-Encoding":              {"chunked"},
		"Content-Length":                 {"12"},
		"Set-Cookie":                     {"session=1"},
		"X-Litellm-Model-Id":             {"spoofed"},
	}
	dst := http.Header{}
	copyHeaders(dst, src)
	want := http.Header{
		"Content-Type":         {"application/json"},
		"Openai-Processing-Ms": {"120"},
		"X-Request-Id":         {"req_1"},
		"Llm_provider-X-Ratelimit-Remaining-Requests": {"99"},
	}
	if !reflect.DeepEqual(dst, want) {
		t.Errorf("copied %v\nwant %v", dst, want)
	}
}
