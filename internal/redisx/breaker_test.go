package redisx

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestBreaker walks the state machine on a fake clock and checks the transitions, the probe
// discipline and that an outage costs exactly two log lines at Info and above.
func TestBreaker(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	var logs bytes.Buffer
	var changes []string
	b := NewBreaker(BreakerOptions{Threshold: 3, CoolOff: time.Second, Now: clk.now, Name: "r",
		Logger:   slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
		OnChange: func(from, to State) { changes = append(changes, from.String()+">"+to.String()) }})
	boom := errors.New("boom")
	call := func(o Outcome) (ok, probe bool) {
		ok, probe = b.Allow()
		if ok {
			b.Report(probe, o, boom)
		}
		return ok, probe
	}
	steps := []struct {
		name      string
		advance   time.Duration
		outcome   Outcome
		ok, probe bool
		want      State
	}{
		{"failure 1", 0, Failure, true, false, Closed},
		{"success resets", 0, Success, true, false, Closed},
		{"failure 1", 0, Failure, true, false, Closed},
		{"failure 2", 0, Failure, true, false, Closed},
		{"caller gone is neutral", 0, Neutral, true, false, Closed},
		{"failure 3 opens", 0, Failure, true, false, Open},
		{"open fails fast", 500 * time.Millisecond, Success, false, false, Open},
		{"probe after cool-off fails", 500 * time.Millisecond, Failure, true, true, Open},
		{"open again", 900 * time.Millisecond, Success, false, false, Open},
		{"neutral probe", 100 * time.Millisecond, Neutral, true, true, HalfOpen},
		{"next call probes and succeeds", 0, Success, true, true, Closed},
		{"closed", 0, Success, true, false, Closed},
	}
	for i, s := range steps {
		clk.add(s.advance)
		ok, probe := call(s.outcome)
		if ok != s.ok || probe != s.probe || b.State() != s.want {
			t.Errorf("step %d %s: got ok=%v probe=%v state=%v, want %v %v %v", i, s.name, ok, probe, b.State(), s.ok, s.probe, s.want)
		}
	}
	if n := strings.Count(logs.String(), "\n"); n != 2 {
		t.Errorf("got %d log lines, want 2 (opened, closed):\n%s", n, logs.String())
	}
	want := "closed>open open>half-open half-open>open open>half-open half-open>closed"
	if got := strings.Join(changes, " "); got != want {
		t.Errorf("transitions:\n got %s\nwant %s", got, want)
	}
}

// TestBreakerOneProbe checks that only one caller probes a half-open breaker at a time.
func TestBreakerOneProbe(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	b := NewBreaker(BreakerOptions{Now: clk.now, Logger: slog.New(slog.DiscardHandler)})
	b.Trip(errors.New("startup"))
	if ok, _ := b.Allow(); ok || b.State() != Open {
		t.Fatal("tripped breaker lets calls through")
	}
	clk.add(DefaultCoolOff)
	var mu sync.Mutex
	probes, allowed := 0, 0
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, probe := b.Allow()
			mu.Lock()
			defer mu.Unlock()
			if ok {
				allowed++
			}
			if probe {
				probes++
			}
		}()
	}
	wg.Wait()
	if probes != 1 || allowed != 1 {
		t.Errorf("got %d probes, %d allowed, want 1 and 1", probes, allowed)
	}
}
