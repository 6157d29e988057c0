// Package server is Switchyard's HTTP surface: the OpenAI-compatible routes, auth, body limits,
// model listing and health probes. It builds the request path (deployments, providers, strategy,
// proxy) from a loaded config.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"time"

	"github.com/switchyard/switchyard/internal/balancer"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/cooldown"
	"github.com/switchyard/switchyard/internal/deployment"
	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/provider/all"
	"github.com/switchyard/switchyard/internal/proxy"
	"github.com/switchyard/switchyard/internal/usage"
)

// Options are the server's settings that do not come from the config file.
type Options struct {
	// Logger receives startup, warning and access lines; default slog.Default().
	Logger *slog.Logger
	// Demo marks the built-in demo config: answers carry "x-switchyard-demo: true" and a warning
	// is logged every DemoWarnEvery.
	Demo bool
	// DemoWarnEvery is the demo warning's period; default one minute.
	DemoWarnEvery time.Duration
	// LookupEnv reads the environment for provider defaults; default os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// DrainTimeout bounds how long Run waits for in-flight requests at shutdown; default 30 s.
	DrainTimeout time.Duration
	// Rand is the routing strategy's random source; nil means math/rand/v2.
	Rand balancer.Rand
}

// Server serves one config. Immutable after New; safe for concurrent use.
type Server struct {
	cfg   *config.Config
	opts  Options
	log   *slog.Logger
	table *deployment.Table
	proxy *proxy.Proxy
	usage usage.Store
	// cooldowns is the deployments' cooldown state.
	cooldowns cooldown.Tracker
	handler   http.Handler
	// secrets are every configured credential, scrubbed from error messages.
	secrets []string
	started time.Time
	// maxBody is the request body limit in bytes.
	maxBody int64
}

// New builds the request path for cfg. A deployment whose provider cannot be built (no api_base,
// say) is skipped with a warning; no deployment left is an error.
func New(cfg *config.Config, opts Options) (*Server, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.LookupEnv == nil {
		opts.LookupEnv = os.LookupEnv
	}
	if opts.DemoWarnEvery <= 0 {
		opts.DemoWarnEvery = time.Minute
	}
	if opts.DrainTimeout <= 0 {
		opts.DrainTimeout = 30 * time.Second
	}
	s := &Server{cfg: cfg, opts: opts, log: opts.Logger, started: time.Now()}
	deps, providers, err := buildProviders(cfg, opts, s.log)
	if err != nil {
		return nil, err
	}
	s.table = deployment.NewTable(deps, cfg.Router.ModelGroupAlias)
	s.usage = usage.NewMemory(nil)
	strategy, err := balancer.New(cfg.Router.RoutingStrategy, balancer.Options{
		Rand: opts.Rand, Usage: s.usage, Args: cfg.Router.RoutingStrategyArgs})
	if err != nil {
		return nil, err
	}
	var slots *usage.Slots
	if cfg.Router.DefaultMaxParallelRequests > 0 || slices.ContainsFunc(deps, func(d config.Deployment) bool { return d.MaxParallelRequests > 0 }) {
		slots = usage.NewSlots()
	}
	policy := cooldown.Policy{AllowedFails: cfg.Router.AllowedFails, AllowedFailsPolicy: cfg.Router.AllowedFailsPolicy,
		CooldownTime: cfg.Router.CooldownTime, Disable: cfg.Router.DisableCooldowns, ProbeTimeout: cooldown.DefaultProbeTimeout}
	if err := policy.Validate(); err != nil {
		return nil, fmt.Errorf("router_settings: %w", err)
	}
	s.cooldowns = cooldown.NewMemory(policy, nil)
	s.proxy = proxy.New(proxy.Options{Providers: providers, Strategy: strategy, Router: cfg.Router,
		Log: s.log, Usage: s.usage, Slots: slots, Cooldowns: s.cooldowns, Resolve: s.table.Resolve})
	for _, d := range deps {
		s.secrets = append(s.secrets, d.APIKey.Reveal())
	}
	s.secrets = append(s.secrets, cfg.General.MasterKey.Reveal())
	mb := cfg.General.MaxRequestSizeMB
	if mb <= 0 {
		mb = 10
	}
	s.maxBody = int64(mb * (1 << 20))
	s.handler = s.routes()
	return s, nil
}

// BuildProviders builds every deployment's provider, skipping (with a warning) those that cannot
// be built. It is what `switchyard check` and New share.
func BuildProviders(cfg *config.Config, lookupEnv func(string) (string, bool)) (deps []config.Deployment, providers []provider.Provider, warnings []string, err error) {
	env := &provider.Env{
		Transports: provider.NewTransports(provider.TransportOptions{ConnectTimeout: cfg.Router.ConnectTimeout}),
		LookupEnv:  lookupEnv,
	}
	reg := all.Registry()
	for _, d := range cfg.Deployments {
		p, perr := reg.New(&d, env)
		if perr != nil {
			warnings = append(warnings, fmt.Sprintf("%s:%d: model_list entry %q (%s): %v; this deployment is skipped",
				d.Source, d.Line, d.ModelName, d.Model, perr))
			continue
		}
		if provider.SSLVerifyOff(&d) {
			warnings = append(warnings, fmt.Sprintf("%s:%d: model_list entry %q (%s): ssl_verify: false; TLS certificates of %s are not checked",
				d.Source, d.Line, d.ModelName, d.Model, p.APIBase()))
		}
		deps = append(deps, d)
		providers = append(providers, p)
	}
	if len(deps) == 0 {
		return nil, nil, warnings, errors.New("no deployment can be served: " + fmt.Sprint(warnings))
	}
	return deps, providers, warnings, nil
}

func buildProviders(cfg *config.Config, opts Options, log *slog.Logger) ([]config.Deployment, []provider.Provider, error) {
	deps, providers, warnings, err := BuildProviders(cfg, opts.LookupEnv)
	for _, w := range warnings {
		log.Warn(w)
	}
	return deps, providers, err
}

// Handler returns the HTTP handler serving every route.
func (s *Server) Handler() http.Handler { return s.handler }

// Table returns the deployments being served.
func (s *Server) Table() *deployment.Table { return s.table }

// Serve accepts connections on ln until ctx is done, then stops accepting and lets in-flight
// requests finish for up to DrainTimeout. An idle server returns promptly.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	if s.opts.Demo {
		go s.demoWarnings(ctx)
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	dctx, cancel := context.WithTimeout(context.Background(), s.opts.DrainTimeout)
	defer cancel()
	err := hs.Shutdown(dctx)
	if errors.Is(err, context.DeadlineExceeded) {
		hs.Close()
		return fmt.Errorf("drain timeout %s passed with requests in flight; they were cut off", s.opts.DrainTimeout)
	}
	return err
}

// DemoWarning is logged when the built-in demo config is served.
const DemoWarning = "serving the built-in DEMO config (fake deployments, no real model behind them); start with --config FILE to serve your own"

func (s *Server) demoWarnings(ctx context.Context) {
	t := time.NewTicker(s.opts.DemoWarnEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.log.Warn(DemoWarning)
		}
	}
}
