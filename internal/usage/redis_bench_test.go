package usage

import (
	"context"
	"fmt"
	"testing"

	"github.com/switchyard/switchyard/internal/redisx"
	"github.com/switchyard/switchyard/internal/redisx/redistest"
)

// BenchmarkRedisReserve is one Reserve round trip (the EVALSHA of the reserve script) against a
// real redis-server on loopback, quota never full; Settle is queued and batched off the path.
func BenchmarkRedisReserve(b *testing.B) {
	srv := redistest.Start(b)
	for _, bc := range []struct {
		name   string
		cands  int
		settle bool
	}{{"1cand", 1, false}, {"1cand+settle", 1, true}, {"3cands-first-full", 3, false}} {
		b.Run(bc.name, func(b *testing.B) {
			s, _ := newStore(b, srv.Port, "", RedisOptions{KeyPrefix: "bench:" + bc.name + ":"}, redisx.Options{Timeout: slowTimeout})
			ctx := context.Background()
			cands := make([]Candidate, bc.cands)
			for i := range cands {
				cands[i] = Candidate{ID: fmt.Sprint("d", i), Limits: Limits{RPM: 1 << 40, TPM: 1 << 50}}
			}
			if bc.cands > 1 {
				cands[0].Limits.RPM = 1
				s.Reserve(ctx, cands[:1], 0)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				idx, r, _, _ := s.Reserve(ctx, cands, 100)
				if idx < 0 {
					b.Fatal("refused")
				}
				if bc.settle {
					s.Settle(ctx, r, 120)
				}
			}
		})
	}
}

// BenchmarkRedisReserveParallel is Reserve from GOMAXPROCS×4 goroutines on one deployment
// (one hot key), the shape of a busy gateway.
func BenchmarkRedisReserveParallel(b *testing.B) {
	srv := redistest.Start(b)
	s, _ := newStore(b, srv.Port, "", RedisOptions{}, redisx.Options{Timeout: slowTimeout})
	cands := []Candidate{{ID: "d", Limits: Limits{RPM: 1 << 40}}}
	b.SetParallelism(4)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			if idx, r, _, _ := s.Reserve(ctx, cands, 100); idx >= 0 {
				s.Settle(ctx, r, 90)
			}
		}
	})
}

// BenchmarkMemoryReserveForComparison is the in-memory store doing the same work.
func BenchmarkMemoryReserveForComparison(b *testing.B) {
	m := NewMemory(nil)
	ctx := context.Background()
	cands := []Candidate{{ID: "d", Limits: Limits{RPM: 1 << 40}}}
	for b.Loop() {
		_, r, _, _ := m.Reserve(ctx, cands, 100)
		m.Settle(ctx, r, 120)
	}
}
