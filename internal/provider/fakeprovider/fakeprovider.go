// Package fakeprovider is the "fake/" provider: an in-process fake LLM upstream (internal/fake)
// reached through an in-memory transport, for the demo, tests and benchmarks. It speaks the
// OpenAI wire format; no socket is opened.
//
// litellm_params it reads (all optional): latency (seconds before the answer or first chunk),
// chunks (content chunks per stream, default 5), chunk_gap (seconds between chunks),
// output_tokens, fail_rate (0..1), fail_status (default 500), text (content prefix).
package fakeprovider

import (
	"fmt"
	"time"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/fake"
	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/provider/openai"
)

// Base is the base URL the fake answers on (never dialled).
const Base = "http://fake.switchyard.invalid/v1"

// New is the provider.Factory for "fake/".
func New(d *config.Deployment, _ *provider.Env) (provider.Provider, error) {
	opts, err := Options(d)
	if err != nil {
		return nil, err
	}
	p := &openai.Provider{Base: Base, Key: d.APIKey, Header: openai.BaseHeader(d), IncludeUsage: provider.StreamUsage(d, true)}
	p.RT = fake.Transport(fake.NewHandler(opts))
	return p, nil
}

// Options reads the fake's behaviour from d's litellm_params.
func Options(d *config.Deployment) (fake.Options, error) {
	o := fake.Options{Name: d.ID}
	var err error
	num := func(key string) float64 {
		v, ok := d.Params[key]
		if !ok || err != nil {
			return 0
		}
		switch n := v.(type) {
		case int:
			return float64(n)
		case int64:
			return float64(n)
		case float64:
			return n
		}
		err = fmt.Errorf("litellm_params.%s: want a number, got %v", key, v)
		return 0
	}
	seconds := func(key string) time.Duration { return time.Duration(num(key) * float64(time.Second)) }
	o.Latency = seconds("latency")
	o.ChunkGap = seconds("chunk_gap")
	o.Chunks = int(num("chunks"))
	o.OutputTokens = int(num("output_tokens"))
	o.FailRate = num("fail_rate")
	o.FailStatus = int(num("fail_status"))
	if s, ok := d.Params["text"].(string); ok {
		o.Text = s
	}
	return o, err
}
