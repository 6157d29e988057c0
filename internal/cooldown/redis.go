package cooldown

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchyard/switchyard/internal/redisx"
)

// Defaults of RedisOptions.
const (
	// DefaultKeyPrefix starts every cooldown key. Its {cooldown} hash tag puts all cooldown keys
	// in one Redis Cluster slot, so one script reads them all.
	DefaultKeyPrefix = "switchyard:{cooldown}:"
	// DefaultRefresh is how often remote cooldowns are re-read.
	DefaultRefresh = 250 * time.Millisecond
)

// RedisOptions tune a [Redis] tracker. Zero fields take their defaults.
type RedisOptions struct {
	// KeyPrefix starts every key (KeyPrefix + deployment id); default DefaultKeyPrefix. It must
	// contain a hash tag when Redis is a cluster. Instances sharing cooldowns use the same one.
	KeyPrefix string
	// Refresh is how often the local cache of remote cooldowns is re-read, and how often a
	// cooldown that could not be written is tried again; default 250 ms.
	Refresh time.Duration
	// Now is the local clock; default time.Now. Remote cooldowns are read as remaining time
	// (PTTL), so instance clocks never need to agree.
	Now func() time.Time
}

// Redis is a [Tracker] whose cooldowns are honoured by every instance sharing a Redis.
//
// This instance's own decisions stay in a wrapped [Memory] (failure counting, cooldown length,
// half-open probe); when one starts a cooldown, Redis gets a key KeyPrefix+id with a TTL equal
// to the cooldown (SET … PX, by a script that never shortens a longer cooldown already there).
// Other instances see it through a local cache of remote cooldowns, re-read every Refresh
// (250 ms) by one script that returns each known deployment's PTTL — Redis's clock, so instance
// clocks do not matter — and kept as a local deadline. A cooldown decided on one instance is
// honoured by all within Refresh plus a round trip, well inside the one-second promise.
//
// Polling, not pub/sub invalidation: it costs one small round trip per instance per Refresh
// whatever the traffic; it heals by itself after a reconnect or a Redis restart (pub/sub
// drops messages while disconnected, so it would need this poll as a resync anyway); and it
// works unchanged on Redis Cluster and behind proxies without pub/sub.
//
// A remote cooldown is a plain gate here: when it ends, traffic resumes on this instance
// without a probe of its own (the instance that decided the cooldown runs the probe). While
// Redis is unusable, remote cooldowns already cached run out on their own, local decisions keep
// working, and the writes wait and are retried every Refresh while their cooldown lasts.
//
// Available costs one sync.Map lookup more than Memory's (plus a clock read while a remote
// cooldown is cached), and no network. Safe for concurrent use; call Close once.
type Redis struct {
	mem     *Memory
	c       *redisx.Client
	prefix  string
	refresh time.Duration
	now     func() time.Time

	remote sync.Map // id → *remote: every id seen, so the refresh knows what to read

	mu      sync.Mutex
	pending map[string]int64 // id → local deadline (unix ns) of a cooldown still to write
	wake    chan struct{}
	done    chan struct{}
	wg      sync.WaitGroup
}

var _ Tracker = (*Redis)(nil)

// remote is the cached remote cooldown of one deployment.
type remote struct {
	key   string
	until atomic.Int64 // local unix ns when it ends; 0 when none
}

// readScript returns the remaining TTL (ms) of every key: > 0 cooling; −2 none.
var readScript = redis.NewScript(`
local out = {}
for i = 1, #KEYS do
  out[i] = redis.call('PTTL', KEYS[i])
end
return out
`)

// writeScript sets KEYS[1] to ARGV[1] expiring in ARGV[2] ms, unless it already lives longer.
var writeScript = redis.NewScript(`
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
`)

// NewRedis returns a tracker that shares mem's cooldowns through c and honours those of other
// instances, and starts its refresh loop. It does not wait for Redis.
func NewRedis(c *redisx.Client, mem *Memory, o RedisOptions) *Redis {
	s := &Redis{mem: mem, c: c, prefix: o.KeyPrefix, refresh: o.Refresh, now: o.Now,
		pending: map[string]int64{}, wake: make(chan struct{}, 1), done: make(chan struct{})}
	if s.prefix == "" {
		s.prefix = DefaultKeyPrefix
	}
	if s.refresh <= 0 {
		s.refresh = DefaultRefresh
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.wg.Add(1)
	go s.loop()
	return s
}

// entry returns id's cache entry, creating it on first sight.
func (s *Redis) entry(id string) *remote {
	if v, ok := s.remote.Load(id); ok {
		return v.(*remote)
	}
	v, _ := s.remote.LoadOrStore(id, &remote{key: s.prefix + id})
	return v.(*remote)
}

// remoteUntil is when id's cached remote cooldown ends, or 0 when it is not cooling remotely.
func (s *Redis) remoteUntil(e *remote) int64 {
	u := e.until.Load()
	if u == 0 || s.now().UnixNano() >= u {
		return 0
	}
	return u
}

// Available implements [Tracker.Available]: false while a remote cooldown is cached for id,
// else Memory's answer (which may hand out this instance's probe).
func (s *Redis) Available(id string) (ok, probe bool) {
	if s.remoteUntil(s.entry(id)) != 0 {
		return false, false
	}
	return s.mem.Available(id)
}

// Failure implements [Tracker.Failure]: Memory decides; a cooldown it starts is queued for
// Redis at once (the write happens off the caller's path).
func (s *Redis) Failure(id string, kind Kind, retryAfter time.Duration, groupSize int, own *time.Duration) time.Duration {
	d := s.mem.Failure(id, kind, retryAfter, groupSize, own)
	if d <= 0 {
		return d
	}
	s.entry(id)
	until := s.now().Add(d).UnixNano()
	s.mu.Lock()
	s.pending[id] = max(s.pending[id], until)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return d
}

// Success implements [Tracker.Success] (Memory's; a remote cooldown ends by its TTL).
func (s *Redis) Success(id string) { s.mem.Success(id) }

// Until implements [Tracker.Until]: the later of this instance's cooldown and the remote one.
func (s *Redis) Until(id string) time.Time {
	local := s.mem.Until(id)
	if u := s.remoteUntil(s.entry(id)); u != 0 {
		if r := time.Unix(0, u); r.After(local) {
			return r
		}
	}
	return local
}

// Close stops the refresh loop. It does not close the client.
func (s *Redis) Close() error {
	select {
	case <-s.done:
		return nil
	default:
	}
	close(s.done)
	s.wg.Wait()
	return nil
}

// loop writes new cooldowns as soon as they are decided, and every Refresh retries unwritten
// ones and re-reads the remote cooldowns of every known deployment.
func (s *Redis) loop() {
	defer s.wg.Done()
	ctx := context.Background()
	t := time.NewTicker(s.refresh)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-s.wake:
			s.write(ctx)
		case <-t.C:
			s.write(ctx)
			s.read(ctx)
		}
	}
}

// write sends the pending cooldowns (their remaining time as TTL) in one pipeline; on failure
// they stay pending until they end.
func (s *Redis) write(ctx context.Context) {
	s.mu.Lock()
	if len(s.pending) == 0 {
		s.mu.Unlock()
		return
	}
	batch := s.pending
	s.pending = map[string]int64{}
	s.mu.Unlock()
	now := s.now()
	err := s.c.Do(ctx, func(ctx context.Context, r redisx.Cmdable) error {
		p := r.Pipeline()
		for id, until := range batch {
			left := time.Duration(until - now.UnixNano()).Milliseconds()
			if left <= 0 {
				delete(batch, id)
				continue
			}
			writeScript.Eval(ctx, p, []string{s.entry(id).key}, now.Add(time.Duration(left)*time.Millisecond).UnixMilli(), left)
		}
		_, err := p.Exec(ctx)
		return err
	})
	if err != nil {
		s.mu.Lock()
		for id, until := range batch {
			s.pending[id] = max(s.pending[id], until)
		}
		s.mu.Unlock()
	}
}

// read refreshes the cache of remote cooldowns from Redis: one script for every known id.
func (s *Redis) read(ctx context.Context) {
	var ents []*remote
	var keys []string
	s.remote.Range(func(_, v any) bool {
		e := v.(*remote)
		ents = append(ents, e)
		keys = append(keys, e.key)
		return true
	})
	if len(keys) == 0 {
		return
	}
	var ttl []int64
	err := s.c.Do(ctx, func(ctx context.Context, r redisx.Cmdable) error {
		var e error
		ttl, e = readScript.Run(ctx, r, keys).Int64Slice()
		return e
	})
	if err != nil || len(ttl) != len(ents) {
		return
	}
	now := s.now()
	for i, e := range ents {
		if ttl[i] > 0 {
			e.until.Store(now.Add(time.Duration(ttl[i]) * time.Millisecond).UnixNano())
		} else {
			e.until.Store(0)
		}
	}
}
