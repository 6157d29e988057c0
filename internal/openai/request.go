// Package openai holds the OpenAI wire shapes Switchyard reads or writes: the few request fields
// routing needs (read without decoding the whole body), usage, stream chunks and the error envelope.
package openai

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// Member is one top-level member of a JSON object, as byte offsets into the body:
// body[Start:End] is `"key": value` (without the separating comma), body[ValStart:End] the value.
type Member struct {
	Key                  string
	Start, ValStart, End int
}

// Request is what the gateway reads from a client's request body. The body itself is forwarded
// (patched, never re-encoded), so only routing fields are decoded.
type Request struct {
	// Body is the client's body as received.
	Body []byte
	// Members are the body's top-level members in order.
	Members []Member
	// Model is the "model" field ("" when absent).
	Model string
	// Stream is the "stream" field.
	Stream bool
	// IncludeUsage is stream_options.include_usage as the client sent it.
	IncludeUsage bool
	// MaxTokens is max_tokens (or max_completion_tokens); 0 when unset.
	MaxTokens int
	// NumRetries is the request's num_retries (LiteLLM field); nil when unset.
	NumRetries *int
	// Timeout is the request's timeout in seconds (LiteLLM field); 0 when unset.
	Timeout float64
}

// ErrBadJSON wraps every body parse failure; its message says what is wrong and where.
var ErrBadJSON = errors.New("invalid JSON body")

// ParseRequest reads the top-level members of body and decodes the routing fields.
// It checks structure (an object, balanced brackets, terminated strings) but leaves the content
// of values it does not read to the upstream.
func ParseRequest(body []byte) (*Request, error) {
	r := &Request{Body: body, Members: make([]Member, 0, 8)}
	i := skipSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return nil, fmt.Errorf("%w: the body must be a JSON object", ErrBadJSON)
	}
	i = skipSpace(body, i+1)
	if i < len(body) && body[i] == '}' {
		return r, r.checkTrailing(i + 1)
	}
	for {
		if i >= len(body) || body[i] != '"' {
			return nil, syntaxErr(body, i, "expected a string key")
		}
		start := i
		keyEnd, err := skipString(body, i)
		if err != nil {
			return nil, err
		}
		key, err := decodeKey(body[i:keyEnd])
		if err != nil {
			return nil, syntaxErr(body, i, "bad key")
		}
		i = skipSpace(body, keyEnd)
		if i >= len(body) || body[i] != ':' {
			return nil, syntaxErr(body, i, "expected ':'")
		}
		valStart := skipSpace(body, i+1)
		end, err := skipValue(body, valStart)
		if err != nil {
			return nil, err
		}
		r.Members = append(r.Members, Member{Key: key, Start: start, ValStart: valStart, End: end})
		if err := r.read(key, body[valStart:end]); err != nil {
			return nil, err
		}
		i = skipSpace(body, end)
		if i < len(body) && body[i] == ',' {
			i = skipSpace(body, i+1)
			continue
		}
		if i < len(body) && body[i] == '}' {
			return r, r.checkTrailing(i + 1)
		}
		return nil, syntaxErr(body, i, "expected ',' or '}'")
	}
}

func (r *Request) checkTrailing(i int) error {
	if i = skipSpace(r.Body, i); i != len(r.Body) {
		return syntaxErr(r.Body, i, "unexpected data after the object")
	}
	return nil
}

// read decodes the routing fields; others are left as bytes.
func (r *Request) read(key string, v []byte) error {
	var err error
	switch key {
	case "model":
		if len(v) > 0 && v[0] != '"' {
			return fmt.Errorf("%w: \"model\" must be a string", ErrBadJSON)
		}
		r.Model, err = decodeKey(v) // a string: json.Unmarshal only when it holds escapes
	case "stream":
		r.Stream = string(v) == "true"
	case "stream_options":
		var so struct {
			IncludeUsage bool `json:"include_usage"`
		}
		if json.Unmarshal(v, &so) == nil {
			r.IncludeUsage = so.IncludeUsage
		}
	case "max_tokens", "max_completion_tokens":
		if n, e := strconv.Atoi(string(v)); e == nil && n > r.MaxTokens {
			r.MaxTokens = n
		}
	case "num_retries":
		if n, e := strconv.Atoi(string(v)); e == nil && n >= 0 {
			r.NumRetries = &n
		}
	case "timeout":
		if f, e := strconv.ParseFloat(string(v), 64); e == nil && f > 0 {
			r.Timeout = f
		}
	}
	if err != nil {
		return fmt.Errorf("%w: field %q: %v", ErrBadJSON, key, err)
	}
	return nil
}

// Has reports whether the body has a top-level member named key.
func (r *Request) Has(key string) bool {
	for _, m := range r.Members {
		if m.Key == key {
			return true
		}
	}
	return false
}

// Value returns the raw JSON value of the top-level member key, or nil.
func (r *Request) Value(key string) []byte {
	for _, m := range r.Members {
		if m.Key == key {
			return r.Body[m.ValStart:m.End]
		}
	}
	return nil
}

func syntaxErr(b []byte, i int, what string) error {
	return fmt.Errorf("%w: %s at byte %d", ErrBadJSON, what, i)
}

func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// skipString returns the index just past the string starting at b[i] == '"'. It jumps from
// quote to quote (IndexByte is vectorised), so long prompts cost little.
func skipString(b []byte, i int) (int, error) {
	j := i + 1
	for {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return 0, syntaxErr(b, i, "unterminated string")
		}
		j += k
		escapes := 0
		for p := j - 1; p > i && b[p] == '\\'; p-- {
			escapes++
		}
		if escapes%2 == 0 {
			return j + 1, nil
		}
		j++
	}
}

// skipValue returns the index just past the JSON value starting at b[i].
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, syntaxErr(b, i, "expected a value")
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, err := skipString(b, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					if (b[i] == '{') != (b[j] == '}') {
						return 0, syntaxErr(b, j, "mismatched bracket")
					}
					return j + 1, nil
				}
			}
		}
		return 0, syntaxErr(b, i, "unterminated object or array")
	default:
		j := i
		for j < len(b) {
			c := b[j]
			if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r' {
				break
			}
			j++
		}
		if j == i || !validScalar(b[i:j]) {
			return 0, syntaxErr(b, i, "invalid value")
		}
		return j, nil
	}
}

func validScalar(v []byte) bool {
	switch string(v) {
	case "true", "false", "null":
		return true
	}
	_, err := strconv.ParseFloat(string(v), 64)
	return err == nil
}

// decodeKey decodes a JSON string token, quotes included, that skipString has delimited: a
// copy of its bytes when it holds no escape, else through encoding/json.
func decodeKey(raw []byte) (string, error) {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1]), nil
	}
	var s string
	err := json.Unmarshal(raw, &s)
	return s, err
}
