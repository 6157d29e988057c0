package openai

import (
	"bytes"
	"errors"
)

// The gateway reads one member ("usage") of every answer. These scanners find it without
// decoding the rest: keys are compared in place and other values are skipped bracket by
// bracket, string by string (skipValue), so an answer costs no allocation and a fraction of
// encoding/json's time. They accept what encoding/json accepts for these shapes, and for
// duplicate keys the last one wins, as there. One difference: the top-level key must be spelled
// "usage" exactly (encoding/json also takes "Usage" or an escaped spelling; no upstream sends
// those).

// errNotObject is returned by topLevel for a value that is not a JSON object.
var errNotObject = errors.New("not a JSON object")

// topLevel returns the value of the top-level member key of the JSON object b (the last one
// when repeated), found false when there is none. The whole object is walked, so a body that
// is not one well-formed object is an error.
func topLevel(b []byte, key string) (val []byte, found bool, err error) {
	err = walkObject(b, func(k, v []byte) error {
		if keyIs(k, key) {
			val, found = v, true
		}
		return nil
	})
	return val, found, err
}

// walkObject calls f with the raw key and value of each top-level member of b, which must be
// one JSON object and nothing else but white space.
func walkObject(b []byte, f func(k, v []byte) error) error {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return errNotObject
	}
	end, err := eachMember(b, i, f)
	if err != nil {
		return err
	}
	if skipSpace(b, end) != len(b) {
		return syntaxErr(b, end, "unexpected data after the object")
	}
	return nil
}

// eachElement calls f with each element of the array starting at b[i] == '[' and returns the
// index just past it.
func eachElement(b []byte, i int, f func(v []byte) error) (int, error) {
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, nil
	}
	for {
		ve, err := skipValue(b, i)
		if err != nil {
			return 0, err
		}
		if err := f(b[i:ve]); err != nil {
			return 0, err
		}
		var end bool
		if i, end, err = afterValue(b, ve, ']'); end || err != nil {
			return i, err
		}
	}
}

// afterValue reads what follows a value that ends at b[ve] inside an array or object closed by
// close: a comma (it returns the index of the next value or key) or close (end true, and the
// index just past it).
func afterValue(b []byte, ve int, close byte) (i int, end bool, err error) {
	i = skipSpace(b, ve)
	switch {
	case i < len(b) && b[i] == ',':
		return skipSpace(b, i+1), false, nil
	case i < len(b) && b[i] == close:
		return i + 1, true, nil
	}
	return 0, false, syntaxErr(b, i, "expected ',' or '"+string(close)+"'")
}

// eachMember calls f with the raw key (quotes included) and the value of each member of the
// object starting at b[i] == '{', and returns the index just past it.
func eachMember(b []byte, i int, f func(k, v []byte) error) (int, error) {
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return 0, syntaxErr(b, i, "expected a string key")
		}
		keyEnd, err := skipString(b, i)
		if err != nil {
			return 0, err
		}
		k := b[i:keyEnd]
		i = skipSpace(b, keyEnd)
		if i >= len(b) || b[i] != ':' {
			return 0, syntaxErr(b, i, "expected ':'")
		}
		vs := skipSpace(b, i+1)
		ve, err := skipValue(b, vs)
		if err != nil {
			return 0, err
		}
		if err := f(k, b[vs:ve]); err != nil {
			return 0, err
		}
		var end bool
		if i, end, err = afterValue(b, ve, '}'); end || err != nil {
			return i, err
		}
	}
}

// keyIs reports whether the raw JSON string k (quotes included) is key. Escaped keys are
// decoded (rare; allocates).
func keyIs(k []byte, key string) bool {
	if bytes.IndexByte(k, '\\') < 0 {
		return string(k[1:len(k)-1]) == key
	}
	s, err := decodeKey(k)
	return err == nil && s == key
}

// errBadUsage is returned by parseUsage for a count that is not an integer.
var errBadUsage = errors.New("usage count is not an integer")

// parseUsage reads a "usage" value: ok false for null or anything but an object whose
// prompt_tokens, completion_tokens and total_tokens are integers (or null, or absent).
func parseUsage(v []byte) (u Usage, ok bool) {
	if len(v) == 0 || v[0] != '{' {
		return u, false
	}
	_, err := eachMember(v, 0, func(k, val []byte) error {
		var dst *int
		switch {
		case keyIs(k, "prompt_tokens"):
			dst = &u.PromptTokens
		case keyIs(k, "completion_tokens"):
			dst = &u.CompletionTokens
		case keyIs(k, "total_tokens"):
			dst = &u.TotalTokens
		default:
			return nil
		}
		if string(val) == "null" {
			return nil
		}
		n, ok := parseInt(val)
		if !ok {
			return errBadUsage
		}
		*dst = n
		return nil
	})
	return u, err == nil
}

// parseInt parses a JSON integer of at most 18 digits (no fraction, no exponent).
func parseInt(v []byte) (int, bool) {
	neg := len(v) > 0 && v[0] == '-'
	if neg {
		v = v[1:]
	}
	if len(v) == 0 || len(v) > 18 || (v[0] == '0' && len(v) > 1) {
		return 0, false
	}
	n := 0
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}
