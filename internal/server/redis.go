package server

import (
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/cooldown"
	"github.com/switchyard/switchyard/internal/redisx"
	"github.com/switchyard/switchyard/internal/usage"
)

// redisLink is the process's connection to the Redis that instances share (DESIGN.md promise
// 8): one client, the usage store every snapshot uses, and the deployments' model groups (their
// keys' hash tag). It is built once in New; the Redis settings (connection, redis_timeout,
// redis_fallback) need a restart to change. Each snapshot's cooldown tracker wraps its own
// in-memory tracker with a cooldown.Redis on this client.
type redisLink struct {
	client *redisx.Client
	usage  *usage.Redis
	// groups maps a deployment id to its model group, so the quota keys of one group share a
	// Redis Cluster slot and one script checks all of a group's candidates.
	groups sync.Map
}

// quietRedisLibrary sends go-redis's own log lines (one per failed dial) to slog at Debug:
// during an outage the breaker's one Warn line says it all. go-redis's logger is process-wide.
var quietRedisLibrary sync.Once

// connectRedis makes sh's usage store: a usage.Redis when cfg names a Redis, else the in-memory
// store. It never dials and never waits: a Redis that is down or refuses the password leaves
// the process serving degraded, with one Warn line from the circuit breaker. Only a Redis
// setting that cannot be used at all (a malformed redis_url) is an error.
func (sh *shared) connectRedis(cfg *config.Config, opts Options) error {
	sh.usage = usage.NewMemory(opts.Now)
	if cfg.Redis == nil {
		return nil
	}
	quietRedisLibrary.Do(func() { redis.SetLogger(redisx.LibraryLogger{}) })
	c, err := redisx.New(cfg.Redis, redisx.Options{Timeout: cfg.Router.RedisTimeout, Logger: opts.Logger})
	if err != nil {
		return fmt.Errorf("redis from %s: %w", cfg.Redis.Source, err)
	}
	l := &redisLink{client: c}
	u, err := usage.NewRedis(c, usage.RedisOptions{Fallback: cfg.Router.RedisFallback, Tag: l.group,
		Now: opts.Now, Logger: opts.Logger})
	if err != nil {
		c.Close()
		return err
	}
	l.usage = u
	sh.redis, sh.usage = l, u
	return nil
}

// group is a deployment's hash tag: its model group ("" before the deployment was seen).
func (l *redisLink) group(id string) string {
	if g, ok := l.groups.Load(id); ok {
		return g.(string)
	}
	return ""
}

// noteGroups records each deployment's model group for its Redis keys.
func (sh *shared) noteGroups(deps []config.Deployment) {
	if sh.redis == nil {
		return
	}
	for _, d := range deps {
		sh.redis.groups.LoadOrStore(d.ID, d.ModelName)
	}
}

// newTracker returns a cooldown tracker for policy p: shared through Redis when one is
// configured, in memory otherwise.
func (sh *shared) newTracker(p cooldown.Policy) cooldown.Tracker {
	mem := cooldown.NewMemory(p, nil)
	if sh.redis == nil {
		return mem
	}
	return cooldown.NewRedis(sh.redis.client, mem, cooldown.RedisOptions{})
}

// closeTracker stops t's background loop, if it has one. Requests still running on t may keep
// calling it: it then answers from memory only.
func closeTracker(t cooldown.Tracker) {
	if c, ok := t.(io.Closer); ok {
		c.Close()
	}
}

// RedisHealthy reports whether a Redis is configured and whether shared state is in use now
// (false while the circuit is open or probing: quotas follow redis_fallback). For a
// switchyard_redis_up gauge.
func (s *Server) RedisHealthy() (configured, up bool) { return s.redisUp() }

// redisUp is RedisHealthy on the shared state, read by the metrics at scrape time.
func (sh *shared) redisUp() (configured, up bool) {
	if sh.redis == nil {
		return false, false
	}
	return true, sh.redis.client.Healthy()
}

// redisStatus is readiness's "redis" field: "up", "degraded", or "" without Redis.
func (s *Server) redisStatus() string {
	switch configured, up := s.RedisHealthy(); {
	case !configured:
		return ""
	case up:
		return "up"
	default:
		return "degraded"
	}
}

// Close stops the background work of the shared state (Redis usage store, cooldown refresh)
// and closes the Redis connection. Call it once, after Serve returned; requests must not run
// after it. Without Redis it does nothing.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.shared.closeRedis(s.current())
}

// closeRedis closes cur's cooldown tracker, the usage store and the client.
func (sh *shared) closeRedis(cur *Server) error {
	if cur != nil {
		closeTracker(cur.cooldowns)
	}
	if sh.redis == nil {
		return nil
	}
	return errors.Join(sh.redis.usage.Close(), sh.redis.client.Close())
}
