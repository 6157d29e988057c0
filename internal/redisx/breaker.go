package redisx

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// State is a circuit breaker's state.
type State int32

const (
	// Closed: calls go to Redis; consecutive failures are counted.
	Closed State = iota
	// Open: calls fail fast with [ErrOpen] without touching the network, until the cool-off
	// has passed.
	Open
	// HalfOpen: the cool-off has passed; exactly one call (the probe) goes to Redis. Its success
	// closes the breaker, its failure opens it again for another cool-off.
	HalfOpen
)

// String returns "closed", "open" or "half-open".
func (s State) String() string {
	switch s {
	case Closed:
		return "closed"
	case Open:
		return "open"
	case HalfOpen:
		return "half-open"
	}
	return "unknown"
}

// Outcome is what a call guarded by a [Breaker] came to.
type Outcome int

const (
	// Success: Redis answered (redis.Nil included).
	Success Outcome = iota
	// Failure: an error or a timeout that says Redis is unusable.
	Failure
	// Neutral: the caller gave up (its own context ended); says nothing about Redis.
	Neutral
)

// Breaker is a consecutive-failure circuit breaker. Closed → Open after Threshold consecutive
// failures; Open → HalfOpen once CoolOff has passed, letting one probe through; the probe's
// success closes it, its failure reopens it. It logs one line when Redis becomes unusable
// (closed → open, Warn) and one when it is usable again (→ closed, Info); the half-open
// round trips of a long outage are logged at Debug only, so an outage costs two log lines.
//
// Allow costs one atomic load while closed; Report costs one more (two when it resets a
// failure count). The zero value is not usable — call [NewBreaker]. Safe for concurrent use.
type Breaker struct {
	threshold int32
	coolOff   time.Duration
	now       func() time.Time
	log       *slog.Logger
	name      string
	onChange  func(from, to State)

	state atomic.Int32 // a State; written only with mu held
	fails atomic.Int32 // consecutive failures while closed

	mu       sync.Mutex
	openedAt time.Time // when the breaker last opened
	probing  bool      // the half-open probe is out
	cause    error     // the failure that opened the breaker, for the log line
}

// BreakerOptions configure a [Breaker]. Zero fields take the defaults below.
type BreakerOptions struct {
	// Threshold is the number of consecutive failures that opens the breaker; default 3.
	Threshold int
	// CoolOff is how long the breaker stays open before a probe may pass; default 1 s.
	CoolOff time.Duration
	// Name labels the log lines (e.g. the Redis address); default "redis".
	Name string
	// Logger receives the transition lines; default slog.Default().
	Logger *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
	// OnChange, when set, is called after every transition (outside the breaker's lock), e.g.
	// to set a redis_up gauge. It must not block.
	OnChange func(from, to State)
}

// Breaker defaults.
const (
	DefaultThreshold = 3
	DefaultCoolOff   = time.Second
)

// NewBreaker returns a closed breaker.
func NewBreaker(o BreakerOptions) *Breaker {
	b := &Breaker{threshold: int32(o.Threshold), coolOff: o.CoolOff, now: o.Now, log: o.Logger, name: o.Name, onChange: o.OnChange}
	if b.threshold <= 0 {
		b.threshold = DefaultThreshold
	}
	if b.coolOff <= 0 {
		b.coolOff = DefaultCoolOff
	}
	if b.now == nil {
		b.now = time.Now
	}
	if b.log == nil {
		b.log = slog.Default()
	}
	if b.name == "" {
		b.name = "redis"
	}
	return b
}

// State returns the current state. An open breaker whose cool-off has passed still reads Open
// until a call (or [Breaker.Allow]) makes it half-open.
func (b *Breaker) State() State { return State(b.state.Load()) }

// Allow reports whether a call may go to Redis now, and whether that call is the half-open
// probe. Every allowed call must be followed by exactly one [Breaker.Report] with the same
// probe value.
func (b *Breaker) Allow() (ok, probe bool) {
	if State(b.state.Load()) == Closed {
		return true, false
	}
	b.mu.Lock()
	var from State
	switch State(b.state.Load()) {
	case Closed:
		b.mu.Unlock()
		return true, false
	case Open:
		if b.now().Sub(b.openedAt) < b.coolOff {
			b.mu.Unlock()
			return false, false
		}
		from = b.set(HalfOpen)
		b.log.Debug("redis circuit half-open: probing", "redis", b.name)
	case HalfOpen:
		if b.probing {
			b.mu.Unlock()
			return false, false
		}
		from = HalfOpen
	}
	b.probing = true
	b.mu.Unlock()
	b.changed(from, HalfOpen)
	return true, true
}

// Report records the outcome of a call [Breaker.Allow] let through; err is the call's error
// (used only in the log line when it opens the breaker).
func (b *Breaker) Report(probe bool, o Outcome, err error) {
	switch {
	case o == Success && !probe && State(b.state.Load()) == Closed:
		if b.fails.Load() != 0 {
			b.fails.Store(0)
		}
		return
	case o == Failure && !probe && State(b.state.Load()) == Closed:
		if b.fails.Add(1) < b.threshold {
			return
		}
	case o == Neutral && !probe:
		return
	}
	b.mu.Lock()
	st := State(b.state.Load())
	from, to := st, st
	switch {
	case o == Neutral:
		b.probing = false // let the next call probe
	case o == Success:
		b.probing = false
		b.fails.Store(0)
		if st != Closed {
			from = b.set(Closed)
			to = Closed
			b.log.Info("redis reachable again: shared state in use", "redis", b.name, "was", from.String())
		}
	case o == Failure && (probe || st == Closed):
		b.probing = false
		b.openedAt = b.now()
		if st != Open {
			from = b.set(Open)
			to = Open
			if from == Closed {
				b.log.Warn("redis unusable: circuit open, degraded until it answers again", "redis", b.name,
					"failures", b.fails.Load(), "err", errString(err))
			} else {
				b.log.Debug("redis probe failed: circuit open again", "redis", b.name, "err", errString(err))
			}
		}
	}
	b.mu.Unlock()
	if from != to {
		b.changed(from, to)
	}
}

// Trip opens the breaker at once (e.g. Redis unreachable at startup), logging why. It does
// nothing when the breaker is already open.
func (b *Breaker) Trip(err error) {
	b.mu.Lock()
	from := State(b.state.Load())
	if from == Open {
		b.mu.Unlock()
		return
	}
	b.openedAt = b.now()
	b.probing = false
	b.set(Open)
	b.mu.Unlock()
	b.log.Warn("redis unusable: circuit open, degraded until it answers again", "redis", b.name, "err", errString(err))
	b.changed(from, Open)
}

// set stores s and returns the previous state. Caller holds mu.
func (b *Breaker) set(s State) State {
	return State(b.state.Swap(int32(s)))
}

func (b *Breaker) changed(from, to State) {
	if b.onChange != nil && from != to {
		b.onChange(from, to)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
