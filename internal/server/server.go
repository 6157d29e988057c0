// Package server is Switchyard's HTTP surface: the OpenAI-compatible routes, auth, body limits,
// model listing and health probes. It builds the request path (deployments, providers, strategy,
// proxy) from a loaded config, swaps it on reload, and drains on shutdown.
package server

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchyard/switchyard/internal/balancer"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/cooldown"
	"github.com/switchyard/switchyard/internal/deployment"
	"github.com/switchyard/switchyard/internal/health"
	"github.com/switchyard/switchyard/internal/metrics"
	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/provider/all"
	"github.com/switchyard/switchyard/internal/proxy"
	"github.com/switchyard/switchyard/internal/stats"
	"github.com/switchyard/switchyard/internal/tracing"
	"github.com/switchyard/switchyard/internal/usage"
)

// Options are the server's settings that do not come from the config file. Zero fields take
// their defaults.
type Options struct {
	// Logger receives startup, warning and access lines; default slog.Default().
	Logger *slog.Logger
	// Demo marks the built-in demo config: answers carry "x-switchyard-demo: true" and a warning
	// is logged every DemoWarnEvery. The demo has no file, so there is nothing to reload.
	Demo bool
	// DemoWarnEvery is the demo warning's period; default one minute.
	DemoWarnEvery time.Duration
	// LookupEnv reads the environment for provider defaults and, on reload, for os.environ/
	// references; default os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// ReadHeaderTimeout bounds reading a request's headers (slowloris); default 10 s.
	ReadHeaderTimeout time.Duration
	// BodyReadTimeout bounds reading a request's body, from the handler's first read to the
	// last; a client slower than that gets 408 and nothing goes upstream. Default 30 s.
	BodyReadTimeout time.Duration
	// ShutdownDelay is how long Serve keeps accepting connections after its context ends, with
	// readiness already answering 503, so load balancers notice before the listener closes.
	// Default 0.
	ShutdownDelay time.Duration
	// DrainTimeout bounds how long Serve waits for in-flight requests (streams too) once the
	// listener is closed; then their contexts are cancelled with proxy.ErrShutdown. Default 30 s.
	DrainTimeout time.Duration
	// Rand is the routing strategy's random source; nil means math/rand/v2.
	Rand balancer.Rand
	// Now is the quota window's clock; nil means time.Now. Tests inject one.
	Now func() time.Time
	// Tracer exports spans (tracing.FromEnv); nil turns tracing off.
	Tracer *tracing.Tracer
}

// Defaults of the Options durations.
const (
	// DefaultReadHeaderTimeout is Options.ReadHeaderTimeout's default.
	DefaultReadHeaderTimeout = 10 * time.Second
	// DefaultBodyReadTimeout is Options.BodyReadTimeout's default.
	DefaultBodyReadTimeout = 30 * time.Second
	// DefaultDrainTimeout is Options.DrainTimeout's default.
	DefaultDrainTimeout = 30 * time.Second
)

// Server serves one config at a time and swaps it atomically on Reload.
//
// A Server value is a snapshot: one config's request path (deployment table, providers,
// strategy, proxy, limits), immutable once built, plus a pointer to the state every snapshot
// shares (usage counters, parallel-request slots, reload counters, the drain flag). The cooldown
// tracker and the upstream connection pools pass from snapshot to snapshot while their settings
// stay the same. Each request runs on
// the snapshot that was current when it arrived, to its end, so a request in flight keeps the
// config it started with. The *Server that New returns stays valid across reloads: its exported
// methods always act on the current snapshot. Safe for concurrent use.
type Server struct {
	*shared
	opts  Options
	log   *slog.Logger
	cfg   *config.Config
	table *deployment.Table
	proxy *proxy.Proxy
	// cooldowns is the deployments' cooldown state; kept across reloads unless policy changes.
	cooldowns cooldown.Tracker
	policy    cooldown.Policy
	// transports are the upstream connection pools; kept across reloads unless connect_timeout
	// changes.
	transports *provider.Transports
	// handler serves every route on this snapshot.
	handler http.Handler
	// secrets are every configured credential, scrubbed from error messages.
	secrets []string
	// maxBody is the request body limit in bytes.
	maxBody int64
}

// shared is the state that outlives a config: one per New, the same pointer in every snapshot.
type shared struct {
	started time.Time
	// usage is keyed by deployment id, so an unchanged deployment keeps its counts on reload.
	usage usage.Store
	// redis is the shared Redis (usage store, client); nil without one. See redis.go.
	redis *redisLink
	// boot is the config the process started with; settings that need a restart are compared
	// against it.
	boot *config.Config
	// bootPrint is the fingerprint of boot's files when New ran: Watch's starting point, so a
	// change made before Watch starts is not missed.
	bootPrint [sha256.Size]byte
	// live is the current snapshot.
	live atomic.Pointer[Server]
	// mu serialises reloads and guards slots.
	mu sync.Mutex
	// slots enforces max_parallel_requests (keyed by deployment id); created the first time a
	// config sets a cap and kept from then on.
	slots *usage.Slots
	// root dispatches each request to the current snapshot.
	root http.Handler
	// draining is set when Serve starts shutting down; readiness then answers 503.
	draining atomic.Bool
	// active counts requests being served.
	active atomic.Int64
	// reloadsOK and reloadsFailed count Reload outcomes.
	reloadsOK, reloadsFailed atomic.Int64
	// health holds the background health checks' last results (see health.go).
	health *health.Checker
	// stats is the dashboard's per-deployment history (ui.go).
	stats *stats.Recorder
	// metrics are served on GET /metrics (see metrics.go).
	metrics *metrics.Metrics
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
	if opts.ReadHeaderTimeout <= 0 {
		opts.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if opts.BodyReadTimeout <= 0 {
		opts.BodyReadTimeout = DefaultBodyReadTimeout
	}
	if opts.ShutdownDelay < 0 {
		opts.ShutdownDelay = 0
	}
	if opts.DrainTimeout <= 0 {
		opts.DrainTimeout = DefaultDrainTimeout
	}
	sh := &shared{started: time.Now(), boot: cfg}
	if err := sh.connectRedis(cfg, opts); err != nil {
		return nil, err
	}
	sh.health = &health.Checker{Scrub: func(m string) string { return sh.current().scrub(m) }, Changed: sh.healthChanged}
	sh.stats = stats.New(nil)
	sh.metrics = newMetrics(sh)
	if cfg.File != "" && !opts.Demo {
		sh.bootPrint = fingerprint(cfg.File, cfg)
	}
	s, err := build(sh, opts, cfg, nil)
	if err != nil {
		sh.closeRedis(nil)
		return nil, err
	}
	sh.root = http.HandlerFunc(sh.serveHTTP)
	sh.live.Store(s)
	return s, nil
}

// build makes a snapshot serving cfg. prev is the snapshot it replaces (nil at startup): its
// cooldown tracker and transports are reused when their settings did not change.
func build(sh *shared, opts Options, cfg *config.Config, prev *Server) (*Server, error) {
	s := &Server{shared: sh, opts: opts, log: opts.Logger, cfg: cfg}
	if prev != nil && prev.cfg.Router.ConnectTimeout == cfg.Router.ConnectTimeout {
		s.transports = prev.transports
	} else {
		s.transports = provider.NewTransports(provider.TransportOptions{ConnectTimeout: cfg.Router.ConnectTimeout})
	}
	deps, providers, warnings, err := buildProviders(cfg, opts.LookupEnv, s.transports)
	for _, w := range warnings {
		s.log.Warn(w)
	}
	if err != nil {
		return nil, err
	}
	sh.noteGroups(deps)
	s.table = deployment.NewTable(deps, cfg.Router.ModelGroupAlias)
	strategy, err := balancer.New(cfg.Router.RoutingStrategy, balancer.Options{
		Rand: opts.Rand, Usage: sh.usage, Args: cfg.Router.RoutingStrategyArgs})
	if err != nil {
		return nil, err
	}
	s.policy = cooldown.Policy{AllowedFails: cfg.Router.AllowedFails, AllowedFailsPolicy: cfg.Router.AllowedFailsPolicy,
		CooldownTime: cfg.Router.CooldownTime, Disable: cfg.Router.DisableCooldowns, ProbeTimeout: cooldown.DefaultProbeTimeout}
	if err := s.policy.Validate(); err != nil {
		return nil, fmt.Errorf("router_settings: %w", err)
	}
	if prev != nil && samePolicy(prev.policy, s.policy) {
		s.cooldowns = prev.cooldowns
	} else {
		s.cooldowns = sh.newTracker(s.policy)
	}
	var slots *usage.Slots
	if cfg.Router.DefaultMaxParallelRequests > 0 || slices.ContainsFunc(deps, func(d config.Deployment) bool { return d.MaxParallelRequests > 0 }) {
		if sh.slots == nil {
			sh.slots = usage.NewSlots()
		}
		slots = sh.slots
	}
	s.proxy = proxy.New(proxy.Options{Providers: providers, Strategy: strategy, Router: cfg.Router,
		Log: s.log, Usage: sh.usage, Slots: slots, Cooldowns: s.cooldowns, Resolve: s.table.Resolve,
		Unhealthy: s.unhealthyFilter(), Observer: sh.stats, Hooks: s.hooks()})
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

// samePolicy reports whether two cooldown policies are equal, so a tracker built for one
// serves the other.
func samePolicy(a, b cooldown.Policy) bool {
	return a.AllowedFails == b.AllowedFails && a.CooldownTime == b.CooldownTime && a.Disable == b.Disable &&
		a.ProbeTimeout == b.ProbeTimeout && maps.Equal(a.AllowedFailsPolicy, b.AllowedFailsPolicy)
}

// current returns the snapshot serving new requests.
func (sh *shared) current() *Server { return sh.live.Load() }

// serveHTTP hands r to the current snapshot and counts it while it runs.
func (sh *shared) serveHTTP(w http.ResponseWriter, r *http.Request) {
	sh.active.Add(1)
	defer sh.active.Add(-1)
	sh.current().handler.ServeHTTP(w, r)
}

// BuildProviders builds every deployment's provider, skipping (with a warning) those that cannot
// be built. It is what `switchyard check` and New share.
func BuildProviders(cfg *config.Config, lookupEnv func(string) (string, bool)) (deps []config.Deployment, providers []provider.Provider, warnings []string, err error) {
	return buildProviders(cfg, lookupEnv, provider.NewTransports(provider.TransportOptions{ConnectTimeout: cfg.Router.ConnectTimeout}))
}

// buildProviders is BuildProviders with the connection pools given.
func buildProviders(cfg *config.Config, lookupEnv func(string) (string, bool), tr *provider.Transports) (deps []config.Deployment, providers []provider.Provider, warnings []string, err error) {
	env := &provider.Env{Transports: tr, LookupEnv: lookupEnv}
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

// Handler returns the HTTP handler serving every route on the current config; it follows
// reloads.
func (s *Server) Handler() http.Handler { return s.root }

// Table returns the deployments of the current config.
func (s *Server) Table() *deployment.Table { return s.current().table }

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
