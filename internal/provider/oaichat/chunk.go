package oaichat

import (
	"encoding/json"
	"strconv"

	"github.com/switchyard/switchyard/internal/openai"
)

// Chunk is an OpenAI chat.completion.chunk. A usage-only chunk has Choices empty (encoded []).
type Chunk struct {
	ID      string        `json:"id"`
	Object  string        `json:"object"`
	Created int64         `json:"created"`
	Model   string        `json:"model"`
	Choices []ChunkChoice `json:"choices"`
	Usage   *openai.Usage `json:"usage,omitempty"`
}

// ChunkChoice is the one choice of a Chunk; FinishReason is null until the last delta.
type ChunkChoice struct {
	Index        int     `json:"index"`
	Delta        Delta   `json:"delta"`
	FinishReason *string `json:"finish_reason"`
}

// Delta is the increment of a ChunkChoice.
type Delta struct {
	Role      string          `json:"role,omitempty"`
	Content   *string         `json:"content,omitempty"`
	ToolCalls []ToolCallDelta `json:"tool_calls,omitempty"`
}

// ToolCallDelta is an increment of a tool call: the first carries ID, Type and the name; the
// following ones pieces of the arguments.
type ToolCallDelta struct {
	Index    int           `json:"index"`
	ID       string        `json:"id,omitempty"`
	Type     string        `json:"type,omitempty"`
	Function FunctionDelta `json:"function"`
}

// FunctionDelta is the function part of a ToolCallDelta.
type FunctionDelta struct {
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments"`
}

// Chunker builds the chunks of one stream, all with the same id, model and created time.
type Chunker struct {
	ID, Model string
	Created   int64
	// head is `data: {"id":…,"object":…,"created":…,"model":…,"choices":[{"index":0,"delta":`,
	// encoded for Text (the chunk of almost every event) from headOf's id, model and time.
	head   []byte
	headOf struct {
		id, model string
		created   int64
	}
}

func (c *Chunker) chunk(d Delta, finish *string) Chunk {
	return Chunk{ID: c.ID, Object: "chat.completion.chunk", Created: c.Created, Model: c.Model,
		Choices: []ChunkChoice{{Delta: d, FinishReason: finish}}}
}

// Role is the first chunk: role "assistant" and empty content.
func (c *Chunker) Role() openai.Event {
	empty := ""
	return Event(c.chunk(Delta{Role: "assistant", Content: &empty}, nil))
}

// Text is a content delta. It is encoded by hand into one buffer (the same JSON as
// Event(c.chunk(Delta{Content: &s}, nil))): it is the hot path of every translated stream.
func (c *Chunker) Text(s string) openai.Event {
	if c.head == nil || c.headOf.id != c.ID || c.headOf.model != c.Model || c.headOf.created != c.Created {
		c.headOf.id, c.headOf.model, c.headOf.created = c.ID, c.Model, c.Created
		c.head = append(c.head[:0], `data: {"id":`...)
		c.head = openai.AppendString(c.head, c.ID)
		c.head = append(c.head, `,"object":"chat.completion.chunk","created":`...)
		c.head = strconv.AppendInt(c.head, c.Created, 10)
		c.head = append(c.head, `,"model":`...)
		c.head = openai.AppendString(c.head, c.Model)
		c.head = append(c.head, `,"choices":[{"index":0,"delta":`...)
	}
	const tail = `},"finish_reason":null}]}`
	raw := make([]byte, 0, len(c.head)+len(`{"content":""`)+len(s)+len(tail)+8)
	raw = append(raw, c.head...)
	raw = append(raw, `{"content":`...)
	raw = openai.AppendString(raw, s)
	raw = append(raw, tail...)
	raw = append(raw, "\n\n"...)
	return openai.Event{Raw: raw, Data: raw[len("data: ") : len(raw)-2]}
}

// ToolCall is a tool call delta.
func (c *Chunker) ToolCall(d ToolCallDelta) openai.Event {
	return Event(c.chunk(Delta{ToolCalls: []ToolCallDelta{d}}, nil))
}

// Finish is the chunk carrying the finish reason.
func (c *Chunker) Finish(reason string) openai.Event {
	return Event(c.chunk(Delta{}, &reason))
}

// Usage is the last chunk before [DONE]: no choices, the stream's usage.
func (c *Chunker) Usage(u openai.Usage) openai.Event {
	return Event(Chunk{ID: c.ID, Object: "chat.completion.chunk", Created: c.Created, Model: c.Model,
		Choices: []ChunkChoice{}, Usage: &u})
}

// Event encodes v as an SSE event: Raw is "data: {json}\n\n", Data the JSON.
func Event(v any) openai.Event {
	b, _ := json.Marshal(v)
	return RawEvent(b)
}

// RawEvent wraps an encoded JSON payload as an SSE event.
func RawEvent(data []byte) openai.Event {
	raw := make([]byte, 0, len(data)+8)
	raw = append(raw, "data: "...)
	raw = append(raw, data...)
	raw = append(raw, "\n\n"...)
	return openai.Event{Raw: raw, Data: raw[6 : 6+len(data)]}
}

// Done is the stream's last event, "data: [DONE]".
func Done() openai.Event {
	raw := []byte("data: [DONE]\n\n")
	return openai.Event{Raw: raw, Data: raw[6:12], Done: true}
}

// ErrorEvent is an in-band error event `data: {"error":{…}}` for an upstream's error in a stream
// (status picks the OpenAI type).
func ErrorEvent(status int, message, code string) openai.Event {
	return RawEvent(ErrorBody(status, message, code))
}

// Queue is a small FIFO of translated events: one upstream event can yield several. Its
// backing array is reused once drained.
type Queue struct {
	evs  []openai.Event
	head int
}

// Push appends events.
func (q *Queue) Push(evs ...openai.Event) { q.evs = append(q.evs, evs...) }

// Pop removes and returns the first event; ok is false when empty.
func (q *Queue) Pop() (ev openai.Event, ok bool) {
	if q.head == len(q.evs) {
		q.evs, q.head = q.evs[:0], 0
		return ev, false
	}
	ev = q.evs[q.head]
	q.evs[q.head] = openai.Event{}
	q.head++
	return ev, true
}
