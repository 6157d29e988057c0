package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// profile names an upstream behaviour; each runs as its own fakellm process.
type profile string

const (
	fastProfile   profile = "fast"   // zero latency, a non-streaming answer at once
	streamProfile profile = "stream" // 20 content chunks, --stream-gap apart
	idleProfile   profile = "idle"   // first chunk at once, then silence for an hour
)

// profiles lists every profile, in start order.
var profiles = []profile{fastProfile, streamProfile, idleProfile}

// scenario is one load shape, run against every target.
type scenario struct {
	Name        string
	Profile     profile
	Stream      bool
	Concurrency int     // closed loop: workers; open loop: most requests in flight
	Rate        float64 // open loop requests per second; 0 = closed loop
	PromptBytes int     // size of the user message
	Quota       bool    // Switchyard with usage-based routing and rpm/tpm quotas
	Redis       bool    // with Quota: also the Redis-store Switchyard (target switchyard-redis)
	Idle        bool    // idle streams for memory per stream; Concurrency is the stream count
}

// shortPrompt is the size of the default user message.
const shortPrompt = 0

// allScenarios are the scenarios in run order (idle streams last: they are the slowest and
// move memory the most).
var allScenarios = []scenario{
	{Name: "c1", Profile: fastProfile, Concurrency: 1},
	{Name: "c16", Profile: fastProfile, Concurrency: 16},
	{Name: "c32", Profile: fastProfile, Concurrency: 32},
	{Name: "c64", Profile: fastProfile, Concurrency: 64},
	{Name: "stream1", Profile: streamProfile, Stream: true, Concurrency: 1},
	{Name: "stream16", Profile: streamProfile, Stream: true, Concurrency: 16},
	{Name: "open2000", Profile: fastProfile, Concurrency: 512, Rate: 2000},
	{Name: "quota-short", Profile: fastProfile, Concurrency: 32, Quota: true},
	{Name: "quota-16k", Profile: fastProfile, Concurrency: 32, Quota: true, PromptBytes: 16 << 10},
	{Name: "quota-redis-short", Profile: fastProfile, Concurrency: 32, Quota: true, Redis: true},
	{Name: "quota-redis-16k", Profile: fastProfile, Concurrency: 32, Quota: true, Redis: true, PromptBytes: 16 << 10},
	{Name: "idle8000", Profile: idleProfile, Stream: true, Concurrency: 8000, Idle: true},
}

// pickScenarios returns the scenarios named in the comma list (all for "" or "all"), in
// their canonical order.
func pickScenarios(list string) ([]scenario, error) {
	if list == "" || list == "all" {
		return allScenarios, nil
	}
	want := map[string]bool{}
	for n := range strings.SplitSeq(list, ",") {
		want[strings.TrimSpace(n)] = true
	}
	var out []scenario
	for _, s := range allScenarios {
		if want[s.Name] {
			out = append(out, s)
			delete(want, s.Name)
		}
	}
	for n := range want {
		var names []string
		for _, s := range allScenarios {
			names = append(names, s.Name)
		}
		return nil, fmt.Errorf("unknown scenario %q (known: %s)", n, strings.Join(names, ", "))
	}
	return out, nil
}

// Target names with a fixed meaning in reports.
const (
	directName     = "direct"
	floorName      = "floor"
	switchyardName = "switchyard"
	// redisName is Switchyard with the Redis usage store; it takes part only in the Redis
	// scenarios, where "switchyard" is the same config with the memory store, interleaved.
	redisName = "switchyard-redis"
	// noQuotaName is Switchyard with simple-shuffle and no quotas; it takes part only in the
	// memory-store quota scenarios, interleaved with "switchyard" (quotas on): issue 3's on vs off.
	noQuotaName = "switchyard-noquota"
)

// target is one address the harness sends every scenario's requests to.
type target struct {
	Name string
	// resolve returns where sc's requests go, or false when the target sits sc out.
	resolve func(sc scenario) (endpoint, bool)
}

// peerSpec is a --peer flag: another OpenAI-compatible gateway.
type peerSpec struct {
	Name   string
	Base   string // URL base, e.g. http://127.0.0.1:8787/v1
	Header http.Header
}

// parsePeer parses NAME=URL[,Header:Value…]. In header values, {upstream} stands for the
// base URL (ending in /v1) of the scenario's fake upstream, so a peer can be pointed at it.
func parsePeer(s string) (peerSpec, error) {
	name, rest, ok := strings.Cut(s, "=")
	if !ok || name == "" || rest == "" {
		return peerSpec{}, fmt.Errorf("--peer %q: want NAME=URL[,Header:Value…]", s)
	}
	parts := strings.Split(rest, ",")
	u, err := url.Parse(parts[0])
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return peerSpec{}, fmt.Errorf("--peer %q: %q is not an http URL", s, parts[0])
	}
	if h := u.Hostname(); h != "127.0.0.1" && h != "localhost" && h != "::1" {
		return peerSpec{}, fmt.Errorf("--peer %q: the harness only talks to loopback addresses", s)
	}
	switch name {
	case directName, floorName, switchyardName, redisName, noQuotaName:
		return peerSpec{}, fmt.Errorf("--peer %q: the name %q is taken", s, name)
	}
	p := peerSpec{Name: name, Base: strings.TrimRight(parts[0], "/"), Header: http.Header{}}
	for _, kv := range parts[1:] {
		k, v, ok := strings.Cut(kv, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return peerSpec{}, fmt.Errorf("--peer %q: header %q: want Header:Value", s, kv)
		}
		p.Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	return p, nil
}

// chatURL appends the chat-completions path to an OpenAI base URL (with or without /v1).
func chatURL(base string) string {
	base = strings.TrimRight(base, "/")
	if strings.HasSuffix(base, "/v1") {
		return base + "/chat/completions"
	}
	return base + "/v1/chat/completions"
}

// peerTarget is the target of a --peer; upstream maps a profile to its fakellm base URL and
// pid is the peer's process (0 when not found).
func peerTarget(p peerSpec, upstream map[profile]string, pid int) target {
	return target{Name: p.Name, resolve: func(sc scenario) (endpoint, bool) {
		h := http.Header{}
		for k, vs := range p.Header {
			for _, v := range vs {
				h.Add(k, strings.ReplaceAll(v, "{upstream}", upstream[sc.Profile]+"/v1"))
			}
		}
		return endpoint{URL: chatURL(p.Base), Model: "bench", Header: h, PID: pid}, true
	}}
}
