package usage

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchyard/switchyard/internal/redisx"
)

// Bounds of the write queue.
const (
	batchMax   = 128     // deltas per pipeline
	pendingMax = 100_000 // deferred deltas kept while Redis is away
	dropLogGap = 10 * time.Second
)

// instancesKey is the heartbeat set.
func (s *Redis) instancesKey() string { return s.prefix + "instances" }

// loop beats and loads the reserve script at once, then refreshes the mirror every Refresh and
// beats every Heartbeat until Close.
func (s *Redis) loop() {
	defer s.wg.Done()
	ctx := context.Background()
	s.heartbeat(ctx)
	// Load the reserve script now, so the first requests' EVALSHA finds it (no NOSCRIPT, then
	// EVAL with the whole body, on the request path).
	_ = s.c.Do(ctx, func(ctx context.Context, r redisx.Cmdable) error { return reserveScript.Load(ctx, r).Err() })
	rt := time.NewTicker(s.refresh)
	defer rt.Stop()
	ht := time.NewTicker(s.beat)
	defer ht.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-rt.C:
			s.refreshMirror(ctx)
		case <-ht.C:
			s.heartbeat(ctx)
		}
	}
}

// heartbeat records this instance as live and reads the live count.
func (s *Redis) heartbeat(ctx context.Context) {
	var v []int64
	err := s.c.Do(ctx, func(ctx context.Context, r redisx.Cmdable) error {
		var e error
		v, e = heartbeatScript.Run(ctx, r, []string{s.instancesKey()}, s.instance, 3*s.beat.Milliseconds()).Int64Slice()
		return e
	})
	if err != nil || len(v) != 2 {
		return
	}
	s.sawRedisTime(v[0])
	s.live.Store(max(v[1], 1))
}

// refreshMirror re-reads every known deployment's window: one script call per hash tag.
func (s *Redis) refreshMirror(ctx context.Context) {
	byTag := map[string][]*mirrored{}
	s.mirror.Range(func(_, v any) bool {
		m := v.(*mirrored)
		byTag[m.tag] = append(byTag[m.tag], m)
		return true
	})
	for _, ms := range byTag {
		keys := make([]string, len(ms))
		for i, m := range ms {
			keys[i] = m.key
		}
		var v []int64
		err := s.c.Do(ctx, func(ctx context.Context, r redisx.Cmdable) error {
			var e error
			v, e = readScript.Run(ctx, r, keys, ring).Int64Slice()
			return e
		})
		if err != nil {
			return // the circuit decides when to try again
		}
		if len(v) != 1+2*len(ms) {
			continue
		}
		s.sawRedisTime(v[0])
		for i, m := range ms {
			m.set(v[0], v[1+2*i], v[2+2*i])
		}
	}
}

// writer applies queued Settle/Refund deltas in batches, and retries deferred ones every
// Refresh, until Close; then it gives everything one last try.
func (s *Redis) writer() {
	defer s.wg.Done()
	ctx := context.Background()
	t := time.NewTicker(s.refresh)
	defer t.Stop()
	var pending, batch []adjustOp
	var lastLog time.Time
	for {
		select {
		case op := <-s.ops:
			batch = s.drain(append(batch[:0], op))
			pending = s.flush(ctx, batch, pending)
		case <-t.C:
			if len(pending) > 0 {
				retry := pending
				pending = s.flush(ctx, retry, nil)
			}
		case <-s.done:
			batch = s.drain(append(batch[:0], pending...))
			left := s.flush(ctx, batch, nil)
			s.dropped.Add(int64(len(left)))
			return
		}
		if d := s.dropped.Load(); d > 0 && time.Since(lastLog) >= dropLogGap {
			lastLog = time.Now()
			s.log.Warn("usage: some settle/refund writes did not reach redis (outcome unknown or outlived the window)",
				"redis", s.c.Addr(), "dropped_total", d)
		}
	}
}

// drain appends queued ops to batch until it holds batchMax or the queue is empty; the rest
// stay queued for the next batch.
func (s *Redis) drain(batch []adjustOp) []adjustOp {
	drainQueue(s.ops, func() bool { return len(batch) >= batchMax }, func(op adjustOp) { batch = append(batch, op) })
	return batch
}

// drainQueue hands add the items waiting in ch, without blocking, until full reports true or
// ch is empty.
func drainQueue[T any](ch <-chan T, full func() bool, add func(T)) {
	for !full() {
		select {
		case v := <-ch:
			add(v)
		default:
			return
		}
	}
}

// flush sends ops in one pipeline and returns pending with the ops to retry appended: all of
// them when the circuit refused the call (nothing was sent). Ops whose bucket has left the
// window are dropped first; so are ops whose send failed (their outcome is unknown, and
// resending could count them twice).
func (s *Redis) flush(ctx context.Context, ops, pending []adjustOp) []adjustOp {
	oldest := s.redisNow().Unix() - ring
	live := ops[:0:0]
	for _, op := range ops {
		if op.sec <= oldest {
			s.dropped.Add(1)
			continue
		}
		live = append(live, op)
	}
	if len(live) == 0 {
		return pending
	}
	ents := make([]*mirrored, len(live))
	keys := make([][]string, len(live))
	args := make([][]any, len(live))
	for i, op := range live {
		ents[i] = s.entry(op.id)
		keys[i] = []string{ents[i].key}
		args[i] = []any{op.sec, op.dreq, op.dtok, ring}
	}
	var cmds []*redis.Cmd
	err := s.c.Do(ctx, func(ctx context.Context, r redisx.Cmdable) error {
		var err error
		cmds, err = pipelineScript(ctx, r, adjustScript, keys, args)
		return err
	})
	if errors.Is(err, redisx.ErrOpen) {
		s.deferred.Add(int64(len(live)))
		if room := pendingMax - len(pending); room < len(live) {
			s.dropped.Add(int64(len(live) - max(room, 0)))
			live = live[:max(room, 0)]
		}
		return append(pending, live...)
	}
	for i, c := range cmds {
		v, e := c.Int64Slice()
		if e != nil || len(v) != 3 {
			s.dropped.Add(1)
			continue
		}
		s.sawRedisTime(v[0])
		ents[i].set(v[0], v[1], v[2])
	}
	return pending
}

// isNoScript reports a NOSCRIPT reply (the script cache was flushed or Redis restarted).
func isNoScript(err error) bool {
	return errors.Is(err, redis.ErrNoScript) || redis.HasErrorPrefix(err, "NOSCRIPT")
}
