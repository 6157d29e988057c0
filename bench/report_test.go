package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParsePeer(t *testing.T) {
	p, err := parsePeer("portkey=http://127.0.0.1:8787/v1,x-portkey-provider:openai,x-portkey-custom-host:{upstream}")
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "portkey" || p.Base != "http://127.0.0.1:8787/v1" || p.Header.Get("X-Portkey-Provider") != "openai" {
		t.Errorf("parsePeer = %+v", p)
	}
	ep, _ := peerTarget(p, map[profile]string{streamProfile: "http://127.0.0.1:9"}, 0).resolve(scenario{Profile: streamProfile})
	if got, want := ep.Header.Get("X-Portkey-Custom-Host"), "http://127.0.0.1:9/v1"; got != want {
		t.Errorf("{upstream} became %q, want %q", got, want)
	}
	if got, want := ep.URL, "http://127.0.0.1:8787/v1/chat/completions"; got != want {
		t.Errorf("peer URL %q, want %q", got, want)
	}
	for _, bad := range []string{"portkey", "=http://127.0.0.1:1", "p=ftp://127.0.0.1:1", "p=http://10.0.0.1:80",
		"floor=http://127.0.0.1:1", "p=http://127.0.0.1:1,novalue"} {
		if _, err := parsePeer(bad); err == nil {
			t.Errorf("parsePeer(%q): got no error, want one", bad)
		}
	}
}

func TestPickScenarios(t *testing.T) {
	got, err := pickScenarios("idle8000, c1")
	if err != nil || len(got) != 2 || got[0].Name != "c1" || got[1].Name != "idle8000" {
		t.Errorf("pickScenarios = %v, %v; want c1, idle8000 in canonical order", got, err)
	}
	if _, err := pickScenarios("c1,c2"); err == nil {
		t.Error("pickScenarios(c2): got no error, want one")
	}
}

func TestIdleStreamCap(t *testing.T) {
	if got := idleStreamCap(20000); got != 9900 {
		t.Errorf("idleStreamCap(20000) = %d, want 9900", got)
	}
}

func TestAppendMarkdown(t *testing.T) {
	path := filepath.Join(t.TempDir(), "docs", "BENCHMARKS.md")
	run := &Run{Date: "2026-01-02T03:04:05Z", Command: "go run ./bench", Completed: true,
		Results: []Result{
			{Scenario: "c1", Target: directName, Latency: Percentiles{N: 1, P50: 0.1}},
			{Scenario: "c1", Target: floorName, Latency: Percentiles{N: 1, P50: 0.2}, Measured: true, CPUPer1k: 0.02},
			{Scenario: "c1", Target: switchyardName, Latency: Percentiles{N: 1, P50: 0.3}, Measured: true, CPUPer1k: 0.03},
		}}
	addDeltas(run.Results)
	for range 2 {
		if err := appendMarkdown(path, markdown(run)); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(path)
	s := string(b)
	for _, want := range []string{"# Benchmarks\n", "| c1 | switchyard |", "| c1 | switchyard | 1.50 |", "+0.200"} {
		if !strings.Contains(s, want) {
			t.Errorf("markdown lacks %q:\n%s", want, s)
		}
	}
	if n := strings.Count(s, "<!-- bench-harness -->"); n != 1 {
		t.Errorf("intro written %d times, want once", n)
	}
	if n := strings.Count(s, "### Run 2026-01-02T03:04:05Z"); n != 2 {
		t.Errorf("%d run sections, want 2", n)
	}
}
