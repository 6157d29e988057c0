package usage

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchyard/switchyard/internal/redisx"
)

// reserveWorkers is how many reserve pipelines may be in flight at once. Under light load each
// request gets a worker to itself (one round trip, no waiting); under heavy load the requests
// that arrive while every worker is busy go out together in the next pipeline, so Redis and
// the network see one read and one write per batch instead of per request.
const reserveWorkers = 2

// errReserveTimeout is a reserve call that waited longer than the client's deadline (queued
// behind a slow batch); the caller answers from the fallback.
var errReserveTimeout = errors.New("usage: reserve call waited past the redis deadline")

// States of a reserveCall.
const (
	callQueued    int32 = iota
	callSent            // taken into a batch: the caller waits for done
	callAbandoned       // the caller gave up before it was taken: never sent
)

// reserveCall is one reserve script call waiting for a batch.
type reserveCall struct {
	keys  []string
	args  []any
	by    time.Time // the caller's deadline
	state atomic.Int32
	v     []int64
	err   error
	done  chan struct{}
}

// reserveScripts runs the reserve script with keys and args in the next batch and returns its
// reply, within the client's deadline from now, queueing included: a call still queued at
// its deadline is abandoned (never sent), and a batch's deadline is its earliest caller's. It
// returns early, without waiting for a batch already sent, only when ctx ends or the store
// closes.
func (s *Redis) reserveScripts(ctx context.Context, keys []string, args []any) ([]int64, error) {
	d := s.c.Timeout()
	call := &reserveCall{keys: keys, args: args, by: time.Now().Add(d), done: make(chan struct{})}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case s.calls <- call:
	case <-t.C:
		return nil, errReserveTimeout
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.done:
		return nil, redisx.ErrOpen
	}
	select {
	case <-call.done:
		return call.v, call.err
	case <-t.C:
		if call.state.CompareAndSwap(callQueued, callAbandoned) {
			return nil, errReserveTimeout
		}
		<-call.done // sent: its batch ends by our deadline
		return call.v, call.err
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.done:
		return nil, redisx.ErrOpen
	}
}

// reserver sends queued reserve calls, as many as are waiting (up to batchMax), in one
// pipeline, until Close. Abandoned calls are dropped.
func (s *Redis) reserver() {
	defer s.wg.Done()
	batch := make([]*reserveCall, 0, batchMax)
	for {
		batch = batch[:0]
		select {
		case <-s.done:
			return
		case c := <-s.calls:
			batch = take(batch, c)
		}
		drainQueue(s.calls, func() bool { return len(batch) >= batchMax }, func(c *reserveCall) { batch = take(batch, c) })
		if len(batch) > 0 {
			s.runReserves(batch)
		}
	}
}

// take appends c to batch unless its caller gave up.
func take(batch []*reserveCall, c *reserveCall) []*reserveCall {
	if c.state.CompareAndSwap(callQueued, callSent) {
		batch = append(batch, c)
	}
	return batch
}

// runReserves runs one batch through the client (deadline: the earliest caller's; breaker) and
// hands each call its reply.
func (s *Redis) runReserves(batch []*reserveCall) {
	keys := make([][]string, len(batch))
	args := make([][]any, len(batch))
	by := batch[0].by
	for i, c := range batch {
		keys[i], args[i] = c.keys, c.args
		if c.by.Before(by) {
			by = c.by
		}
	}
	s.reserves.Add(int64(len(batch)))
	var cmds []*redis.Cmd
	err := s.c.DoBy(context.Background(), by, func(ctx context.Context, r redisx.Cmdable) error {
		var err error
		cmds, err = pipelineScript(ctx, r, reserveScript, keys, args)
		return err
	})
	for i, c := range batch {
		if cmds != nil {
			c.v, c.err = cmds[i].Int64Slice()
		}
		if c.err == nil && c.v == nil {
			c.err = err
		}
		close(c.done)
	}
}

// pipelineScript runs script once per keys[i], args[i] in one pipeline (EVALSHA); the calls
// that found the script missing (NOSCRIPT: nothing ran, so resending is safe) are sent again
// with the script's body. It returns every call's command and the first error.
func pipelineScript(ctx context.Context, r redisx.Cmdable, script *redis.Script, keys [][]string, args [][]any) ([]*redis.Cmd, error) {
	p := r.Pipeline()
	cmds := make([]*redis.Cmd, len(keys))
	for i := range keys {
		cmds[i] = script.EvalSha(ctx, p, keys[i], args[i]...)
	}
	_, _ = p.Exec(ctx)
	var first error
	for i, c := range cmds {
		if isNoScript(c.Err()) {
			cmds[i] = script.Run(ctx, r, keys[i], args[i]...)
		}
		if e := cmds[i].Err(); e != nil && first == nil {
			first = e
		}
	}
	return cmds, first
}
