// Command bench is Switchyard's benchmark harness: it builds and starts a fake upstream,
// Switchyard and a plain httputil.ReverseProxy (the floor) as separate processes on
// 127.0.0.1, drives the same load through each, interleaved, and reports throughput,
// latency (and what each adds over calling the upstream directly), stream timing, CPU per
// request and memory of each proxy process, as a markdown section appended to
// docs/BENCHMARKS.md and as JSON.
//
//	go run ./bench [--duration 10s] [--scenarios c1,c16,…] [--concurrency N] [--requests N]
//	               [--peer NAME=URL[,Header:Value…]]… [--json FILE] [--md FILE|-] [--smoke]
//
// Every child is stopped when the harness ends, on error and on Ctrl-C too.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() { <-ctx.Done(); stop() }() // a second Ctrl-C kills at once
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
	case err != nil:
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// options are the parsed flags.
type options struct {
	duration    time.Duration
	concurrency int
	requests    int
	scenarios   []scenario
	peers       []peerSpec
	jsonPath    string
	mdPath      string // "-": stdout only; "": nothing
	smoke       bool
	slices      int
	warmup      time.Duration
	streamGap   time.Duration
	arrivals    string
	idleStreams int
	binDir      string
	keep        bool
	clockTick   int
	command     string
	stderr      io.Writer // progress and warnings
}

// parseFlags parses args; root is the module root the default output paths are under.
func parseFlags(args []string, root string, stderr io.Writer) (*options, error) {
	o := &options{stderr: stderr}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var list string
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "load time per target per scenario")
	fs.IntVar(&o.concurrency, "concurrency", 0, "override the concurrency of every closed-loop scenario")
	fs.IntVar(&o.requests, "requests", 0, "cap on requests per target per scenario (0: none)")
	fs.StringVar(&list, "scenarios", "all", "comma list: c1,c16,c32,c64,stream1,stream16,open2000,quota-short,quota-16k,quota-redis-short,quota-redis-16k,idle8000")
	fs.Func("peer", "another gateway: NAME=URL[,Header:Value…] (repeatable; {upstream} in a value is the fake upstream's /v1 URL)", func(s string) error {
		p, err := parsePeer(s)
		o.peers = append(o.peers, p)
		return err
	})
	fs.StringVar(&o.jsonPath, "json", filepath.Join(root, "bench", "out", "latest.json"), "write results as JSON here")
	fs.StringVar(&o.mdPath, "md", filepath.Join(root, "docs", "BENCHMARKS.md"), "append the markdown report here ('-': stdout only)")
	fs.BoolVar(&o.smoke, "smoke", false, "a tiny run (a second or two) that checks the harness works; no files unless --json/--md")
	fs.IntVar(&o.slices, "slices", 2, "interleaved slices each target's duration is split into")
	fs.DurationVar(&o.warmup, "warmup", 500*time.Millisecond, "unmeasured load per target before each scenario")
	fs.DurationVar(&o.streamGap, "stream-gap", time.Millisecond, "pause between the 20 chunks of the streaming profile")
	fs.StringVar(&o.arrivals, "arrivals", "poisson", "open-loop arrivals: poisson or uniform")
	fs.IntVar(&o.idleStreams, "idle-streams", 8000, "streams held open by idle8000 (capped by the file-descriptor limit)")
	fs.StringVar(&o.binDir, "bin", "", "directory with prebuilt fakellm, switchyard and floor binaries (default: build them)")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory (configs, child logs)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	if o.scenarios, err = pickScenarios(list); err != nil {
		return nil, err
	}
	if o.smoke {
		o.applySmoke(set)
	}
	switch {
	case o.duration <= 0:
		return nil, errors.New("--duration must be positive")
	case o.slices < 1:
		return nil, errors.New("--slices must be at least 1")
	case o.concurrency < 0 || o.requests < 0 || o.idleStreams < 1:
		return nil, errors.New("--concurrency, --requests and --idle-streams must not be negative")
	case o.arrivals != "poisson" && o.arrivals != "uniform":
		return nil, fmt.Errorf("--arrivals %q: want poisson or uniform", o.arrivals)
	}
	o.command = "go run ./bench"
	for _, a := range args {
		o.command += " " + shellQuote(a)
	}
	return o, nil
}

// applySmoke shrinks the run to a second or two, and writes files only where asked.
func (o *options) applySmoke(set map[string]bool) {
	defaults := map[string]func(){
		"duration":     func() { o.duration = 60 * time.Millisecond },
		"requests":     func() { o.requests = 20 },
		"slices":       func() { o.slices = 1 },
		"warmup":       func() { o.warmup = 0 },
		"idle-streams": func() { o.idleStreams = 8 },
		"json":         func() { o.jsonPath = "" },
		"md":           func() { o.mdPath = "-" },
	}
	for name, apply := range defaults {
		if !set[name] {
			apply()
		}
	}
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`!*?[]{}()<>|&;#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// run is the whole harness: flags, build, start, measure, report, stop.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	o, err := parseFlags(args, root, stderr)
	if err != nil {
		return err
	}
	soft, hard, rlErr := raiseNoFile()
	if rlErr != nil {
		fmt.Fprintln(stderr, "bench: raising the open-file limit:", rlErr)
	}
	o.clockTick = clockTick()
	tmp, err := os.MkdirTemp("", "switchyard-bench-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Fprintln(stderr, "bench: keeping", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	bin := o.binDir
	if bin == "" {
		bin = tmp
		fmt.Fprintln(stderr, "bench: building fakellm, switchyard and floor")
		if err := buildBinaries(ctx, root, bin); err != nil {
			return err
		}
	}
	ps := &procSet{dir: tmp}
	defer ps.stopAll()
	fl, err := startFleet(ctx, ps, bin, o)
	if err != nil {
		return err
	}
	rep := newRun(o, soft, hard, fl)
	err = measureAll(ctx, o, fl, rep, stderr)
	rep.Completed = err == nil && ctx.Err() == nil
	ps.stopAll()
	return errors.Join(err, report(o, rep, stdout, stderr))
}

// newRun fills the run's header.
func newRun(o *options, soft, hard uint64, fl *fleet) *Run {
	m := machineInfo()
	m.ClockTick, m.NoFileSoft, m.NoFileHard = o.clockTick, soft, hard
	s, h := procNoFile(fl.sy.PID)
	m.GatewayFiles = s + "/" + h
	return &Run{
		Date: time.Now().UTC().Format(time.RFC3339), Command: o.command, Machine: m, Notes: fl.notes,
		Settings: Settings{
			Duration: o.duration.String(), Slices: o.slices, Warmup: o.warmup.String(),
			StreamGap: o.streamGap.String(), Arrivals: o.arrivals, Requests: o.requests,
			Concurrency: o.concurrency, IdleStreams: o.idleStreams,
		},
	}
}

// measureAll runs every scenario against every target, appending to rep.Results.
func measureAll(ctx context.Context, o *options, fl *fleet, rep *Run, stderr io.Writer) error {
	for _, sc := range o.scenarios {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if sc.Redis && fl.syRedis == nil {
			fmt.Fprintf(stderr, "bench: %s skipped: no redis-server\n", sc.Name)
			continue
		}
		fmt.Fprintf(stderr, "bench: %s\n", sc.Name)
		if !sc.Idle {
			rep.Results = append(rep.Results, runScenario(ctx, sc, fl.targets, o)...)
			continue
		}
		n, c := o.idleStreams, idleStreamCap(rep.Machine.NoFileHard)
		note := fmt.Sprintf("%s: open-file limit %d (soft raised to hard in the harness and its children); a proxy holds %d descriptors per stream, so at most %d streams fit",
			sc.Name, rep.Machine.NoFileHard, fdsPerStream, c)
		if n > c {
			note += fmt.Sprintf(": %d asked, capped at %d", n, c)
			n = c
		}
		rep.Notes = append(rep.Notes, note+fmt.Sprintf("; %d streams per target.", n))
		for _, t := range fl.targets {
			ep, ok := t.resolve(sc)
			if !ok || ctx.Err() != nil {
				continue
			}
			r := runIdle(ctx, ep, n, sc.Name)
			r.Target = t.Name
			rep.Results = append(rep.Results, r)
		}
	}
	return nil
}

// report writes the markdown and JSON where the options say.
func report(o *options, rep *Run, stdout, stderr io.Writer) error {
	md := markdown(rep)
	fmt.Fprint(stdout, md)
	var errs []error
	switch {
	case o.mdPath == "" || o.mdPath == "-":
	case !rep.Completed:
		fmt.Fprintln(stderr, "bench: incomplete run, not appended to", o.mdPath)
	default:
		if err := appendMarkdown(o.mdPath, md); err != nil {
			errs = append(errs, err)
		} else {
			fmt.Fprintln(stderr, "bench: appended to", o.mdPath)
		}
	}
	if o.jsonPath != "" {
		if err := writeJSON(o.jsonPath, rep); err != nil {
			errs = append(errs, err)
		} else {
			fmt.Fprintln(stderr, "bench: wrote", o.jsonPath)
		}
	}
	return errors.Join(errs...)
}
