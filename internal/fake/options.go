package fake

import (
	"strings"
	"time"
)

// Defaults applied by NewHandler to zero (or out-of-range) Options fields.
const (
	// DefaultChunks is the number of content chunks in a stream when Options.Chunks ≤ 0.
	DefaultChunks = 5
	// DefaultOutputTokens is the completion token count of a non-streaming answer when
	// Options.OutputTokens ≤ 0. Streams default to one token per chunk instead.
	DefaultOutputTokens = 10
	// DefaultFailStatus is the HTTP status of an injected failure when Options.FailStatus is 0.
	DefaultFailStatus = 500
	// DefaultRecordLimit is how many recent requests a Handler keeps when Options.RecordLimit is 0.
	DefaultRecordLimit = 10_000
	// MaxBodyBytes bounds a request body (64 MiB); a larger body is answered 413.
	MaxBodyBytes = 64 << 20
)

// Options shape every answer of a Handler. The zero value is a fast, always-successful fake.
// A Handler copies its Options at construction; they never change afterwards.
type Options struct {
	// Latency is the time before the answer starts: before the response headers of a
	// non-streaming answer or of an injected failure, and between the (immediately flushed)
	// headers and the first chunk of a stream. Default 0; negative means 0.
	Latency time.Duration

	// Chunks is the number of content chunks in a stream (OpenAI content deltas, Anthropic
	// text_delta events), not counting role, finish, usage or [DONE] events. Default 5
	// (DefaultChunks) when ≤ 0.
	Chunks int

	// ChunkGap is the pause between two consecutive content chunks of a stream, so a stream
	// lasts about Latency + (Chunks-1)×ChunkGap. Default 0; negative means 0.
	ChunkGap time.Duration

	// OutputTokens is the number of completion tokens reported in usage and the number of
	// words ("tok0 tok1 …") in the content. Default when ≤ 0: Chunks for a stream,
	// DefaultOutputTokens (10) otherwise. A request's max_tokens (or max_completion_tokens)
	// below it caps it, and the answer then finishes with "length" (Anthropic "max_tokens").
	OutputTokens int

	// FailRate is the fraction (0..1, clamped) of valid requests answered with FailStatus and
	// an error body instead of a completion. Default 0: never fail. The body has the route's
	// shape: {"error":{"message":"fake failure","type":"server_error","param":null,"code":null}}
	// for OpenAI and Azure (type "invalid_request_error" for a 4xx other than 429), and
	// {"type":"error","error":{"type":…,"message":"fake failure"}} on /v1/messages, with
	// Anthropic's type for the status (api_error, rate_limit_error, overloaded_error, …).
	// Which requests fail is drawn from Handler.Rand.
	FailRate float64

	// FailStatus is the HTTP status of an injected failure. Default 500 (DefaultFailStatus)
	// when 0 or outside 400..599; a 429 also carries "Retry-After: 1".
	FailStatus int

	// Name identifies this fake in answers: the x-fake-name response header and, in OpenAI
	// shapes, system_fingerprint. Default empty (header omitted). Invalid UTF-8 is replaced.
	Name string

	// Text is an optional fixed prefix of every answer's content; the words follow it after a
	// space. It does not count towards OutputTokens. Invalid UTF-8 is replaced.
	Text string

	// RecordLimit is how many of the most recent requests are kept for Requests(): default
	// 10,000 (DefaultRecordLimit) when 0; negative turns recording off (Count still counts).
	RecordLimit int
}

// normalized returns o with defaults applied and values clamped to their ranges.
func (o Options) normalized() Options {
	if o.Latency < 0 {
		o.Latency = 0
	}
	if o.Chunks <= 0 {
		o.Chunks = DefaultChunks
	}
	if o.ChunkGap < 0 {
		o.ChunkGap = 0
	}
	if o.OutputTokens < 0 {
		o.OutputTokens = 0
	}
	if !(o.FailRate > 0) { // also catches NaN
		o.FailRate = 0
	}
	if o.FailRate > 1 {
		o.FailRate = 1
	}
	if o.FailStatus < 400 || o.FailStatus > 599 {
		o.FailStatus = DefaultFailStatus
	}
	if o.RecordLimit == 0 {
		o.RecordLimit = DefaultRecordLimit
	}
	o.Name = strings.ToValidUTF8(o.Name, "\uFFFD")
	o.Text = strings.ToValidUTF8(o.Text, "\uFFFD")
	return o
}

// outputTokens is the completion token count for a request: the configured count (or the
// default for its kind), capped by the request's max_tokens when that is positive. capped
// reports whether the cap applied.
func (o *Options) outputTokens(stream bool, maxTokens int) (n int, capped bool) {
	n = o.OutputTokens
	if n == 0 {
		n = DefaultOutputTokens
		if stream {
			n = o.Chunks
		}
	}
	if maxTokens > 0 && maxTokens < n {
		return maxTokens, true
	}
	return n, false
}
