package openai

import (
	"bytes"
	"errors"
)

// Stream events are read with the scanners of scan.go, not encoding/json: a stream carries
// one event per token or so, and the gateway reads at most three members of each (choices,
// usage, error). The shapes accepted are those encoding/json accepted for the struct this
// replaced; keys are matched as spelled (encoding/json also matched other letter cases).

// ChunkKind says what a stream event's data means for the commit point.
type ChunkKind int

const (
	// ChunkHold is an event that does not commit a stream (role-only delta, Azure's
	// prompt_filter_results, a usage-only chunk): held until one that commits.
	ChunkHold ChunkKind = iota
	// ChunkCommit carries delta content, tool calls or a finish reason: the stream commits.
	ChunkCommit
	// ChunkError is an in-band error event ({"error": …}).
	ChunkError
	// ChunkInvalid is data that is not a JSON object, or whose choices, usage or error
	// members have the wrong types.
	ChunkInvalid
)

// errChunkShape is a chunk member of the wrong type (choices not an array, content not a
// string, …).
var errChunkShape = errors.New("stream chunk member of the wrong type")

// chunkMembers are the raw values of the top-level members of a chunk the gateway reads; nil
// when absent.
type chunkMembers struct {
	choices, usage, err []byte
}

func readChunk(data []byte) (m chunkMembers, err error) {
	err = walkObject(data, func(k, v []byte) error {
		switch {
		case keyIs(k, "choices"):
			m.choices = v
		case keyIs(k, "usage"):
			m.usage = v
		case keyIs(k, "error"):
			m.err = v
		}
		return nil
	})
	return m, err
}

// ClassifyChunk reads one SSE data payload (without "data: "): whether it commits the stream,
// and the usage it carries (hasUsage false for none or "usage":null).
func ClassifyChunk(data []byte) (kind ChunkKind, u Usage, hasUsage bool) {
	m, err := readChunk(data)
	if err != nil {
		return ChunkInvalid, u, false
	}
	if !isNull(m.usage) {
		if u, hasUsage = parseUsage(m.usage); !hasUsage {
			return ChunkInvalid, Usage{}, false
		}
	}
	commit, err := choicesCommit(m.choices)
	switch {
	case err != nil:
		return ChunkInvalid, Usage{}, false
	case !isNull(m.err):
		return ChunkError, Usage{}, false
	case commit:
		return ChunkCommit, u, hasUsage
	}
	return ChunkHold, u, hasUsage
}

// choicesCommit reports whether any choice carries delta content, a refusal, tool or function
// calls, text, or a finish reason; an error for a value not shaped like choices.
func choicesCommit(v []byte) (commit bool, err error) {
	if isNull(v) {
		return false, nil
	}
	if v[0] != '[' {
		return false, errChunkShape
	}
	_, err = eachElement(v, 0, func(choice []byte) error {
		if isNull(choice) {
			return nil
		}
		if choice[0] != '{' {
			return errChunkShape
		}
		_, err := eachMember(choice, 0, func(k, v []byte) error {
			switch {
			case keyIs(k, "delta"):
				return deltaCommits(v, &commit)
			case keyIs(k, "text"):
				return stringCommits(v, &commit)
			case keyIs(k, "finish_reason"):
				if !isString(v) && !isNull(v) {
					return errChunkShape
				}
				commit = commit || !isNull(v)
			}
			return nil
		})
		return err
	})
	return commit, err
}

// deltaCommits sets *commit when the delta object v carries content, a refusal or a call.
func deltaCommits(v []byte, commit *bool) error {
	if isNull(v) {
		return nil
	}
	if v[0] != '{' {
		return errChunkShape
	}
	_, err := eachMember(v, 0, func(k, v []byte) error {
		switch {
		case keyIs(k, "content"), keyIs(k, "refusal"):
			return stringCommits(v, commit)
		case keyIs(k, "tool_calls"), keyIs(k, "function_call"):
			*commit = *commit || !isNull(v)
		}
		return nil
	})
	return err
}

// stringCommits sets *commit when v is a non-empty string; null is allowed, other types are not.
func stringCommits(v []byte, commit *bool) error {
	if isNull(v) {
		return nil
	}
	if !isString(v) {
		return errChunkShape
	}
	*commit = *commit || len(v) > 2 // `""` is the only spelling of the empty string
	return nil
}

// isNull reports whether a raw member value is absent (nil) or null.
func isNull(v []byte) bool { return v == nil || string(v) == "null" }

func isString(v []byte) bool { return len(v) > 0 && v[0] == '"' }

// ChunkUsage returns the usage a committed stream's chunk carries (ok false for none or
// "usage":null) and whether the chunk is the usage-only one stream_options.include_usage adds
// at the end (usage and no choices). Chunks whose only "usage" is null, as every chunk but
// the last is when include_usage is set, are recognised without walking them.
func ChunkUsage(data []byte) (u Usage, usageOnly, ok bool) {
	if !mayHoldUsage(data) {
		return u, false, false
	}
	m, err := readChunk(data)
	if err != nil {
		return u, false, false
	}
	if u, ok = parseUsage(m.usage); !ok {
		return Usage{}, false, false
	}
	return u, isNull(m.choices) || string(bytes.TrimLeft(m.choices[1:], " \t\r\n")) == "]", true
}

var usageKey = []byte(`"usage"`)

// mayHoldUsage is false when every "usage" in data is followed by ": null", or there is none:
// then the top-level usage, if any, is null. A quote inside a JSON string is escaped, so
// `"usage"` with both quotes bare and a colon after it is always a key.
func mayHoldUsage(data []byte) bool {
	for {
		i := bytes.Index(data, usageKey)
		if i < 0 {
			return false
		}
		data = data[i+len(usageKey):]
		j := skipSpace(data, 0)
		if j == len(data) || data[j] != ':' {
			continue // a string value "usage", not a key
		}
		data = data[skipSpace(data, j+1):]
		if !bytes.HasPrefix(data, []byte("null")) {
			return true
		}
	}
}

// IsErrorEvent reports whether a stream event's data is an in-band error ({"error": …}),
// cheaply: only a payload starting with {"error" is decoded.
func IsErrorEvent(data []byte) bool {
	t := bytes.TrimLeft(data, " \t\r\n")
	if !bytes.HasPrefix(t, []byte(`{"error"`)) {
		return false
	}
	kind, _, _ := ClassifyChunk(data)
	return kind == ChunkError
}
