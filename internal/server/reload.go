package server

import (
	"errors"
	"os"
	"reflect"

	"github.com/switchyard/switchyard/internal/config"
)

// ErrNothingToReload is returned by ReloadFile for the built-in demo config, which has no file.
var ErrNothingToReload = errors.New("the built-in demo config has no file; nothing to reload")

// Reload swaps in a request path built for cfg (DESIGN.md promise 10). cfg must be a loaded,
// validated config (config.Load or config.Parse).
//
// The swap is atomic: requests already in flight finish on the config they started with
// (streams on a deployment the new config removes run to their end); new requests use cfg.
// Usage counters (rpm/tpm) and cooldown state are kept per deployment id, so a deployment
// unchanged across the reload keeps both; when the cooldown policy changed (allowed_fails,
// allowed_fails_policy, cooldown_time, disable_cooldowns) cooldown state starts afresh and the
// log says so. Settings that need a restart (see restartOnly) are logged as not applied.
//
// When the request path cannot be built (no deployment left, a bad routing_strategy_args) the
// error is logged, counted, returned, and the previous config keeps serving. Reloads are
// serialised; Reload is safe for concurrent use.
func (s *Server) Reload(cfg *config.Config) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	prev := s.current()
	next, err := build(s.shared, s.opts, cfg, prev)
	if err != nil {
		return s.reloadFailed(cfg.File, err)
	}
	s.live.Store(next)
	s.reloadsOK.Add(1)
	s.forgetRemoved(prev, next)
	added, removed, kept := diff(prev, next)
	s.log.Info("config reloaded", "file", cfg.File, "deployments", len(next.table.All()),
		"added", added, "removed", removed, "unchanged_ids", kept)
	if next.cooldowns != prev.cooldowns {
		closeTracker(prev.cooldowns)
		s.log.Warn("cooldown policy changed on reload; cooldown state of every deployment was reset")
	}
	if next.transports != prev.transports {
		prev.transports.CloseIdle()
	}
	if names := restartOnly(s.boot, cfg); len(names) > 0 {
		s.log.Warn("config reload: settings that need a restart are not applied", "settings", names)
	}
	return nil
}

// ReloadFile loads the config at path (and its include: files) as startup does, resolving
// os.environ/ references with Options.LookupEnv, and Reloads it. An invalid file is rejected:
// one error line naming file:line (or the missing variable) is logged, the failure counted,
// and the previous config keeps serving. It is what SIGHUP and the poller in Watch call.
func (s *Server) ReloadFile(path string) error {
	if s.opts.Demo {
		s.log.Info("reload requested: " + ErrNothingToReload.Error())
		return ErrNothingToReload
	}
	data, err := os.ReadFile(path)
	if err != nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.reloadFailed(path, &config.Errors{Errs: []*config.FieldError{{File: path, Msg: err.Error()}}})
	}
	cfg, err := config.Parse(path, data, s.opts.LookupEnv)
	if err != nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.reloadFailed(path, err)
	}
	for _, w := range cfg.Warnings {
		s.log.Warn(w)
	}
	return s.Reload(cfg)
}

// reloadFailed logs and counts a rejected reload. Called with mu held.
func (s *Server) reloadFailed(file string, err error) error {
	s.reloadsFailed.Add(1)
	s.log.Error("config reload rejected; still serving the previous config", "file", file, "error", err)
	return err
}

// Reloads returns how many reloads succeeded and how many were rejected since New.
func (s *Server) Reloads() (ok, failed int64) { return s.reloadsOK.Load(), s.reloadsFailed.Load() }

// diff counts deployments by id: in next only, in prev only, in both.
func diff(prev, next *Server) (added, removed, kept int) {
	old := map[string]bool{}
	for _, d := range prev.table.All() {
		old[d.ID] = true
	}
	seen := map[string]bool{}
	for _, d := range next.table.All() {
		if seen[d.ID] {
			continue
		}
		seen[d.ID] = true
		if old[d.ID] {
			kept++
		} else {
			added++
		}
	}
	return added, len(old) - kept, kept
}

// restartOnly names the settings of cfg that differ from the startup config and that a reload
// cannot apply: the logger's format and level and the Redis connection (redis_timeout and
// redis_fallback included). The listen address and port are
// flags, not config, and master_key, max_request_size_mb, routing and every deployment setting
// are applied by Reload.
func restartOnly(boot, cfg *config.Config) []string {
	var names []string
	if boot.Litellm.JSONLogs != cfg.Litellm.JSONLogs {
		names = append(names, "litellm_settings.json_logs")
	}
	if boot.Litellm.SetVerbose != cfg.Litellm.SetVerbose {
		names = append(names, "litellm_settings.set_verbose")
	}
	if !reflect.DeepEqual(boot.Redis, cfg.Redis) || boot.Router.RedisTimeout != cfg.Router.RedisTimeout ||
		boot.Router.RedisFallback != cfg.Router.RedisFallback {
		names = append(names, "redis connection settings")
	}
	return names
}
