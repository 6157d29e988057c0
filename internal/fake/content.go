package fake

import (
	"github.com/switchyard/switchyard/internal/openai"
	"strconv"
	"strings"
	"unicode/utf8"
)

// content writes answer text: the optional prefix, then the words "tok0 tok1 …" separated
// by single spaces, straight into a JSON buffer (words need no escaping; the prefix is escaped
// once, at construction). Immutable after newContent.
type content struct {
	prefix []byte // Text, JSON-escaped, without quotes
	plain  bool   // Text is empty
}

// newContent prepares the content for prefix text.
func newContent(text string) *content {
	quoted := openai.AppendString(nil, text)
	return &content{prefix: quoted[1 : len(quoted)-1], plain: text == ""}
}

// appendWords appends words [from, to) of an answer, each but the answer's very first with
// its separating space.
func (c *content) appendWords(b []byte, from, to int) []byte {
	for k := from; k < to; k++ {
		if k > 0 || !c.plain {
			b = append(b, ' ')
		}
		b = append(b, "tok"...)
		b = strconv.AppendInt(b, int64(k), 10)
	}
	return b
}

// appendFull appends the whole content of an n-word answer as a JSON string.
func (c *content) appendFull(b []byte, n int) []byte {
	b = append(b, '"')
	b = append(b, c.prefix...)
	b = c.appendWords(b, 0, n)
	return append(b, '"')
}

// appendPiece appends, as a JSON string, the content of chunk i of chunks when an n-word
// answer is streamed. Words are spread as evenly as possible with earlier chunks never
// emptier than later ones, so when n < chunks only trailing chunks are empty; the prefix
// rides in chunk 0. The pieces concatenate to the full content.
func (c *content) appendPiece(b []byte, n, i, chunks int) []byte {
	from := (i*n + chunks - 1) / chunks
	to := ((i+1)*n + chunks - 1) / chunks
	b = append(b, '"')
	if i == 0 {
		b = append(b, c.prefix...)
	}
	b = c.appendWords(b, from, to)
	return append(b, '"')
}

// fullSize estimates the bytes of an n-word answer, for pre-sizing buffers.
func (c *content) fullSize(n int) int { return len(c.prefix) + n*8 + 2 }

// appendInt appends n in decimal.
func appendInt(b []byte, n int) []byte { return strconv.AppendInt(b, int64(n), 10) }

// promptTokens estimates a request's input tokens as ceil(bytes / 4), like the gateway does.
func promptTokens(body []byte) int { return (len(body) + 3) / 4 }

// validString returns s with invalid UTF-8 replaced, so appendString may take it.
func validString(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
