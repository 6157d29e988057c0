package cooldown

import (
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// cooled returns a Memory in which "d" has just started a cooldown of d.
func cooled(t *testing.T, p Policy, d time.Duration) *Memory {
	t.Helper()
	m := NewMemory(p, nil)
	if got := m.Failure("d", RateLimit, d, 2, nil); got != d {
		t.Fatalf("Failure: got %v, want %v", got, d)
	}
	return m
}

func wantAvailable(t *testing.T, m *Memory, when string, ok, probe bool) {
	t.Helper()
	if gotOK, gotProbe := m.Available("d"); gotOK != ok || gotProbe != probe {
		t.Errorf("%s: Available = %v, %v, want %v, %v", when, gotOK, gotProbe, ok, probe)
	}
}

func TestExactlyOneProbe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := cooled(t, DefaultPolicy(), 10*time.Second)
		time.Sleep(10 * time.Second)
		if got := m.Until("d"); !got.IsZero() {
			t.Errorf("Until after the cooldown = %v, want zero", got)
		}
		const n = 64
		var oks, probes atomic.Int32
		start := make(chan struct{})
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				<-start
				ok, probe := m.Available("d")
				if ok {
					oks.Add(1)
				}
				if probe {
					probes.Add(1)
				}
			})
		}
		close(start)
		wg.Wait()
		if oks.Load() != 1 || probes.Load() != 1 {
			t.Errorf("%d concurrent Available: got %d ok and %d probes, want 1 and 1", n, oks.Load(), probes.Load())
		}
		wantAvailable(t, m, "while the probe is out", false, false)
	})
}

func TestProbeSuccessRestores(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := DefaultPolicy()
		p.AllowedFails = 1
		m := NewMemory(p, nil)
		m.Failure("d", Server, 0, 1, nil)
		if got := m.Failure("d", Server, 0, 1, nil); got != 5*time.Second {
			t.Fatalf("second failure: got %v, want 5s", got)
		}
		m.Success("d") // while cooling: ignored
		wantAvailable(t, m, "after a success while cooling", false, false)
		time.Sleep(5 * time.Second)
		m.Success("d") // half-open, no probe out: a late report, ignored
		wantAvailable(t, m, "half-open", true, true)
		m.Success("d")
		for range 3 {
			wantAvailable(t, m, "after the probe succeeded", true, false)
		}
		if got := m.Until("d"); !got.IsZero() {
			t.Errorf("Until after recovery = %v, want zero", got)
		}
		if got := m.Failure("d", Server, 0, 1, nil); got != 0 {
			t.Errorf("first failure after recovery: got %v, want 0 (history cleared)", got)
		}
		if got := m.Failure("d", Server, 0, 1, nil); got != 5*time.Second {
			t.Errorf("second failure after recovery: got %v, want 5s", got)
		}
	})
}

func TestProbeFailureRecoolsSameDuration(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := cooled(t, DefaultPolicy(), 20*time.Second) // from Retry-After
		time.Sleep(20 * time.Second)
		wantAvailable(t, m, "half-open", true, true)
		time.Sleep(3 * time.Second) // the probe takes a while
		if got := m.Failure("d", Server, 0, 1, nil); got != 20*time.Second {
			t.Errorf("probe failure: got %v, want 20s", got)
		}
		if got, want := m.Until("d"), time.Now().Add(20*time.Second); !got.Equal(want) {
			t.Errorf("Until after the probe failed = %v, want %v", got, want)
		}
		time.Sleep(20*time.Second - time.Nanosecond)
		wantAvailable(t, m, "1 ns before the second cooldown ends", false, false)
		time.Sleep(time.Nanosecond)
		wantAvailable(t, m, "after the second cooldown", true, true)
		m.Success("d")
		wantAvailable(t, m, "after the second probe succeeded", true, false)
	})
}

func TestAbandonedProbeFrees(t *testing.T) {
	tests := []struct {
		name    string
		timeout time.Duration
		want    time.Duration
	}{
		{"configured", 2 * time.Second, 2 * time.Second},
		{"default", 0, DefaultProbeTimeout},
	}
	for _, tt := range tests {
		synctest.Test(t, func(t *testing.T) {
			p := DefaultPolicy()
			p.ProbeTimeout = tt.timeout
			m := cooled(t, p, 5*time.Second)
			time.Sleep(5 * time.Second)
			wantAvailable(t, m, tt.name+": half-open", true, true)
			// The probe's client leaves; nobody reports.
			time.Sleep(tt.want - time.Nanosecond)
			wantAvailable(t, m, tt.name+": 1 ns before the probe timeout", false, false)
			if got := m.Until("d"); !got.IsZero() {
				t.Errorf("%s: Until while probing = %v, want zero", tt.name, got)
			}
			time.Sleep(time.Nanosecond)
			wantAvailable(t, m, tt.name+": at the probe timeout", true, true)
			wantAvailable(t, m, tt.name+": with the new probe out", false, false)
			if got := m.Failure("d", Timeout, 0, 1, nil); got != 5*time.Second {
				t.Errorf("%s: failure of the new probe: got %v, want 5s", tt.name, got)
			}
		})
	}
}

func TestIDsAreIndependent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := cooled(t, DefaultPolicy(), 5*time.Second)
		if ok, probe := m.Available("other"); !ok || probe {
			t.Errorf("Available(other) = %v, %v, want true, false", ok, probe)
		}
		if got := m.Until("other"); !got.IsZero() {
			t.Errorf("Until(other) = %v, want zero", got)
		}
	})
}
