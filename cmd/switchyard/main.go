// Command switchyard is an OpenAI-compatible LLM gateway that reads LiteLLM proxy configs.
//
//	switchyard [--config FILE] [--host 0.0.0.0] [--port 4000]   serve (no --config: the demo)
//	switchyard check --config FILE                              validate and describe a config
//
// Signals: SIGTERM and SIGINT drain and exit (a second one exits at once); SIGHUP reloads the
// config, as does any change to the file or its include: files (checked every
// --reload-interval).
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"syscall"
	"time"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/logging"
	"github.com/switchyard/switchyard/internal/server"
	"github.com/switchyard/switchyard/internal/tracing"
)

//go:embed demo.yaml
var demoConfig []byte

func main() {
	allocGCBallast()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	// Once draining, a second signal gets the default action: exit now.
	context.AfterFunc(ctx, stop)
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv))
}

// flags are the command line. LiteLLM's flags that do not apply are accepted with a warning, so
// containers built for LiteLLM do not crash-loop on them.
type flags struct {
	config, host  string
	port          int
	drain         time.Duration
	shutdownDelay time.Duration
	reload        time.Duration
	jsonLogs      bool
	debug         bool
	ignored       []string
	hostFromFlags bool
}

func parseFlags(name string, args []string, stderr io.Writer, lookupEnv func(string) (string, bool)) (*flags, error) {
	f := &flags{}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	defHost, defPort := "0.0.0.0", 4000
	if v, ok := lookupEnv("HOST"); ok && v != "" {
		defHost = v
	}
	if v, ok := lookupEnv("PORT"); ok && v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 0 || p > 65535 {
			return nil, fmt.Errorf("environment variable PORT=%q is not a port number", v)
		}
		defPort = p
	}
	fs.StringVar(&f.config, "config", "", "LiteLLM proxy `config.yaml` to serve (default: the built-in demo)")
	fs.StringVar(&f.host, "host", defHost, "address to listen on (env HOST); the demo binds 127.0.0.1 unless given")
	fs.IntVar(&f.port, "port", defPort, "port to listen on (env PORT)")
	fs.DurationVar(&f.drain, "drain-timeout", server.DefaultDrainTimeout, "how long SIGTERM waits for in-flight requests before cutting them off")
	fs.DurationVar(&f.shutdownDelay, "shutdown-delay", 0, "how long SIGTERM keeps accepting connections, with readiness failing, before closing the listener")
	fs.DurationVar(&f.reload, "reload-interval", server.DefaultReloadInterval, "how often to check the config file and its includes for changes (0: only on SIGHUP)")
	fs.BoolVar(&f.jsonLogs, "json-logs", false, "log JSON lines (also litellm_settings.json_logs)")
	fs.BoolVar(&f.debug, "debug", false, "debug logging (LiteLLM flag; also litellm_settings.set_verbose)")
	fs.BoolVar(&f.debug, "detailed_debug", false, "debug logging (LiteLLM flag)")
	ignore := func(n string) func(string) error {
		return func(string) error { f.ignored = append(f.ignored, "--"+n); return nil }
	}
	fs.Func("num_workers", "accepted for LiteLLM compatibility; ignored (Switchyard uses every core)", ignore("num_workers"))
	fs.Func("telemetry", "accepted for LiteLLM compatibility; ignored (Switchyard sends no telemetry)", ignore("telemetry"))
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (see --help)", fs.Arg(0))
	}
	fs.Visit(func(fl *flag.Flag) {
		if fl.Name == "host" {
			f.hostFromFlags = true
		}
	})
	if _, ok := lookupEnv("HOST"); ok {
		f.hostFromFlags = true
	}
	return f, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) int {
	if len(args) > 0 && args[0] == "check" {
		return check(args[1:], stdout, stderr, lookupEnv)
	}
	f, err := parseFlags("switchyard", args, stderr, lookupEnv)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "switchyard:", err)
		return 2
	}
	demo := f.config == ""
	var cfg *config.Config
	if demo {
		cfg, err = config.Parse("demo.yaml (built in)", demoConfig, lookupEnv)
		if !f.hostFromFlags {
			f.host = "127.0.0.1"
		}
	} else {
		cfg, err = config.Load(f.config)
	}
	if err != nil {
		fmt.Fprintln(stderr, "switchyard:", err)
		return 1
	}
	log, logw := logging.New(stderr, logging.Options{JSON: f.jsonLogs || cfg.Litellm.JSONLogs, Debug: f.debug || cfg.Litellm.SetVerbose})
	// Log lines are buffered (at most 100 ms); every return below flushes them.
	defer logw.Close()
	for _, n := range f.ignored {
		log.Warn("flag " + n + " is accepted for LiteLLM compatibility and ignored")
	}
	for _, w := range cfg.Warnings {
		log.Warn(w)
	}
	tracer, err := tracing.FromEnv(lookupEnv)
	if err != nil {
		log.Error("tracing is off: " + err.Error())
	} else if tracer != nil {
		log.Info("tracing on: exporting spans over OTLP/HTTP (OTEL_EXPORTER_OTLP_ENDPOINT)")
	}
	defer shutdownTracer(tracer, log)
	srv, err := server.New(cfg, server.Options{Logger: log, Demo: demo, LookupEnv: lookupEnv,
		DrainTimeout: f.drain, ShutdownDelay: f.shutdownDelay, Tracer: tracer})
	if err != nil {
		logw.Flush()
		fmt.Fprintln(stderr, "switchyard:", err)
		return 1
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", net.JoinHostPort(f.host, strconv.Itoa(f.port)))
	if err != nil {
		logw.Flush()
		fmt.Fprintln(stderr, "switchyard:", err)
		return 1
	}
	addr := ln.Addr().(*net.TCPAddr)
	log.Info("switchyard listening", "addr", addr.String(), "config", cfg.File, "deployments", len(srv.Table().All()))
	if demo {
		log.Warn(server.DemoWarning)
		host := f.host
		if host == "0.0.0.0" || host == "" || host == "::" {
			host = "127.0.0.1"
		}
		base := net.JoinHostPort(host, strconv.Itoa(addr.Port))
		fmt.Fprintf(stdout, "Switchyard demo is running on http://%s. Try:\n\n"+
			"curl http://%s/v1/chat/completions -H 'Content-Type: application/json' -d '{\"model\": \"gpt-3.5-turbo\", \"messages\": [{\"role\": \"user\", \"content\": \"what llm are you\"}]}'\n\n"+
			"Dashboard: http://%s/ui   Metrics: http://%s/metrics\n\n",
			base, base, base, base)
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go srv.Watch(ctx, f.config, f.reload, hup)
	if err := srv.Serve(ctx, ln); err != nil {
		log.Error("server stopped", "error", err)
		return 1
	}
	log.Info("switchyard stopped")
	return 0
}

// shutdownTracer exports the spans still buffered, for up to 5 s.
func shutdownTracer(t *tracing.Tracer, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := t.Shutdown(ctx); err != nil {
		log.Warn("tracing: could not export the last spans", "error", err)
	}
}

// check validates a config and prints each model group with its deployments (never keys).
func check(args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) int {
	f, err := parseFlags("switchyard check", args, stderr, lookupEnv)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "switchyard check:", err)
		return 2
	}
	if f.config == "" {
		fmt.Fprintln(stderr, "switchyard check: --config FILE is required")
		return 2
	}
	cfg, err := config.Load(f.config)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	deps, providers, warnings, err := server.BuildProviders(cfg, lookupEnv)
	for _, w := range append(cfg.Warnings, warnings...) {
		fmt.Fprintln(stderr, "warning:", w)
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	groups := map[string][]int{}
	var names []string
	for i, d := range deps {
		if _, ok := groups[d.ModelName]; !ok {
			names = append(names, d.ModelName)
		}
		groups[d.ModelName] = append(groups[d.ModelName], i)
	}
	sort.Strings(names)
	fmt.Fprintf(stdout, "%s: OK, %d model groups, %d deployments, routing_strategy %s\n",
		f.config, len(names), len(deps), cfg.Router.RoutingStrategy)
	for _, n := range names {
		fmt.Fprintf(stdout, "\nmodel group %q\n", n)
		for _, i := range groups[n] {
			d := deps[i]
			fmt.Fprintf(stdout, "  - id %s  provider %s  model %s  api_base %s  rpm %s  tpm %s\n",
				d.ID, d.Provider, d.Model, providers[i].APIBase(), limit(d.RPM), limit(d.TPM))
		}
	}
	if cfg.Redis == nil {
		fmt.Fprintln(stdout, "\nno Redis: quotas are per instance")
	} else {
		fmt.Fprintf(stdout, "\nRedis from %s\n", cfg.Redis.Source)
	}
	return 0
}

func limit(n int64) string {
	if n == 0 {
		return "unlimited"
	}
	return strconv.FormatInt(n, 10)
}
