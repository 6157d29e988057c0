package cooldown

import (
	"sync"
	"sync/atomic"
	"time"
)

// Memory is the in-process [Tracker]: cooldown state for one Switchyard instance. Create it
// with [NewMemory]; the zero value is not usable.
//
// Available costs one sync.Map lookup and one atomic load when id is not cooling, and does not
// allocate. Failure and Success lock the deployment's own mutex; there is no global lock.
// State for an id is allocated at its first failure and kept for the life of the Memory.
type Memory struct {
	policy Policy
	limits limits
	probe  int64 // probe timeout, ns
	now    func() time.Time
	// base is the origin of all instants stored in state, one nanosecond before NewMemory ran,
	// so every stored instant is > 0 and 0 can mean "unset". Durations since base use the
	// monotonic clock when now provides one.
	base   time.Time
	states sync.Map // id string → *state
}

var _ Tracker = (*Memory)(nil)

// state is one deployment's cooldown state. Instants are ns since Memory.base.
//
// Phases: healthy (gate == 0); cooling (now < coolEnd); half-open (gate != 0, now ≥ coolEnd).
// In half-open, probing says a probe was handed out, and gate is that probe's deadline: no
// other request passes before it.
type state struct {
	// gate is 0 when healthy; otherwise no request may pass before this instant (the cooldown
	// end, or the outstanding probe's deadline). Written only with mu held.
	gate atomic.Int64
	// coolEnd is when the current cooldown ends, 0 when healthy. Written only with mu held.
	coolEnd atomic.Int64

	mu      sync.Mutex
	dur     time.Duration // the current cooldown's length, reused when a probe fails
	probing bool          // a half-open probe was handed out and its outcome is not known
	// fails holds recent failure instants per counter: index k for a kind with an
	// allowed_fails_policy entry, sharedCounter for all other kinds.
	fails [numKinds + 1]failWindow
}

// NewMemory returns an empty in-memory Tracker using policy p (see [Policy] for how zero and
// negative fields read) and clock now (time.Now when nil).
func NewMemory(p Policy, now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	pt := p.ProbeTimeout
	if pt <= 0 {
		pt = DefaultProbeTimeout
	}
	return &Memory{
		policy: p,
		limits: resolve(p),
		probe:  int64(pt),
		now:    now,
		base:   now().Add(-time.Nanosecond),
	}
}

// Available implements [Tracker.Available].
func (m *Memory) Available(id string) (ok, probe bool) {
	st := m.lookup(id)
	if st == nil {
		return true, false
	}
	gate := st.gate.Load()
	if gate == 0 {
		return true, false
	}
	now := m.since()
	if now < gate {
		return false, false
	}
	return st.takeProbe(now, m.probe)
}

// takeProbe hands out the half-open probe slot if it is still free at now.
func (st *state) takeProbe(now, timeout int64) (ok, probe bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	gate := st.gate.Load()
	if gate == 0 {
		return true, false // a probe succeeded meanwhile
	}
	if now < gate {
		return false, false // another caller took the probe, or a probe failed and re-cooled
	}
	st.probing = true
	st.gate.Store(now + timeout)
	return true, true
}

// Failure implements [Tracker.Failure].
func (m *Memory) Failure(id string, kind Kind, retryAfter time.Duration, groupSize int, own *time.Duration) time.Duration {
	if m.policy.Disable || (own != nil && *own <= 0) {
		return 0
	}
	if kind < 0 || kind >= numKinds {
		kind = Other
	}
	st := m.lookupOrCreate(id)
	now := m.since()
	st.mu.Lock()
	defer st.mu.Unlock()

	if st.gate.Load() != 0 {
		if !st.probing {
			// Cooling, or half-open before any probe: a late report from an attempt that
			// started before the cooldown. A cooldown never grows.
			return 0
		}
		st.cool(now, st.dur) // the probe failed
		return st.dur
	}

	c := m.limits.counter[kind]
	allowed := m.limits.allowed[kind]
	trip := st.fails[c].add(now, allowed) > allowed
	if kind == RateLimit && groupSize > 1 && !m.limits.rateLimitPolicy {
		trip = true
	}
	if !trip {
		return 0
	}
	d := m.policy.duration(retryAfter, own)
	if d <= 0 {
		return 0
	}
	st.cool(now, d)
	return d
}

// Success implements [Tracker.Success].
func (m *Memory) Success(id string) {
	st := m.lookup(id)
	if st == nil || st.gate.Load() == 0 {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.probing {
		return // cooling, or a late success from before the cooldown
	}
	st.probing = false
	st.dur = 0
	st.clearFails()
	st.coolEnd.Store(0)
	st.gate.Store(0)
}

// Until implements [Tracker.Until].
func (m *Memory) Until(id string) time.Time {
	st := m.lookup(id)
	if st == nil {
		return time.Time{}
	}
	end := st.coolEnd.Load()
	if end == 0 || m.since() >= end {
		return time.Time{}
	}
	return m.base.Add(time.Duration(end))
}

// cool starts a cooldown of d from now. The failure history is dropped: it has done its job,
// and the deployment comes back only through a probe.
func (st *state) cool(now int64, d time.Duration) {
	st.dur = d
	st.probing = false
	st.clearFails()
	end := now + int64(d)
	st.coolEnd.Store(end)
	st.gate.Store(end)
}

func (st *state) clearFails() {
	for i := range st.fails {
		st.fails[i].reset()
	}
}

// since returns the current instant in ns since m.base, at least 1 even if the clock stepped
// back before base.
func (m *Memory) since() int64 { return max(int64(m.now().Sub(m.base)), 1) }

func (m *Memory) lookup(id string) *state {
	if v, ok := m.states.Load(id); ok {
		return v.(*state)
	}
	return nil
}

func (m *Memory) lookupOrCreate(id string) *state {
	if st := m.lookup(id); st != nil {
		return st
	}
	v, _ := m.states.LoadOrStore(id, new(state))
	return v.(*state)
}
