package usage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchyard/switchyard/internal/redisx"
)

// Fallback modes: what Reserve does while Redis cannot be used (router_settings.redis_fallback).
const (
	// FallbackShare enforces each quota ÷ the live instances last seen in Redis, counted in this
	// instance's memory. The default.
	FallbackShare = "share"
	// FallbackOpen admits every request (still counted locally, for Used).
	FallbackOpen = "open"
	// FallbackClosed refuses every request with a quota (the client gets 429).
	FallbackClosed = "closed"
)

// redisZone names the time zone of reservations made in Redis.
const redisZone = "redis"

// Defaults of RedisOptions.
const (
	// DefaultKeyPrefix starts every usage key.
	DefaultKeyPrefix = "switchyard:usage:"
	// DefaultTag is the hash tag of deployments RedisOptions.Tag gives none.
	DefaultTag = "switchyard"
	// DefaultRefresh is the mirror refresh and write retry period.
	DefaultRefresh = 250 * time.Millisecond
	// DefaultHeartbeat is the instance heartbeat period (live for 3 periods).
	DefaultHeartbeat = time.Second
)

// RedisOptions tune a Redis store. Zero fields take their defaults.
type RedisOptions struct {
	// Fallback is FallbackShare (default, also for ""), FallbackOpen or FallbackClosed.
	Fallback string
	// KeyPrefix starts every key; default DefaultKeyPrefix. Instances sharing quotas must use the
	// same prefix.
	KeyPrefix string
	// Tag returns the Redis Cluster hash tag of a deployment id: a deployment's window lives at
	// KeyPrefix + "{" + Tag(id) + "}:" + id. The proxy passes only deployment ids, so the caller
	// that knows the model groups should return the id's model group here: keys of one group
	// then share a slot and one script can check all of a group's candidates. It must be stable
	// for an id (a new tag starts a new window). nil or "" means DefaultTag, which puts every
	// key in one slot: correct everywhere, but a cluster then serves all quotas from one shard.
	// Reserve splits candidates with different tags into one script call per run of equal tags.
	Tag func(id string) string
	// Instance names this process in the heartbeat set; default hostname-pid-random.
	Instance string
	// ExpectedInstances is the instance count FallbackShare divides by before any heartbeat
	// was read (Redis down at startup); default 1.
	ExpectedInstances int
	// Refresh is how often the local mirror behind Used is re-read from Redis (one script per
	// hash tag) and failed Settle/Refund writes are retried; default 250 ms.
	Refresh time.Duration
	// Heartbeat is how often this instance beats; an instance counts as live for 3 beats.
	// Default 1 s.
	Heartbeat time.Duration
	// Now is the local clock (tests inject skew; windows never depend on it); default time.Now.
	Now func() time.Time
	// Logger receives dropped-write warnings; default slog.Default().
	Logger *slog.Logger
}

// Redis is the Store shared by every instance using the same Redis: check-and-reserve is one Lua
// script per attempt (EVALSHA, EVAL on NOSCRIPT) that walks the candidates in order against
// rolling windows kept in Redis and counted on Redis's clock, with the same 61-bucket semantics
// as Memory (rpm exact over any 60 s; tpm admits while used + estimate fits, a lone request
// bigger than tpm only into an empty window).
//
// Used is a local read of a mirror: every script reply carries the examined deployments' usage,
// and a background loop re-reads every known deployment each Refresh (250 ms). The mirror may be
// up to one Refresh behind other instances' reservations; that only costs a refused Reserve
// (the authoritative check), never a quota.
//
// Settle and Refund update Redis off the caller's path: they queue the delta for a writer that
// batches them into one pipeline. A write refused by the open circuit is retried every Refresh
// until its bucket leaves the window; a write whose outcome is unknown (timeout after sending)
// is not resent — it may have been applied (R7) — and is logged and counted in Stats.
//
// Redis trouble: every call has the client's deadline (50 ms) and goes through its circuit
// breaker. When a call fails or the circuit is open, Reserve falls back per Fallback, using an
// embedded Memory that also shadows every reservation made in Redis, so this instance's own
// recent requests count against its share. Redis returning resumes shared counting by itself;
// admissions made during the outage are not in Redis (a documented under-count for at most one
// window), nor are the counts of a Redis that restarted empty.
//
// Reservations made in Redis carry At in Redis's clock and this store's own "redis" time zone;
// Settle and Refund use that to tell them from fallback reservations (local). Safe for
// concurrent use; call Close once.
type Redis struct {
	c        *redisx.Client
	fallback string
	prefix   string
	tag      func(string) string
	instance string
	refresh  time.Duration
	beat     time.Duration
	now      func() time.Time
	log      *slog.Logger
	zone     *time.Location

	mem    *Memory      // fallback and shadow of every reservation, on the estimated Redis clock
	offset atomic.Int64 // Redis time − local time, ms (from the latest reply)
	live   atomic.Int64 // live instances last seen; ≥ 1

	mirror sync.Map // id → *mirrored

	ops  chan adjustOp
	done chan struct{}
	wg   sync.WaitGroup

	reserves, fallbacks, dropped, deferred atomic.Int64
}

var _ Store = (*Redis)(nil)

// mirrored is one deployment's usage as Redis last reported it.
type mirrored struct {
	key      string
	tag      string
	mu       sync.Mutex
	asOf     int64 // Redis time of the reply, ms
	req, tok int64
}

// adjustOp is one queued Settle or Refund.
type adjustOp struct {
	id         string
	sec        int64 // the reservation's bucket (Redis seconds)
	dreq, dtok int64
}

// RedisStats are counters for metrics.
type RedisStats struct {
	// Reserves counts reserve scripts sent to Redis: the round trips on the request path (one
	// per Reserve whose candidates share a hash tag).
	Reserves int64
	// Fallbacks counts Reserve calls answered by the fallback instead of Redis.
	Fallbacks int64
	// DroppedWrites counts Settle/Refund deltas given up: outcome unknown after a failed send,
	// or still unsent when their bucket left the window.
	DroppedWrites int64
	// DeferredWrites counts Settle/Refund deltas that waited for Redis to come back.
	DeferredWrites int64
	// Instances is the live instance count last seen (what FallbackShare divides by).
	Instances int64
}

// NewRedis returns a Redis store using client c and starts its background loop (mirror refresh,
// heartbeat, write queue). It does not wait for Redis: with Redis down it starts in fallback.
// The only error is an unknown Fallback.
func NewRedis(c *redisx.Client, o RedisOptions) (*Redis, error) {
	switch o.Fallback {
	case "":
		o.Fallback = FallbackShare
	case FallbackShare, FallbackOpen, FallbackClosed:
	default:
		return nil, fmt.Errorf("usage: unknown redis_fallback %q (valid: share, open, closed)", o.Fallback)
	}
	if c == nil {
		return nil, errors.New("usage: NewRedis needs a redis client")
	}
	s := &Redis{
		c: c, fallback: o.Fallback, prefix: o.KeyPrefix, tag: o.Tag, instance: o.Instance,
		refresh: o.Refresh, beat: o.Heartbeat, now: o.Now, log: o.Logger,
		zone: time.FixedZone(redisZone, 0),
		ops:  make(chan adjustOp, 4096),
		done: make(chan struct{}),
	}
	if s.prefix == "" {
		s.prefix = DefaultKeyPrefix
	}
	if s.refresh <= 0 {
		s.refresh = DefaultRefresh
	}
	if s.beat <= 0 {
		s.beat = DefaultHeartbeat
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.instance == "" {
		s.instance = instanceID()
	}
	s.live.Store(int64(max(o.ExpectedInstances, 1)))
	s.mem = NewMemory(s.redisNow)
	s.wg.Add(2)
	go s.loop()
	go s.writer()
	return s, nil
}

// instanceID is hostname-pid-random (the pod name under Kubernetes).
func instanceID() string {
	h, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", h, os.Getpid(), hex.EncodeToString(b[:]))
}

// redisNow estimates Redis's clock from the local one and the latest reply.
func (s *Redis) redisNow() time.Time {
	return s.now().Add(time.Duration(s.offset.Load()) * time.Millisecond)
}

// sawRedisTime records Redis's clock (ms) from a reply.
func (s *Redis) sawRedisTime(ms int64) {
	s.offset.Store(ms - s.now().UnixMilli())
}

// tagOf is id's hash tag.
func (s *Redis) tagOf(id string) string {
	if s.tag != nil {
		if t := s.tag(id); t != "" {
			return t
		}
	}
	return DefaultTag
}

// entry returns id's mirror entry, creating it on first sight.
func (s *Redis) entry(id string) *mirrored {
	if v, ok := s.mirror.Load(id); ok {
		return v.(*mirrored)
	}
	t := s.tagOf(id)
	v, _ := s.mirror.LoadOrStore(id, &mirrored{key: s.prefix + "{" + t + "}:" + id, tag: t})
	return v.(*mirrored)
}

// set updates the mirror unless a newer reply already did.
func (m *mirrored) set(asOf, req, tok int64) {
	if req < 0 {
		return
	}
	m.mu.Lock()
	if asOf >= m.asOf {
		m.asOf, m.req, m.tok = asOf, req, tok
	}
	m.mu.Unlock()
}

// Degraded reports whether Redis is not in use now (circuit not closed): Reserve answers from
// the fallback and Used from local counts.
func (s *Redis) Degraded() bool { return !s.c.Healthy() }

// Stats returns the store's counters.
func (s *Redis) Stats() RedisStats {
	return RedisStats{Reserves: s.reserves.Load(), Fallbacks: s.fallbacks.Load(), DroppedWrites: s.dropped.Load(),
		DeferredWrites: s.deferred.Load(), Instances: s.live.Load()}
}

// Used implements Store with a local read: the mirror of Redis while it is in use, the local
// (fallback) counts while degraded. An id never seen reports zero.
func (s *Redis) Used(id string) Used {
	if s.Degraded() {
		return s.mem.Used(id)
	}
	v, ok := s.mirror.Load(id)
	if !ok {
		return Used{}
	}
	m := v.(*mirrored)
	m.mu.Lock()
	defer m.mu.Unlock()
	return Used{Requests: m.req, Tokens: m.tok}
}

// Reserve implements Store with one script call per run of candidates sharing a hash tag (one in
// all when they share it, the usual case). The error is always nil: Redis trouble is answered
// by the fallback (see Redis). A negative estimate counts as 0.
func (s *Redis) Reserve(ctx context.Context, cands []Candidate, tokens int64) (int, Reservation, time.Duration, error) {
	tokens = max(tokens, 0)
	if len(cands) == 0 {
		return -1, Reservation{}, 0, nil
	}
	var wait time.Duration
	for start := 0; start < len(cands); {
		end := start + 1
		if len(cands) > 1 {
			t := s.entry(cands[start].ID).tag
			for end < len(cands) && s.entry(cands[end].ID).tag == t {
				end++
			}
		}
		i, at, w, err := s.reserveRun(ctx, cands[start:end], tokens)
		if err != nil {
			return s.reserveFallback(ctx, cands, tokens)
		}
		if i >= 0 {
			idx := start + i
			id := cands[idx].ID
			one := [1]Candidate{{ID: id}}
			s.mem.Reserve(ctx, one[:], tokens) // shadow: this instance's share if Redis goes
			return idx, Reservation{ID: id, Tokens: tokens, At: time.Unix(at, 0).In(s.zone)}, 0, nil
		}
		if start == 0 || w < wait {
			wait = w
		}
		start = end
	}
	return -1, Reservation{}, wait, nil
}

// reserveRun runs the reserve script on cands (one hash tag): the index taken or −1, the Redis
// second it was counted in, and the wait when none fits.
func (s *Redis) reserveRun(ctx context.Context, cands []Candidate, tokens int64) (idx int, at int64, wait time.Duration, err error) {
	ents := make([]*mirrored, len(cands))
	keys := make([]string, len(cands))
	args := make([]any, 3, 3+2*len(cands))
	args[0], args[1], args[2] = tokens, ring, (ring+1)*1000
	for i, c := range cands {
		ents[i] = s.entry(c.ID)
		keys[i] = ents[i].key
		args = append(args, max(c.Limits.RPM, 0), max(c.Limits.TPM, 0))
	}
	var v []int64
	err = s.c.Do(ctx, func(ctx context.Context, r redisx.Cmdable) error {
		s.reserves.Add(1)
		var e error
		v, e = reserveScript.Run(ctx, r, keys, args...).Int64Slice()
		return e
	})
	if err != nil {
		return -1, 0, 0, err
	}
	if len(v) != 4+2*len(cands) {
		return -1, 0, 0, fmt.Errorf("usage: reserve script replied %d values, want %d", len(v), 4+2*len(cands))
	}
	s.sawRedisTime(v[2])
	for i, m := range ents {
		m.set(v[2], v[4+2*i], v[5+2*i])
	}
	if v[0] == 0 {
		return -1, 0, time.Duration(v[3]) * time.Millisecond, nil
	}
	return int(v[0] - 1), v[1], 0, nil
}

// reserveFallback answers Reserve without Redis, per the fallback mode.
func (s *Redis) reserveFallback(ctx context.Context, cands []Candidate, tokens int64) (int, Reservation, time.Duration, error) {
	s.fallbacks.Add(1)
	switch s.fallback {
	case FallbackClosed:
		return -1, Reservation{}, time.Second, nil
	case FallbackOpen:
		one := [1]Candidate{{ID: cands[0].ID}}
		return s.mem.Reserve(ctx, one[:], tokens)
	}
	n := s.live.Load()
	shared := make([]Candidate, len(cands))
	for i, c := range cands {
		shared[i] = Candidate{ID: c.ID, Limits: Limits{RPM: share(c.Limits.RPM, n), TPM: share(c.Limits.TPM, n)}}
	}
	return s.mem.Reserve(ctx, shared, tokens)
}

// share is limit ÷ n instances, at least 1 (0 stays unlimited).
func share(limit, n int64) int64 {
	if limit <= 0 {
		return 0
	}
	return max(limit/max(n, 1), 1)
}

// fromRedis reports whether r was reserved in Redis (not by the fallback).
func (s *Redis) fromRedis(r Reservation) bool { return r.At.Location().String() == redisZone }

// Settle implements Store: the shadow is corrected at once and the delta tokens − r.Tokens is
// queued for Redis (see Redis). A negative tokens counts as 0. The error is always nil.
func (s *Redis) Settle(ctx context.Context, r Reservation, tokens int64) error {
	tokens = max(tokens, 0)
	s.mem.Settle(ctx, r, tokens)
	if s.fromRedis(r) && tokens != r.Tokens {
		s.enqueue(adjustOp{id: r.ID, sec: r.At.Unix(), dtok: tokens - r.Tokens})
	}
	return nil
}

// Refund implements Store: the shadow is corrected at once and the refund queued for Redis.
// The error is always nil.
func (s *Redis) Refund(ctx context.Context, r Reservation) error {
	s.mem.Refund(ctx, r)
	if s.fromRedis(r) {
		s.enqueue(adjustOp{id: r.ID, sec: r.At.Unix(), dreq: -1, dtok: -r.Tokens})
	}
	return nil
}

// enqueue hands op to the writer. With the queue full it waits for room (the writer empties it
// at pipeline speed, or at once into its deferred list while the circuit is open), so a burst
// slows down rather than losing writes; after Close the op is counted as dropped.
func (s *Redis) enqueue(op adjustOp) {
	select {
	case s.ops <- op:
		return
	default:
	}
	select {
	case s.ops <- op:
	case <-s.done:
		s.dropped.Add(1)
	}
}

// Close stops the background loop, gives queued writes one last try, and removes this instance
// from the heartbeat set. It does not close the client.
func (s *Redis) Close() error {
	select {
	case <-s.done:
		return nil
	default:
	}
	close(s.done)
	s.wg.Wait()
	ctx := context.Background()
	_ = s.c.Do(ctx, func(ctx context.Context, r redisx.Cmdable) error {
		p := r.Pipeline()
		p.ZRem(ctx, s.instancesKey(), s.instance)
		_, err := p.Exec(ctx)
		return err
	})
	return nil
}
