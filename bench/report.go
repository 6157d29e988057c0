package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// Run is everything one harness run measured, as written to the JSON file.
type Run struct {
	Date      string   `json:"date"` // UTC, RFC 3339
	Command   string   `json:"command"`
	Machine   Machine  `json:"machine"`
	Settings  Settings `json:"settings"`
	Notes     []string `json:"notes,omitempty"`
	Results   []Result `json:"results"`
	Completed bool     `json:"completed"` // false when interrupted or failed part-way
}

// Machine describes where the run happened.
type Machine struct {
	Cores        int    `json:"cores"`
	CPUModel     string `json:"cpu_model"`
	Kernel       string `json:"kernel"`
	GoVersion    string `json:"go_version"`
	ClockTick    int    `json:"clock_tick_hz"`
	NoFileSoft   uint64 `json:"nofile_soft"` // RLIMIT_NOFILE of the harness after raising it
	NoFileHard   uint64 `json:"nofile_hard"`
	GatewayFiles string `json:"gateway_nofile"` // "soft/hard" of the Switchyard process
}

// Settings are the knobs of the run.
type Settings struct {
	Duration    string `json:"duration_per_target"`
	Slices      int    `json:"slices"`
	Warmup      string `json:"warmup"`
	StreamGap   string `json:"stream_chunk_gap"`
	Arrivals    string `json:"arrivals"`
	Requests    int    `json:"requests_cap,omitempty"`
	Concurrency int    `json:"concurrency_override,omitempty"`
	IdleStreams int    `json:"idle_streams"`
}

// machineInfo describes this machine.
func machineInfo() Machine {
	m := Machine{Cores: runtime.NumCPU(), GoVersion: runtime.Version(), CPUModel: "unknown"}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}

// writeJSON writes run to path, creating its directory.
func writeJSON(path string, run *Run) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(run, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// mdIntro heads the harness's part of docs/BENCHMARKS.md; it is appended once.
const mdIntro = `
<!-- bench-harness -->
## Benchmark harness (` + "`go run ./bench`" + `)

` + "`bench/`" + ` starts, as separate processes on 127.0.0.1: ` + "`fakellm`" + ` (one per upstream profile:
zero latency; a 20-chunk stream; a stream that sends one chunk and then idles), a **floor** per
profile (` + "`bench/floor`" + `: a plain ` + "`httputil.ReverseProxy`" + ` with a keep-alive pool sized for the load,
HTTP/1.1 upstream, flush per write), and Switchyard twice (three deployments per model group,
simple-shuffle; and usage-based routing with rpm/tpm set too high to bind), plus, for the
` + "`quota-redis-*`" + ` scenarios, a redis-server and a third Switchyard using it as its usage store
(target ` + "`switchyard-redis`" + `, its CPU including redis-server's). Its own load generator
(closed loop at fixed concurrency, or open loop at a fixed rate with Poisson arrivals) sends the
same requests to each target, interleaved in short slices so machine drift hits all alike:
` + "`direct`" + ` (straight to fakellm), ` + "`floor`" + `, ` + "`switchyard`" + `, and any ` + "`--peer NAME=URL[,Header:Value…]`" + `.

Per target and scenario it reports requests/s; latency p50/p90/p99/p99.9 (ms, to the last byte);
**+p50/+p99**, the latency added over ` + "`direct`" + `; for streams the time to the first data event
(TTFB) and the gap between data events; **CPU seconds per 1,000 requests** of the gateway process
(utime+stime from /proc/PID/stat); peak RSS (VmHWM, reset per slice); errors; then each target ÷
the floor. ` + "`idle8000`" + ` holds thousands of open, silent streams and reports resident memory per
stream. The load generator shares the machine with the targets, so absolute numbers are lower
than on separate hosts; compare rows of one run, not runs on different days.

    go run ./bench                          # every scenario, 10 s per target each
    go run ./bench --duration 5s --scenarios c1,c32,stream16
    go run ./bench --peer 'portkey=http://127.0.0.1:8787/v1,x-portkey-provider:openai,x-portkey-custom-host:{upstream}'
    go run ./bench --smoke --md -           # a 2-second check that it all still runs

` + "`{upstream}`" + ` in a peer's header becomes the scenario's fakellm base URL. Each run appends a section
below and writes JSON to ` + "`bench/out/latest.json`" + ` (` + "`--json`" + `).
`

// appendMarkdown appends section to the markdown file at path, creating it with a title and
// the harness intro when needed; existing content is never changed.
func appendMarkdown(path, section string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	var b strings.Builder
	if len(old) == 0 {
		b.WriteString("# Benchmarks\n")
	}
	if !strings.Contains(string(old), "<!-- bench-harness -->") {
		b.WriteString(mdIntro)
	}
	b.WriteString("\n")
	b.WriteString(section)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if len(old) > 0 && !strings.HasSuffix(string(old), "\n") {
		io.WriteString(f, "\n")
	}
	if _, err := io.WriteString(f, b.String()); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// markdown renders run as a dated section with the machine, the command and the tables.
func markdown(run *Run) string {
	var b strings.Builder
	m := run.Machine
	fmt.Fprintf(&b, "### Run %s\n\n", run.Date)
	fmt.Fprintf(&b, "Command: `%s`  \n", run.Command)
	fmt.Fprintf(&b, "Machine: %d cores, %s, Linux %s, %s; open-file limit %d/%d (harness soft/hard), %s (switchyard)  \n",
		m.Cores, m.CPUModel, m.Kernel, m.GoVersion, m.NoFileSoft, m.NoFileHard, m.GatewayFiles)
	s := run.Settings
	fmt.Fprintf(&b, "Load: %s per target per scenario in %d interleaved slices after a %s warm-up; streams are 20 chunks %s apart; open loop: %s arrivals.\n",
		s.Duration, s.Slices, s.Warmup, s.StreamGap, s.Arrivals)
	if !run.Completed {
		b.WriteString("\n**Incomplete run** (interrupted or failed part-way).\n")
	}
	for _, n := range run.Notes {
		fmt.Fprintf(&b, "\n%s\n", n)
	}
	writeLoadTable(&b, run.Results)
	writeRatioTable(&b, run.Results)
	writeRedisTable(&b, run.Results)
	writeQuotaTable(&b, run.Results)
	writeIdleTable(&b, run.Results)
	writeErrors(&b, run.Results)
	return b.String()
}

// writeLoadTable writes one row per target per load scenario.
func writeLoadTable(b *strings.Builder, rs []Result) {
	b.WriteString("\nLatencies in ms; +p50/+p99 are over `direct`; CPU is seconds per 1,000 requests of the target's process.\n\n")
	b.WriteString("| scenario | target | req/s | p50 | p90 | p99 | p99.9 | +p50 | +p99 | TTFB p50 | TTFB p99 | gap p50 | gap p99 | CPU s/1k | peak RSS MiB | errors |\n")
	b.WriteString("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, r := range rs {
		if r.Idle != nil {
			continue
		}
		errs := fmt.Sprint(r.Errors)
		if r.Open != nil && r.Open.Late > 0 {
			errs += fmt.Sprintf(" (%d late)", r.Open.Late)
		}
		fmt.Fprintf(b, "| %s | %s | %.0f | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			r.Scenario, r.Target, r.RPS, msf(r.Latency.P50), msf(r.Latency.P90), msf(r.Latency.P99), msf(r.Latency.P999),
			optMs(r.AddedP50), optMs(r.AddedP99),
			pctField(r.TTFB, false), pctField(r.TTFB, true), pctField(r.Gap, false), pctField(r.Gap, true),
			measured(r, fmt.Sprintf("%.3f", r.CPUPer1k)), measured(r, fmt.Sprintf("%.1f", r.PeakRSSMiB)), errs)
	}
}

// writeRatioTable writes each measured non-floor target ÷ the floor, per load scenario.
func writeRatioTable(b *strings.Builder, rs []Result) {
	var rows []string
	for _, r := range rs {
		if r.Idle != nil || r.Target == floorName || r.Target == directName {
			continue
		}
		f, ok := find(rs, r.Scenario, floorName)
		if !ok {
			continue
		}
		rows = append(rows, fmt.Sprintf("| %s | %s | %s | %s | %s | %s | %s |", r.Scenario, r.Target,
			ratio(r.CPUPer1k, f.CPUPer1k, r.Measured), ratio(r.RPS, f.RPS, true),
			ratio(r.Latency.P50, f.Latency.P50, true), ratioOpt(r.AddedP50, f.AddedP50),
			ratio(r.PeakRSSMiB, f.PeakRSSMiB, r.Measured)))
	}
	if len(rows) == 0 {
		return
	}
	b.WriteString("\nRatios to the floor (target ÷ floor; lower is better except req/s):\n\n")
	b.WriteString("| scenario | target | CPU per request | req/s | p50 | +p50 | peak RSS |\n|---|---|--:|--:|--:|--:|--:|\n")
	b.WriteString(strings.Join(rows, "\n") + "\n")
}

// writePairTable writes one row per scenario where target ran beside switchyard (interleaved):
// row formats the pair (r is target's result, sy switchyard's). Nothing when there is none.
func writePairTable(b *strings.Builder, rs []Result, target, title, header string, row func(r, sy Result) string) {
	var rows []string
	for _, r := range rs {
		if r.Target != target {
			continue
		}
		if sy, ok := find(rs, r.Scenario, switchyardName); ok {
			rows = append(rows, row(r, sy))
		}
	}
	if len(rows) == 0 {
		return
	}
	b.WriteString("\n" + title + "\n\n" + header + "\n")
	b.WriteString(strings.Join(rows, "\n") + "\n")
}

// writeRedisTable writes, per Redis scenario, switchyard-redis against switchyard (memory
// store) of the same scenario: the issue 5 throughput ratio, and where the CPU went.
func writeRedisTable(b *strings.Builder, rs []Result) {
	writePairTable(b, rs, redisName,
		"Redis store vs memory store, same scenario, interleaved (CPU s/1k: Switchyard's, and redis-server's):",
		"| scenario | redis req/s | memory req/s | req/s redis ÷ memory | memory CPU | redis: switchyard CPU | redis: redis-server CPU | CPU redis ÷ memory |\n|---|--:|--:|--:|--:|--:|--:|--:|",
		func(r, m Result) string {
			return fmt.Sprintf("| %s | %.0f | %.0f | %s | %s | %s | %s | %s |", r.Scenario, r.RPS, m.RPS,
				ratio(r.RPS, m.RPS, true), measured(m, fmt.Sprintf("%.3f", m.CPUPer1k)),
				measured(r, fmt.Sprintf("%.3f", r.CPUPer1k-r.AlsoCPUPer1k)), measured(r, fmt.Sprintf("%.3f", r.AlsoCPUPer1k)),
				ratio(r.CPUPer1k, m.CPUPer1k, r.Measured && m.Measured))
		})
}

// writeQuotaTable writes, per memory-store quota scenario, switchyard (usage-based routing with
// rpm/tpm) against switchyard-noquota (simple-shuffle, no quotas), interleaved: issue 3's "quotas
// on vs off", in the gateway process's CPU alone.
func writeQuotaTable(b *strings.Builder, rs []Result) {
	writePairTable(b, rs, noQuotaName,
		"Quotas on vs off, same scenario, interleaved (CPU s/1k of the Switchyard process):",
		"| scenario | on req/s | off req/s | on CPU | off CPU | CPU on ÷ off |\n|---|--:|--:|--:|--:|--:|",
		func(off, on Result) string {
			return fmt.Sprintf("| %s | %.0f | %.0f | %s | %s | %s |", off.Scenario, on.RPS, off.RPS,
				measured(on, fmt.Sprintf("%.3f", on.CPUPer1k)), measured(off, fmt.Sprintf("%.3f", off.CPUPer1k)),
				ratio(on.CPUPer1k, off.CPUPer1k, on.Measured && off.Measured))
		})
}

// writeIdleTable writes the idle-streams results.
func writeIdleTable(b *strings.Builder, rs []Result) {
	var rows []string
	for _, r := range rs {
		if r.Idle == nil {
			continue
		}
		ir := r.Idle
		vsFloor := "–"
		if f, ok := find(rs, r.Scenario, floorName); ok && f.Idle != nil && r.Target != floorName {
			vsFloor = ratio(ir.PerStreamKiB, f.Idle.PerStreamKiB, r.Measured)
		}
		rows = append(rows, fmt.Sprintf("| %s | %s | %d/%d | %s | %s | %s | %s | %s | %s | %d |", r.Scenario, r.Target,
			ir.Open, ir.Streams, measured(r, fmt.Sprint(ir.FDs)), measured(r, fmt.Sprintf("%.1f", ir.BaseRSSMiB)),
			measured(r, fmt.Sprintf("%.1f", ir.OpenRSSMiB)), measured(r, fmt.Sprintf("%.1f", ir.PerStreamKiB)), vsFloor,
			msf(ir.TTFB.P50), ir.Errors))
	}
	if len(rows) == 0 {
		return
	}
	b.WriteString("\nIdle streams (each got one chunk, then silence), memory of the target's process:\n\n")
	b.WriteString("| scenario | target | open/asked | fds | RSS before MiB | RSS open MiB | KiB per stream | ÷ floor | TTFB p50 ms | errors |\n|---|---|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	b.WriteString(strings.Join(rows, "\n") + "\n")
}

// writeErrors lists sample error messages, if any.
func writeErrors(b *strings.Builder, rs []Result) {
	first := true
	for _, r := range rs {
		if len(r.ErrorSamples) == 0 {
			continue
		}
		if first {
			b.WriteString("\nErrors seen:\n\n")
			first = false
		}
		fmt.Fprintf(b, "- %s / %s (%d): %s\n", r.Scenario, r.Target, r.Errors, strings.Join(r.ErrorSamples, "; "))
	}
}

// find returns the result of target in scenario.
func find(rs []Result, scenario, target string) (Result, bool) {
	for _, r := range rs {
		if r.Scenario == scenario && r.Target == target {
			return r, true
		}
	}
	return Result{}, false
}

// msf formats milliseconds with microsecond resolution.
func msf(v float64) string { return fmt.Sprintf("%.3f", v) }

// optMs formats an optional millisecond value ("–" when absent).
func optMs(v *float64) string {
	if v == nil {
		return "–"
	}
	return fmt.Sprintf("%+.3f", *v)
}

// pctField formats a stream percentile (p99 when hi, else p50), "–" for non-streams.
func pctField(p *Percentiles, hi bool) string {
	switch {
	case p == nil || p.N == 0:
		return "–"
	case hi:
		return msf(p.P99)
	}
	return msf(p.P50)
}

// measured returns s, or "–" when r's process could not be measured.
func measured(r Result, s string) string {
	if !r.Measured {
		return "–"
	}
	return s
}

// ratio formats a ÷ b with two decimals ("–" when not ok or b is not positive).
func ratio(a, b float64, ok bool) string {
	if !ok || b <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", a/b)
}

// ratioOpt is ratio for optional values; an added latency under a microsecond is too small
// to divide by.
func ratioOpt(a, b *float64) string {
	if a == nil || b == nil || *a < 0 || *b < 0.001 {
		return "–"
	}
	return ratio(*a, *b, true)
}
