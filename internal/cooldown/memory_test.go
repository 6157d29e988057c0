package cooldown

import (
	"testing"
	"testing/synctest"
	"time"
)

// fail is one reported failure, wait after the previous one.
type fail struct {
	wait       time.Duration
	kind       Kind
	retryAfter time.Duration
	group      int
	own        *time.Duration
}

func ptr(d time.Duration) *time.Duration { return &d }

// times returns n failures of kind, each wait after the previous one.
func times(n int, wait time.Duration, kind Kind) []fail {
	fs := make([]fail, n)
	for i := range fs {
		fs[i] = fail{wait: wait, kind: kind, group: 1}
	}
	return fs
}

func withPolicy(key string, n int) Policy {
	p := DefaultPolicy()
	p.AllowedFailsPolicy = map[string]int{key: n}
	return p
}

func TestFailureTrips(t *testing.T) {
	def := DefaultPolicy()
	zero := DefaultPolicy()
	zero.AllowedFails = 0
	policy := withPolicy("TimeoutErrorAllowedFails", 5)
	policy.AllowedFails = 1
	tests := []struct {
		name  string
		p     Policy
		fails []fail
		want  []time.Duration
	}{
		{"allowed 3: 4th within 60 s cools", def, times(4, 0, Server),
			[]time.Duration{0, 0, 0, 5 * time.Second}},
		{"allowed 3: 4 within 59 s cools", def, times(4, 19*time.Second+time.Second/3, Timeout),
			[]time.Duration{0, 0, 0, 5 * time.Second}},
		{"allowed 3: spread over 60 s never cools", def, times(6, 20*time.Second, Server),
			[]time.Duration{0, 0, 0, 0, 0, 0}},
		{"allowed 0: first cools", zero, times(1, 0, Connect),
			[]time.Duration{5 * time.Second}},
		{"kinds without policy share a count", def, []fail{{kind: Server}, {kind: Timeout}, {kind: Connect}, {kind: NotFound}},
			[]time.Duration{0, 0, 0, 5 * time.Second}},
		{"per-kind limit counts its kind alone", policy, times(6, time.Second, Timeout),
			[]time.Duration{0, 0, 0, 0, 0, 5 * time.Second}},
		{"per-kind failures do not use the shared count", policy,
			append(times(5, 0, Timeout), fail{kind: Server}, fail{kind: Auth}),
			[]time.Duration{0, 0, 0, 0, 0, 0, 5 * time.Second}},
		{"per-kind 0: first of that kind cools", withPolicy("BadRequestErrorAllowedFails", 0),
			[]fail{{kind: Server}, {kind: BadRequest}},
			[]time.Duration{0, 5 * time.Second}},
		{"429 with other deployments cools at once", def, []fail{{kind: RateLimit, group: 2}},
			[]time.Duration{5 * time.Second}},
		{"429 alone in its group is counted", def, times(4, 0, RateLimit),
			[]time.Duration{0, 0, 0, 5 * time.Second}},
		{"other kinds do not cool at once in a group", def, []fail{{kind: Server, group: 5}},
			[]time.Duration{0}},
		{"RateLimitErrorAllowedFails replaces the at-once rule", withPolicy("RateLimitErrorAllowedFails", 2),
			[]fail{{kind: RateLimit, group: 3}, {kind: RateLimit, group: 3}, {kind: RateLimit, group: 3}},
			[]time.Duration{0, 0, 5 * time.Second}},
		{"unknown kind counts as Other", zero, []fail{{kind: Kind(-7)}},
			[]time.Duration{5 * time.Second}},
		{"failures while cooling are ignored", zero, times(3, time.Second, Server),
			[]time.Duration{5 * time.Second, 0, 0}},
	}
	for _, tt := range tests {
		synctest.Test(t, func(t *testing.T) {
			m := NewMemory(tt.p, nil)
			for i, f := range tt.fails {
				time.Sleep(f.wait)
				got := m.Failure("d", f.kind, f.retryAfter, f.group, f.own)
				if got != tt.want[i] {
					t.Errorf("%s: failure %d (%v): got %v, want %v", tt.name, i+1, f.kind, got, tt.want[i])
				}
			}
		})
	}
}

func TestFailureDuration(t *testing.T) {
	noDefault := DefaultPolicy()
	noDefault.CooldownTime = 0
	disabled := DefaultPolicy()
	disabled.Disable = true
	tests := []struct {
		name string
		p    Policy
		f    fail
		want time.Duration
	}{
		{"router default", DefaultPolicy(), fail{kind: RateLimit, group: 2}, 5 * time.Second},
		{"router cooldown_time", Policy{CooldownTime: 42 * time.Second}, fail{kind: Server}, 42 * time.Second},
		{"Retry-After", DefaultPolicy(), fail{kind: RateLimit, group: 2, retryAfter: 20 * time.Second}, 20 * time.Second},
		{"Retry-After capped at 300 s", DefaultPolicy(), fail{kind: RateLimit, group: 2, retryAfter: time.Hour}, 300 * time.Second},
		{"negative Retry-After ignored", DefaultPolicy(), fail{kind: RateLimit, group: 2, retryAfter: -time.Second}, 5 * time.Second},
		{"deployment cooldown_time wins", DefaultPolicy(), fail{kind: RateLimit, group: 2, retryAfter: 20 * time.Second, own: ptr(7 * time.Second)}, 7 * time.Second},
		{"deployment cooldown_time not capped", DefaultPolicy(), fail{kind: RateLimit, group: 2, own: ptr(time.Hour)}, time.Hour},
		{"deployment cooldown_time 0 disables", DefaultPolicy(), fail{kind: RateLimit, group: 2, retryAfter: 20 * time.Second, own: ptr(0)}, 0},
		{"router cooldown_time 0 without Retry-After", noDefault, fail{kind: RateLimit, group: 2}, 0},
		{"router cooldown_time 0 with Retry-After", noDefault, fail{kind: RateLimit, group: 2, retryAfter: 3 * time.Second}, 3 * time.Second},
		{"disable_cooldowns", disabled, fail{kind: RateLimit, group: 2, retryAfter: 3 * time.Second, own: ptr(time.Minute)}, 0},
	}
	for _, tt := range tests {
		synctest.Test(t, func(t *testing.T) {
			m := NewMemory(tt.p, nil)
			got := m.Failure("d", tt.f.kind, tt.f.retryAfter, tt.f.group, tt.f.own)
			if got != tt.want {
				t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
			}
			wantOK := tt.want == 0
			if ok, probe := m.Available("d"); ok != wantOK || probe {
				t.Errorf("%s: Available = %v, %v, want %v, false", tt.name, ok, probe, wantOK)
			}
			if tt.want == 0 {
				return
			}
			if got, want := m.Until("d"), time.Now().Add(tt.want); !got.Equal(want) {
				t.Errorf("%s: Until = %v, want %v", tt.name, got, want)
			}
			time.Sleep(tt.want - time.Nanosecond)
			if ok, _ := m.Available("d"); ok {
				t.Errorf("%s: Available 1 ns before the end = true, want false", tt.name)
			}
		})
	}
}

func TestDisabledDeploymentRepeatedFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewMemory(Policy{}, nil) // allowed_fails 0
		for i := range 5 {
			if got := m.Failure("d", Server, 0, 3, ptr(0)); got != 0 {
				t.Errorf("failure %d: got %v, want 0", i+1, got)
			}
		}
		if ok, probe := m.Available("d"); !ok || probe {
			t.Errorf("Available = %v, %v, want true, false", ok, probe)
		}
	})
}

func TestUnknownID(t *testing.T) {
	m := NewMemory(DefaultPolicy(), nil)
	if ok, probe := m.Available("nope"); !ok || probe {
		t.Errorf("Available = %v, %v, want true, false", ok, probe)
	}
	if got := m.Until("nope"); !got.IsZero() {
		t.Errorf("Until = %v, want zero", got)
	}
	m.Success("nope")
	if ok, _ := m.Available("nope"); !ok {
		t.Errorf("Available after Success = false, want true")
	}
}

func TestInjectedClock(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	m := NewMemory(Policy{CooldownTime: 10 * time.Second}, func() time.Time { return now })
	if got := m.Failure("d", Server, 0, 1, nil); got != 10*time.Second {
		t.Fatalf("Failure: got %v, want 10s", got)
	}
	if got, want := m.Until("d"), now.Add(10*time.Second); !got.Equal(want) {
		t.Errorf("Until = %v, want %v", got, want)
	}
	now = now.Add(10 * time.Second)
	if got := m.Until("d"); !got.IsZero() {
		t.Errorf("Until at the end = %v, want zero", got)
	}
	if ok, probe := m.Available("d"); !ok || !probe {
		t.Errorf("Available at the end = %v, %v, want true, true", ok, probe)
	}
}

func TestFailWindow(t *testing.T) {
	const s = int64(time.Second)
	tests := []struct {
		name    string
		allowed int
		at      []int64 // instants of successive failures
		want    []int   // count after each
	}{
		{"counts up to allowed+1", 2, []int64{1, 2, 3, 4, 5}, []int{1, 2, 3, 3, 3}},
		{"drops failures 60 s old", 10, []int64{1, 30 * s, 60*s + 1, 60*s + 2, 90*s + 5, 120*s + 2}, []int{1, 2, 2, 3, 3, 2}},
		{"allowed 0", 0, []int64{1, 2, 100 * s}, []int{1, 1, 1}},
		{"one a second stays bounded", 100, burst(200, s), nil},
	}
	for _, tt := range tests {
		var w failWindow
		for i, at := range tt.at {
			got := w.add(at, tt.allowed)
			if tt.want != nil && got != tt.want[i] {
				t.Errorf("%s: add #%d at %v: got %d, want %d", tt.name, i+1, time.Duration(at), got, tt.want[i])
			}
			if len(w.ts) > 2*(tt.allowed+1) {
				t.Errorf("%s: add #%d: buffer holds %d instants, want ≤ %d", tt.name, i+1, len(w.ts), 2*(tt.allowed+1))
			}
		}
	}
}

// burst returns n instants step apart, starting at 1.
func burst(n int, step int64) []int64 {
	ts := make([]int64, n)
	for i := range ts {
		ts[i] = 1 + int64(i)*step
	}
	return ts
}
