package main

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"time"
)

// sampleEvery is how often a meter samples the measured process's resident memory.
const sampleEvery = 50 * time.Millisecond

// Result is one target's measurements in one scenario. Latencies are milliseconds.
type Result struct {
	Scenario     string       `json:"scenario"`
	Target       string       `json:"target"`
	Requests     int          `json:"requests"` // successful
	Errors       int          `json:"errors"`
	ErrorSamples []string     `json:"error_samples,omitempty"`
	Seconds      float64      `json:"seconds"` // wall time under load, all slices
	RPS          float64      `json:"requests_per_second"`
	Latency      Percentiles  `json:"latency"`
	AddedP50     *float64     `json:"added_p50_ms,omitempty"` // p50 − direct's p50
	AddedP99     *float64     `json:"added_p99_ms,omitempty"`
	TTFB         *Percentiles `json:"ttfb,omitempty"`      // streams: to the first data event
	Gap          *Percentiles `json:"chunk_gap,omitempty"` // streams: between data events
	AddedTTFB    *float64     `json:"added_ttfb_p50_ms,omitempty"`
	Open         *openStats   `json:"open_loop,omitempty"`
	Measured     bool         `json:"measured"` // a process was found to measure CPU and memory
	PID          int          `json:"pid,omitempty"`
	CPUSeconds   float64      `json:"cpu_seconds"`        // utime+stime of the process (and AlsoCPU) under load
	CPUPer1k     float64      `json:"cpu_seconds_per_1k"` // CPUSeconds per 1,000 requests
	// AlsoCPUPer1k is the part of CPUPer1k used by the endpoint's AlsoCPU processes
	// (switchyard-redis: its redis-server).
	AlsoCPUPer1k float64     `json:"also_cpu_seconds_per_1k,omitempty"`
	PeakRSSMiB   float64     `json:"peak_rss_mib"`
	Idle         *IdleResult `json:"idle,omitempty"`
}

// meter measures a process's CPU and peak memory over an interval.
type meter struct {
	pid       int
	also      []int // more processes whose CPU is added (not their memory)
	cpu0      int64 // CPU ticks of pid and also at the start
	also0     int64 // CPU ticks of also at the start
	hwmReset  bool
	peakKiB   int64
	stop, end chan struct{}
}

// startMeter starts measuring pid, adding the CPU of also; a pid of 0 measures nothing.
func startMeter(pid int, also ...int) *meter {
	m := &meter{pid: pid, also: also, stop: make(chan struct{}), end: make(chan struct{})}
	if pid == 0 {
		close(m.end)
		return m
	}
	m.cpu0, m.also0 = m.cpuTicks()
	m.hwmReset = resetPeakRSS(pid)
	go func() {
		defer close(m.end)
		t := time.NewTicker(sampleEvery)
		defer t.Stop()
		for {
			if mi, err := procMem(pid); err == nil {
				m.peakKiB = max(m.peakKiB, mi.RSS)
			}
			select {
			case <-t.C:
			case <-m.stop:
				return
			}
		}
	}()
	return m
}

// finish ends the measurement: CPU ticks used since start (of pid and also together, and of
// also alone), and the peak RSS of pid in KiB (VmHWM when it could be reset at the start,
// else the highest sampled VmRSS).
func (m *meter) finish() (ticks, alsoTicks, peakKiB int64) {
	close(m.stop)
	<-m.end
	if m.pid == 0 {
		return 0, 0, 0
	}
	cpu1, also1 := m.cpuTicks()
	if mi, err := procMem(m.pid); err == nil {
		m.peakKiB = max(m.peakKiB, mi.RSS)
		if m.hwmReset {
			m.peakKiB = max(m.peakKiB, mi.HWM)
		}
	}
	return cpu1 - m.cpu0, also1 - m.also0, m.peakKiB
}

// cpuTicks returns the CPU ticks used so far by the measured process and the also
// processes together, and by the also processes alone.
func (m *meter) cpuTicks() (all, also int64) {
	for _, pid := range m.also {
		t, _ := procCPUTicks(pid)
		also += t
	}
	t, _ := procCPUTicks(m.pid)
	return t + also, also
}

// runState is one target's progress through one scenario.
type runState struct {
	t         target
	ep        endpoint
	rs        reqSpec
	client    *http.Client
	rec       recorder
	elapsed   time.Duration
	ticks     int64 // CPU of the target's processes (AlsoCPU included)
	alsoTicks int64 // CPU of its AlsoCPU processes
	peakKiB   int64
	open      openStats
}

// runScenario runs sc against every target that takes part, in o.slices rounds of short
// slices (order reversed every other round, so drift hits all targets alike), after a
// warm-up per target. Results come in target order.
func runScenario(ctx context.Context, sc scenario, targets []target, o *options) []Result {
	conc := sc.Concurrency
	if o.concurrency > 0 && sc.Rate == 0 {
		conc = o.concurrency
	}
	var states []*runState
	for _, t := range targets {
		ep, ok := t.resolve(sc)
		if !ok {
			continue
		}
		states = append(states, &runState{t: t, ep: ep, rs: newReqSpec(ep, sc.PromptBytes, sc.Stream), client: newClient(conc)})
	}
	for _, st := range states {
		if o.warmup > 0 && ctx.Err() == nil {
			closedLoop(ctx, st.client, st.rs, min(conc, 64), o.warmup, 0, &recorder{})
		}
	}
	slice := o.duration / time.Duration(o.slices)
	limit := int64(0)
	if o.requests > 0 {
		limit = int64((o.requests + o.slices - 1) / o.slices)
	}
	for round := range o.slices {
		order := slices.Clone(states)
		if round%2 == 1 {
			slices.Reverse(order)
		}
		for _, st := range order {
			if ctx.Err() != nil {
				break
			}
			m := startMeter(st.ep.PID, st.ep.AlsoCPU...)
			if sc.Rate > 0 {
				ost, el := runOpen(ctx, st, sc, conc, slice, int(limit), o.arrivals, int64(round))
				st.open.Scheduled += ost.Scheduled
				st.open.Late += ost.Late
				st.elapsed += el
			} else {
				st.elapsed += closedLoop(ctx, st.client, st.rs, conc, slice, limit, &st.rec)
			}
			ticks, also, peak := m.finish()
			st.ticks += ticks
			st.alsoTicks += also
			st.peakKiB = max(st.peakKiB, peak)
		}
	}
	out := make([]Result, 0, len(states))
	for _, st := range states {
		st.client.CloseIdleConnections()
		out = append(out, st.result(sc, o.clockTick))
	}
	addDeltas(out)
	return out
}

// runOpen runs one open-loop slice of st at sc.Rate.
func runOpen(ctx context.Context, st *runState, sc scenario, inFlight int, d time.Duration, limit int, kind string, seed int64) (openStats, time.Duration) {
	arr := newArrivals(kind, sc.Rate, newRand(seed))
	return openLoop(ctx, arr, d, limit, inFlight, func(time.Time) {
		lat, tm, gaps, err := do(ctx, st.client, st.rs, nil)
		st.rec.add(lat, tm, gaps, st.rs.stream, err)
	})
}

// result turns the collected samples into a Result; tick is the clock ticks per second.
func (st *runState) result(sc scenario, tick int) Result {
	r := Result{
		Scenario: sc.Name, Target: st.t.Name,
		Requests: st.rec.ok, Errors: st.rec.errs, ErrorSamples: st.rec.errMsgs,
		Seconds: st.elapsed.Seconds(), Latency: summarize(st.rec.lat),
		Measured: st.ep.PID != 0, PID: st.ep.PID,
	}
	if r.Seconds > 0 {
		r.RPS = float64(r.Requests) / r.Seconds
	}
	if sc.Stream {
		ttfb, gap := summarize(st.rec.ttfb), summarize(st.rec.gaps)
		r.TTFB, r.Gap = &ttfb, &gap
	}
	if sc.Rate > 0 {
		ost := st.open
		r.Open = &ost
	}
	if r.Measured {
		r.CPUSeconds = float64(st.ticks) / float64(tick)
		if n := r.Requests + r.Errors; n > 0 {
			r.CPUPer1k = r.CPUSeconds / float64(n) * 1000
			r.AlsoCPUPer1k = float64(st.alsoTicks) / float64(tick) / float64(n) * 1000
		}
		r.PeakRSSMiB = float64(st.peakKiB) / 1024
	}
	return r
}

// addDeltas fills the added latency of every result over the "direct" one of its scenario.
func addDeltas(rs []Result) {
	i := slices.IndexFunc(rs, func(r Result) bool { return r.Target == directName })
	if i < 0 || rs[i].Latency.N == 0 {
		return
	}
	d := rs[i]
	for j := range rs {
		if j == i || rs[j].Latency.N == 0 {
			continue
		}
		p50, p99 := rs[j].Latency.P50-d.Latency.P50, rs[j].Latency.P99-d.Latency.P99
		rs[j].AddedP50, rs[j].AddedP99 = &p50, &p99
		if rs[j].TTFB != nil && d.TTFB != nil {
			t := rs[j].TTFB.P50 - d.TTFB.P50
			rs[j].AddedTTFB = &t
		}
	}
}

// waitAll waits for wg, or for ctx to end, whichever comes first.
func waitAll(ctx context.Context, wg *sync.WaitGroup) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}
