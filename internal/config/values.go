package config

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// scalar reads a single value, replacing an os.environ/NAME reference by the variable's value
// (a string). It returns ok=false for null or an absent field, and after reporting an error.
// fromEnv says whether the value came from the environment (and so must never be printed).
func (l *loader) scalar(fd field) (v any, fromEnv bool, ok bool) {
	n := deref(fd.val)
	if n == nil {
		return nil, false, false
	}
	if n.Kind != yaml.ScalarNode {
		l.errorf(fd, "expected a single value, got %s", kindName(n))
		return nil, false, false
	}
	v = scalarValue(n)
	if v == nil {
		return nil, false, false
	}
	if s, isStr := v.(string); isStr && n.ShortTag() == "!!str" {
		if name, isRef := envRef(s); isRef {
			l.resolved[n] = true
			val, set := l.getenv(name)
			if !set {
				l.errorf(fd, "environment variable %s is not set", name)
				return nil, true, false
			}
			return val, true, true
		}
	}
	return v, false, true
}

// describe quotes a literal for an error message; values from the environment are never shown.
func describe(v any, fromEnv bool, fd field) string {
	if fromEnv {
		return fmt.Sprintf("the value of %s", strings.TrimPrefix(deref(fd.val).Value, envPrefix))
	}
	s := fmt.Sprint(v)
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return strconv.Quote(s)
}

// str reads a string. Numbers and booleans are taken as written ("2024-02-01", "12").
func (l *loader) str(fd field) (string, bool) {
	v, _, ok := l.scalar(fd)
	if !ok {
		return "", false
	}
	if s, isStr := v.(string); isStr {
		return s, true
	}
	return deref(fd.val).Value, true
}

// secret reads a credential.
func (l *loader) secret(fd field) (Secret, bool) {
	s, ok := l.str(fd)
	return Secret(s), ok
}

// float reads a number; numeric strings (from os.environ/ too) are accepted. Negative numbers are
// an error when nonNegative.
func (l *loader) float(fd field, nonNegative bool) (float64, bool) {
	v, fromEnv, ok := l.scalar(fd)
	if !ok {
		return 0, false
	}
	var f float64
	switch x := v.(type) {
	case int64:
		f = float64(x)
	case float64:
		f = x
	case string:
		p, err := strconv.ParseFloat(strings.ReplaceAll(strings.TrimSpace(x), "_", ""), 64)
		if err != nil {
			l.errorf(fd, "expected a number, got %s", describe(v, fromEnv, fd))
			return 0, false
		}
		f = p
	default:
		l.errorf(fd, "expected a number, got %s", describe(v, fromEnv, fd))
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		l.errorf(fd, "expected a finite number")
		return 0, false
	}
	if nonNegative && f < 0 {
		l.errorf(fd, "must not be negative")
		return 0, false
	}
	return f, true
}

// integer reads a whole number (20_000 and "6379" included). Negative numbers are an error when
// nonNegative.
func (l *loader) integer(fd field, nonNegative bool) (int64, bool) {
	v, fromEnv, ok := l.scalar(fd)
	if !ok {
		return 0, false
	}
	var i int64
	switch x := v.(type) {
	case int64:
		i = x
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > 1<<53 {
			l.errorf(fd, "expected an integer, got %s", describe(v, fromEnv, fd))
			return 0, false
		}
		i = int64(x)
	case string:
		t := strings.ReplaceAll(strings.TrimSpace(x), "_", "")
		p, err := strconv.ParseInt(t, 10, 64)
		if err != nil {
			fl, ferr := strconv.ParseFloat(t, 64)
			if ferr != nil || fl != math.Trunc(fl) || math.Abs(fl) > 1<<53 {
				l.errorf(fd, "expected an integer, got %s", describe(v, fromEnv, fd))
				return 0, false
			}
			p = int64(fl)
		}
		i = p
	default:
		l.errorf(fd, "expected an integer, got %s", describe(v, fromEnv, fd))
		return 0, false
	}
	if nonNegative && i < 0 {
		l.errorf(fd, "must not be negative")
		return 0, false
	}
	return i, true
}

// intField reads an int that must not be negative.
func (l *loader) intField(fd field) (int, bool) {
	i, ok := l.integer(fd, true)
	if ok && i > math.MaxInt32 {
		l.errorf(fd, "too large")
		return 0, false
	}
	return int(i), ok
}

// duration reads seconds (fractions allowed: 0.5 is 500 ms); never negative.
func (l *loader) duration(fd field) (time.Duration, bool) {
	f, ok := l.float(fd, true)
	if !ok {
		return 0, false
	}
	if f > float64(math.MaxInt64/int64(time.Second)) {
		l.errorf(fd, "too large")
		return 0, false
	}
	return time.Duration(f * float64(time.Second)), true
}

// boolean reads true/false (also True, "true", yes/no, on/off and 1/0 as strings, as PyYAML reads
// YAML 1.1 booleans).
func (l *loader) boolean(fd field) (bool, bool) {
	v, fromEnv, ok := l.scalar(fd)
	if !ok {
		return false, false
	}
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true", "yes", "on", "1":
			return true, true
		case "false", "no", "off", "0":
			return false, true
		}
	}
	l.errorf(fd, "expected true or false, got %s", describe(v, fromEnv, fd))
	return false, false
}

// stringList reads a list of strings; a single string is a list of one (LiteLLM accepts
// `callbacks: prometheus`).
func (l *loader) stringList(fd field) ([]string, bool) {
	n := deref(fd.val)
	if n == nil {
		return nil, false
	}
	if n.Kind == yaml.ScalarNode {
		s, ok := l.str(fd)
		if !ok {
			return nil, false
		}
		return []string{s}, true
	}
	if n.Kind != yaml.SequenceNode {
		l.errorf(fd, "expected a list of names, got %s", kindName(n))
		return nil, false
	}
	out := make([]string, 0, len(n.Content))
	ok := true
	for i, c := range n.Content {
		if s, good := l.str(fd.item(i, c)); good {
			out = append(out, s)
		} else if deref(c).ShortTag() != "!!null" {
			ok = false
		}
	}
	return out, ok
}

// mapping returns a mapping's fields (warning about duplicate keys); ok=false for null/absent and
// after reporting a non-mapping.
func (l *loader) mapping(fd field) ([]field, bool) {
	n := deref(fd.val)
	if n == nil || n.ShortTag() == "!!null" {
		return nil, false
	}
	if n.Kind != yaml.MappingNode {
		l.errorf(fd, "expected a mapping, got %s", kindName(n))
		return nil, false
	}
	pairs, dups := mappingPairs(n)
	l.warnDups(fd, dups)
	out := make([]field, len(pairs))
	for i, p := range pairs {
		out[i] = fd.child(p)
	}
	return out, true
}

// warnDups reports keys written twice in one mapping (the last one wins, as in LiteLLM).
func (l *loader) warnDups(fd field, dups []pair) {
	for _, d := range dups {
		l.warnf(fd.child(d), "key written more than once; the last one is used (as LiteLLM does)")
	}
}

// value converts any node to plain Go values (map[string]any, []any, string, int64, float64,
// bool, nil) with os.environ/ references resolved. With strict, an unset variable is an error;
// otherwise the value is left out (nil) and the end-of-load pass warns about it.
func (l *loader) value(fd field, strict bool) (any, bool) {
	n := deref(fd.val)
	if n == nil {
		return nil, true
	}
	switch n.Kind {
	case yaml.MappingNode:
		pairs, _ := mappingPairs(n)
		m := make(map[string]any, len(pairs))
		ok := true
		for _, p := range pairs {
			v, good := l.value(fd.child(p), strict)
			ok = ok && good
			if v != nil || deref(p.val).ShortTag() == "!!null" {
				m[p.key] = v
			}
		}
		return m, ok
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		ok := true
		for i, c := range n.Content {
			v, good := l.value(fd.item(i, c), strict)
			ok = ok && good
			s = append(s, v)
		}
		return s, ok
	}
	v := scalarValue(n)
	if s, isStr := v.(string); isStr && n.ShortTag() == "!!str" {
		if name, isRef := envRef(s); isRef {
			val, set := l.getenv(name)
			if set {
				l.resolved[n] = true
				return val, true
			}
			if strict {
				l.resolved[n] = true
				l.errorf(fd, "environment variable %s is not set", name)
				return nil, false
			}
			return nil, true
		}
	}
	return v, true
}

// jsonValue converts a node to JSON (env references resolved strictly).
func (l *loader) jsonValue(fd field) (json.RawMessage, bool) {
	v, ok := l.value(fd, true)
	if !ok {
		return nil, false
	}
	b, err := json.Marshal(v)
	if err != nil {
		l.errorf(fd, "cannot be sent as JSON: %v", err)
		return nil, false
	}
	return b, true
}

// list returns a list's items; ok=false for null/absent, and after reporting a non-list. what
// describes the expected items for the error message.
func (l *loader) list(fd field, what string) ([]*yaml.Node, bool) {
	n := deref(fd.val)
	if n == nil || n.ShortTag() == "!!null" {
		return nil, false
	}
	if n.Kind != yaml.SequenceNode {
		l.errorf(fd, "expected a list of %s, got %s", what, kindName(n))
		return nil, false
	}
	return n.Content, true
}
