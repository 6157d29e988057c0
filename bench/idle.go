package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"
)

const (
	// idleOpenParallel bounds how many idle streams are being opened at once, so the
	// listen backlog never overflows.
	idleOpenParallel = 32
	// idleOpenTimeout bounds how long opening all idle streams may take.
	idleOpenTimeout = 2 * time.Minute
	// idleSettle is the pause between the last stream opening and the memory sample.
	idleSettle = time.Second
	// fdsPerStream is how many file descriptors a proxy holds per open stream.
	fdsPerStream = 2
	// fdReserve is the descriptors a process keeps for everything but streams.
	fdReserve = 200
)

// IdleResult is the memory cost of holding open streams that carry nothing.
type IdleResult struct {
	Streams      int         `json:"streams"` // asked for
	Open         int         `json:"open"`    // got their first chunk and were held
	Errors       int         `json:"errors"`
	ErrorSamples []string    `json:"error_samples,omitempty"`
	FDs          int         `json:"fds"` // descriptors of the measured process while open
	BaseRSSMiB   float64     `json:"base_rss_mib"`
	OpenRSSMiB   float64     `json:"open_rss_mib"`
	PerStreamKiB float64     `json:"rss_per_stream_kib"`
	TTFB         Percentiles `json:"ttfb"`
}

// errIdleEnded is an idle stream that finished instead of staying open.
var errIdleEnded = errors.New("idle stream ended by the server")

// idleStreamCap returns how many streams fit the descriptor limit: a proxy holds two per
// stream, plus a reserve.
func idleStreamCap(hardLimit uint64) int {
	return max(1, (int(min(hardLimit, 1<<20))-fdReserve)/fdsPerStream)
}

// runIdle opens n streams to ep that each receive one chunk and then idle, measures the
// resident memory of ep's process before and while they are open, then closes them.
func runIdle(ctx context.Context, ep endpoint, n int, name string) Result {
	rs := newReqSpec(ep, shortPrompt, true)
	client := &http.Client{Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		DisableCompression:  true,
		MaxIdleConnsPerHost: 1,
	}}
	defer client.CloseIdleConnections()
	ir := IdleResult{Streams: n}
	var base memInfo
	if ep.PID != 0 {
		base, _ = procMem(ep.PID)
	}
	hold, stop := context.WithCancel(ctx)
	defer stop()
	var rec recorder
	var opened, all sync.WaitGroup
	sem := make(chan struct{}, idleOpenParallel)
	start := time.Now()
	for range n {
		opened.Add(1)
		sem <- struct{}{}
		all.Go(func() {
			var once sync.Once
			release := func() { once.Do(func() { <-sem; opened.Done() }) }
			defer release()
			err := holdStream(hold, client, rs, func(ttfb time.Duration) {
				rec.add(ttfb, streamTiming{TTFB: ttfb}, nil, true, nil)
				release()
			})
			if err != nil {
				rec.add(0, streamTiming{}, nil, false, err)
			}
		})
	}
	openCtx, cancel := context.WithTimeout(ctx, idleOpenTimeout)
	waitAll(openCtx, &opened)
	cancel()
	select {
	case <-time.After(idleSettle):
	case <-ctx.Done():
	}
	if ep.PID != 0 {
		if m, err := procMem(ep.PID); err == nil {
			ir.BaseRSSMiB, ir.OpenRSSMiB = float64(base.RSS)/1024, float64(m.RSS)/1024
		}
		ir.FDs = procFDs(ep.PID)
	}
	rec.mu.Lock()
	ir.Open = rec.ok
	ir.TTFB = summarize(slices.Clone(rec.ttfb))
	rec.mu.Unlock()
	if ir.Open > 0 {
		ir.PerStreamKiB = (ir.OpenRSSMiB - ir.BaseRSSMiB) * 1024 / float64(ir.Open)
	}
	elapsed := time.Since(start)
	stop()
	all.Wait()
	ir.Errors, ir.ErrorSamples = rec.errs, rec.errMsgs
	time.Sleep(idleSettle / 2) // let the proxy tear its side down before the next target
	return Result{
		Scenario: name, Target: "", Requests: ir.Open, Errors: ir.Errors, ErrorSamples: ir.ErrorSamples,
		Seconds: elapsed.Seconds(), Measured: ep.PID != 0, PID: ep.PID,
		PeakRSSMiB: ir.OpenRSSMiB, TTFB: &ir.TTFB, Idle: &ir,
	}
}

// holdStream sends rs and reads the stream until ctx ends, calling first with the time to
// the first data event when it arrives. A stream that ends before ctx does is an error; one
// cut by ctx after its first event is not.
func holdStream(ctx context.Context, c *http.Client, rs reqSpec, first func(ttfb time.Duration)) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rs.url, bytes.NewReader(rs.body))
	if err != nil {
		return err
	}
	req.Header = rs.header.Clone()
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return httpStatusError(resp)
	}
	var got bool
	r := sseReader{now: time.Now, onFirst: func() { got = true; first(time.Since(start)) }}
	_, _, err = r.read(bufio.NewReaderSize(resp.Body, 1024), start, nil)
	switch {
	case got && ctx.Err() != nil:
		return nil
	case err == nil:
		return errIdleEnded
	}
	return err
}
