package usage

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

// In a synctest bubble the clock starts at 2000-01-01T00:00:00Z, a whole second, so offsets
// below are seconds into the bubble.

// sleepUntil sleeps until off after start.
func sleepUntil(start time.Time, off time.Duration) {
	time.Sleep(time.Until(start.Add(off)))
}

// reserve is Reserve on one candidate with a background context.
func reserve(m *Memory, id string, l Limits, est int64) (int, Reservation, time.Duration) {
	idx, r, wait, err := m.Reserve(context.Background(), []Candidate{{ID: id, Limits: l}}, est)
	if err != nil {
		panic(err)
	}
	return idx, r, wait
}

func TestRollingRPM(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		m := NewMemory(nil)
		l := Limits{RPM: 6}
		sleepUntil(start, 500*time.Millisecond)
		for i := range 6 {
			if idx, _, _ := reserve(m, "d", l, 0); idx != 0 {
				t.Fatalf("request %d: got idx %d, want 0", i+1, idx)
			}
		}
		sleepUntil(start, 10500*time.Millisecond)
		idx, _, wait := reserve(m, "d", l, 0)
		// The first six sit in second 0, which leaves the window at 61.0: 50.5 s from now.
		if want := 50500 * time.Millisecond; idx != -1 || wait != want {
			t.Fatalf("7th: got idx %d wait %v, want -1 %v", idx, wait, want)
		}
		time.Sleep(wait - time.Nanosecond)
		if idx, _, _ := reserve(m, "d", l, 0); idx != -1 {
			t.Fatalf("1 ns before retryAfter: got idx %d, want -1", idx)
		}
		time.Sleep(time.Nanosecond)
		if idx, _, _ := reserve(m, "d", l, 0); idx != 0 {
			t.Fatalf("at retryAfter: got idx %d, want 0", idx)
		}
		if got := m.Used("d"); got != (Used{Requests: 1}) {
			t.Fatalf("Used: got %+v, want 1 request", got)
		}
	})
}

func TestMinuteBoundary(t *testing.T) {
	// A calendar-minute counter would admit six more at 1:00.5; a rolling window must refuse
	// them until 60 s after the first six.
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		m := NewMemory(nil)
		l := Limits{RPM: 6}
		sleepUntil(start, 59500*time.Millisecond)
		for range 6 {
			reserve(m, "d", l, 0)
		}
		for _, off := range []time.Duration{60500 * time.Millisecond, 90 * time.Second, 119500 * time.Millisecond, 119999 * time.Millisecond} {
			sleepUntil(start, off)
			if idx, _, wait := reserve(m, "d", l, 0); idx != -1 || wait != start.Add(120*time.Second).Sub(time.Now()) {
				t.Fatalf("at %v: got idx %d wait %v, want refused until 2:00", off, idx, wait)
			}
		}
		sleepUntil(start, 120*time.Second)
		for i := range 6 {
			if idx, _, _ := reserve(m, "d", l, 0); idx != 0 {
				t.Fatalf("at 2:00 request %d: got idx %d, want 0", i+1, idx)
			}
		}
	})
}

func TestNoSixtySecondsHoldsMoreThanRPM(t *testing.T) {
	// Attempts every 137 ms for 5 minutes; every 60 s interval must hold at most rpm admissions.
	synctest.Test(t, func(t *testing.T) {
		const rpm = 7
		m := NewMemory(nil)
		var admitted []time.Time
		for range 300 * 1000 / 137 {
			if idx, _, _ := reserve(m, "d", Limits{RPM: rpm}, 0); idx == 0 {
				admitted = append(admitted, time.Now())
			}
			time.Sleep(137 * time.Millisecond)
		}
		for i := rpm; i < len(admitted); i++ {
			if d := admitted[i].Sub(admitted[i-rpm]); d < Window {
				t.Fatalf("admissions %d and %d are %v apart, want ≥ %v", i-rpm, i, d, Window)
			}
		}
		if len(admitted) < 5*rpm {
			t.Fatalf("got %d admissions in 5 min, want ≥ %d", len(admitted), 5*rpm)
		}
	})
}

func TestTPM(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewMemory(nil)
		l := Limits{TPM: 100}
		steps := []struct {
			name     string
			est      int64
			settle   int64 // settle the last admitted reservation to this, when ≥ 0
			wantIdx  int
			wantUsed int64
		}{
			{"60 fits", 60, -1, 0, 60},
			{"50 over", 50, -1, -1, 60},
			{"settle down to 30", 0, 30, 0, 30},
			{"50 fits now", 50, -1, 0, 80},
			{"21 over", 21, -1, -1, 80},
			{"20 fits exactly", 20, -1, 0, 100},
			{"settle up to 90 overshoots", 0, 90, 0, 170},
			{"1 over", 1, -1, -1, 170},
			{"0 over (used > tpm)", 0, -1, -1, 170},
		}
		var last Reservation
		for _, s := range steps {
			if s.settle >= 0 {
				if err := m.Settle(context.Background(), last, s.settle); err != nil {
					t.Fatal(err)
				}
			} else {
				idx, r, _ := reserve(m, "d", l, s.est)
				if idx != s.wantIdx {
					t.Fatalf("%s: got idx %d, want %d", s.name, idx, s.wantIdx)
				}
				if idx == 0 {
					last = r
				}
			}
			if got := m.Used("d").Tokens; got != s.wantUsed {
				t.Fatalf("%s: got used %d, want %d", s.name, got, s.wantUsed)
			}
			time.Sleep(time.Second)
		}
	})
}

func TestRetryAfterWalksBuckets(t *testing.T) {
	// tpm 100: 40 at 0 s, 40 at 10 s, 20 at 20 s. At 30 s an estimate of 50 needs the first two
	// gone (removing only the first leaves 60 + 50 > 100): second 10 leaves at 71 s.
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		m := NewMemory(nil)
		l := Limits{TPM: 100}
		for _, c := range []struct {
			at  time.Duration
			est int64
		}{{0, 40}, {10 * time.Second, 40}, {20 * time.Second, 20}} {
			sleepUntil(start, c.at)
			if idx, _, _ := reserve(m, "d", l, c.est); idx != 0 {
				t.Fatalf("at %v: got idx %d, want 0", c.at, idx)
			}
		}
		sleepUntil(start, 30*time.Second)
		if _, _, wait := reserve(m, "d", l, 50); wait != 41*time.Second {
			t.Fatalf("est 50: got wait %v, want 41s", wait)
		}
		if _, _, wait := reserve(m, "d", l, 40); wait != 31*time.Second {
			t.Fatalf("est 40: got wait %v, want 31s (only second 0 must leave)", wait)
		}
		if _, _, wait := reserve(m, "d", l, 1000); wait != 51*time.Second {
			t.Fatalf("est 1000: got wait %v, want 51s (the window must empty)", wait)
		}
		// A request counted in the current whole second is counted for 61 s; the hint is capped.
		reserve(m, "x", Limits{RPM: 1}, 0)
		if _, _, wait := reserve(m, "x", Limits{RPM: 1}, 0); wait != Window {
			t.Fatalf("full in the current second: got wait %v, want %v (capped)", wait, Window)
		}
	})
}

func TestBigEstimate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewMemory(nil)
		l := Limits{TPM: 100}
		if idx, _, _ := reserve(m, "d", l, 500); idx != 0 {
			t.Fatalf("500 on an empty window: got idx %d, want 0", idx)
		}
		if idx, _, _ := reserve(m, "d", l, 500); idx != -1 {
			t.Fatalf("second 500: got idx %d, want -1", idx)
		}
		if idx, _, _ := reserve(m, "d", l, 1); idx != -1 {
			t.Fatalf("1 after 500: got idx %d, want -1", idx)
		}
		time.Sleep(Window + time.Second)
		if idx, _, _ := reserve(m, "e", l, 10); idx != 0 {
			t.Fatal("10 on e: refused")
		}
		if idx, _, _ := reserve(m, "e", l, 500); idx != -1 {
			t.Fatalf("500 with 10 in the window: got idx %d, want -1", idx)
		}
		if idx, _, _ := reserve(m, "d", l, 500); idx != 0 {
			t.Fatalf("500 after the window emptied: got idx %d, want 0", idx)
		}
	})
}

func TestRefund(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		m := NewMemory(nil)
		l := Limits{RPM: 2, TPM: 100}
		_, r1, _ := reserve(m, "d", l, 30)
		time.Sleep(time.Second)
		_, r2, _ := reserve(m, "d", l, 40)
		if idx, _, _ := reserve(m, "d", l, 0); idx != -1 {
			t.Fatal("3rd request under rpm 2 admitted")
		}
		m.Refund(ctx, r1)
		if got, want := m.Used("d"), (Used{Requests: 1, Tokens: 40}); got != want {
			t.Fatalf("after refund: got %+v, want %+v", got, want)
		}
		m.Refund(ctx, r1) // misuse: a second refund must not take from r2's bucket or go negative
		m.Refund(ctx, r1)
		if got, want := m.Used("d"), (Used{Requests: 1, Tokens: 40}); got != want {
			t.Fatalf("after double refund: got %+v, want %+v", got, want)
		}
		m.Settle(ctx, r2, 10)
		m.Refund(ctx, r2) // refunding a settled reservation removes at most what its bucket holds
		if got := m.Used("d"); got != (Used{}) {
			t.Fatalf("after refunding everything: got %+v, want zero", got)
		}
		_, r3, _ := reserve(m, "d", l, 50)
		time.Sleep(Window + time.Second)
		m.Settle(ctx, r3, 80)
		m.Refund(ctx, r3)
		if got := m.Used("d"); got != (Used{}) {
			t.Fatalf("settle/refund after the window: got %+v, want zero", got)
		}
		m.Refund(ctx, Reservation{ID: "never-seen", Tokens: 5, At: time.Now()})
		if got := m.Used("never-seen"); got != (Used{}) {
			t.Fatalf("unknown id: got %+v, want zero", got)
		}
	})
}

func TestUsedAndIdle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		m := NewMemory(nil)
		for _, at := range []time.Duration{0, 10 * time.Second, 30 * time.Second, 59900 * time.Millisecond} {
			sleepUntil(start, at)
			reserve(m, "d", Limits{}, 10)
		}
		checks := []struct {
			at   time.Duration
			want Used
		}{
			{60 * time.Second, Used{4, 40}},
			{60999 * time.Millisecond, Used{4, 40}},
			{61 * time.Second, Used{3, 30}},
			{71 * time.Second, Used{2, 20}},
			{119999 * time.Millisecond, Used{1, 10}},
			{120 * time.Second, Used{}},
			// After long idles the ring is reused: 61 s and 122 s map every bucket onto itself.
			{181 * time.Second, Used{}},
			{time.Hour, Used{}},
		}
		for _, c := range checks {
			sleepUntil(start, c.at)
			if got := m.Used("d"); got != c.want {
				t.Fatalf("at %v: got %+v, want %+v", c.at, got, c.want)
			}
		}
		for _, idle := range []time.Duration{0, 61 * time.Second, 122 * time.Second, 3*time.Hour + 300*time.Millisecond} {
			time.Sleep(idle)
			reserve(m, "i", Limits{RPM: 1}, 7)
			if got, want := m.Used("i"), (Used{1, 7}); got != want {
				t.Fatalf("after idle %v: got %+v, want %+v", idle, got, want)
			}
			time.Sleep(Window + time.Second)
		}
	})
}

func TestCandidates(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		m := NewMemory(nil)
		full := func(id string, at time.Duration) Candidate {
			sleepUntil(start, at)
			reserve(m, id, Limits{RPM: 1}, 0)
			return Candidate{ID: id, Limits: Limits{RPM: 1}}
		}
		a := full("a", 0)
		b := full("b", 5*time.Second)
		c := full("c", 2*time.Second) // sleepUntil in the past: still at 5 s
		sleepUntil(start, 20*time.Second)
		cases := []struct {
			name     string
			cands    []Candidate
			wantIdx  int
			wantWait time.Duration
		}{
			{"none", nil, -1, 0},
			{"all full: earliest is a", []Candidate{b, a, c}, -1, 41 * time.Second},
			{"all full: b and c", []Candidate{b, c}, -1, 46 * time.Second},
			{"third fits", []Candidate{a, b, {ID: "d", Limits: Limits{RPM: 1}}}, 2, 0},
			{"unlimited fits", []Candidate{a, {ID: "e"}}, 1, 0},
		}
		for _, tc := range cases {
			idx, r, wait, err := m.Reserve(context.Background(), tc.cands, 3)
			if err != nil || idx != tc.wantIdx || wait != tc.wantWait {
				t.Fatalf("%s: got idx %d wait %v err %v, want %d %v", tc.name, idx, wait, err, tc.wantIdx, tc.wantWait)
			}
			if idx >= 0 && (r.ID != tc.cands[idx].ID || r.Tokens != 3 || !r.At.Equal(time.Now())) {
				t.Fatalf("%s: got reservation %+v", tc.name, r)
			}
		}
	})
}

func TestClockBackwards(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	now := t0
	m := NewMemory(func() time.Time { return now })
	_, r1, _ := reserve(m, "d", Limits{}, 10)
	now = t0.Add(-5 * time.Second)
	_, r2, _ := reserve(m, "d", Limits{}, 20)
	if !r2.At.Equal(t0) {
		t.Fatalf("got At %v, want the newest bucket %v", r2.At, t0)
	}
	m.Refund(context.Background(), r2)
	if got, want := m.Used("d"), (Used{1, 10}); got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	now = t0.Add(Window + time.Second)
	m.Settle(context.Background(), r1, 99)
	if got := m.Used("d"); got != (Used{}) {
		t.Fatalf("got %+v, want zero", got)
	}
}
