package cooldown

import (
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestConcurrentUse hammers a few ids from many goroutines on the real clock; run it with -race.
func TestConcurrentUse(t *testing.T) {
	p := Policy{
		AllowedFails:       2,
		AllowedFailsPolicy: map[string]int{"TimeoutErrorAllowedFails": 1},
		CooldownTime:       time.Millisecond,
		ProbeTimeout:       2 * time.Millisecond,
	}
	m := NewMemory(p, nil)
	ids := []string{"a", "b", "c", "d"}
	kinds := []Kind{Server, Timeout, RateLimit, Connect}
	const workers, rounds = 32, 2000
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				id := ids[(w+i)%len(ids)]
				ok, probe := m.Available(id)
				if probe && !ok {
					t.Errorf("Available(%s) = false, true: a probe must be allowed", id)
				}
				switch {
				case !ok:
					if until := m.Until(id); !until.IsZero() && time.Until(until) > 2*time.Millisecond {
						t.Errorf("Until(%s) = %v from now, want ≤ 2ms", id, time.Until(until))
					}
				case (w+i)%3 == 0:
					m.Success(id)
				default:
					retry := time.Duration(i%2) * 2 * time.Millisecond
					got := m.Failure(id, kinds[i%len(kinds)], retry, 1+i%3, nil)
					if got != 0 && got != time.Millisecond && got != 2*time.Millisecond {
						t.Errorf("Failure(%s) = %v, want 0, 1ms or 2ms", id, got)
					}
				}
			}
		})
	}
	wg.Wait()
	for _, id := range ids {
		m.Until(id)
	}
}

func BenchmarkAvailable(b *testing.B) {
	m := NewMemory(DefaultPolicy(), nil)
	for i := range 100 {
		m.Failure("deployment-"+strconv.Itoa(i), Server, 0, 2, nil) // known, not cooling
	}
	cooling := "deployment-cooling"
	m.Failure(cooling, RateLimit, time.Hour, 2, nil)
	healthy := "deployment-" + strconv.Itoa(42)
	b.Run("healthy", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m.Available(healthy)
		}
	})
	b.Run("unknown", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m.Available("never-failed")
		}
	})
	b.Run("cooling", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m.Available(cooling)
		}
	})
	b.Run("healthy-parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				m.Available(healthy)
			}
		})
	})
}

func BenchmarkFailure(b *testing.B) {
	// Never trips: measures recording into a full window of 101 instants.
	m := NewMemory(Policy{AllowedFails: 100, CooldownTime: time.Second}, nil)
	b.ReportAllocs()
	for b.Loop() {
		m.Failure("d", Server, 0, 2, nil)
	}
}
