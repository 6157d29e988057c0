package usage

import (
	"context"
	"testing"
)

// BenchmarkReserveSettle measures one admission on the hot path with the real clock: Reserve
// over 1 or 3 candidates (with 3, the first two are at their rpm, so the walk reaches the
// third), then Settle.
func BenchmarkReserveSettle(b *testing.B) {
	ctx := context.Background()
	for _, bc := range []struct {
		name  string
		cands []Candidate
	}{
		{"1", []Candidate{{ID: "c", Limits: Limits{TPM: 1 << 60}}}},
		{"3", []Candidate{
			{ID: "a", Limits: Limits{RPM: 1}},
			{ID: "b", Limits: Limits{RPM: 1}},
			{ID: "c", Limits: Limits{TPM: 1 << 60}},
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			m := NewMemory(nil)
			for i := range len(bc.cands) - 1 {
				m.Reserve(ctx, bc.cands[i:i+1], 0) // fill the rpm-1 candidates
			}
			b.ReportAllocs()
			for b.Loop() {
				idx, r, _, _ := m.Reserve(ctx, bc.cands, 100)
				if idx != len(bc.cands)-1 {
					b.Fatalf("got idx %d", idx)
				}
				m.Settle(ctx, r, 120)
			}
		})
	}
}

// BenchmarkReserveRefused measures a refusal: three full candidates, retryAfter computed for each.
func BenchmarkReserveRefused(b *testing.B) {
	ctx := context.Background()
	m := NewMemory(nil)
	cands := []Candidate{{ID: "a", Limits: Limits{RPM: 1}}, {ID: "b", Limits: Limits{RPM: 1}}, {ID: "c", Limits: Limits{RPM: 1}}}
	for i := range cands {
		m.Reserve(ctx, cands[i:i+1], 0)
	}
	b.ReportAllocs()
	for b.Loop() {
		if idx, _, _, _ := m.Reserve(ctx, cands, 1); idx != -1 {
			b.Fatalf("got idx %d", idx)
		}
	}
}

// BenchmarkReserveSettleParallel is Reserve+Settle on one unlimited deployment from every P.
func BenchmarkReserveSettleParallel(b *testing.B) {
	ctx := context.Background()
	m := NewMemory(nil)
	cands := []Candidate{{ID: "d"}}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_, r, _, _ := m.Reserve(ctx, cands, 100)
			m.Settle(ctx, r, 120)
		}
	})
}

// BenchmarkSlots measures TryAcquire+Release, serial and from every P on one deployment.
func BenchmarkSlots(b *testing.B) {
	b.Run("serial", func(b *testing.B) {
		s := NewSlots()
		b.ReportAllocs()
		for b.Loop() {
			if !s.TryAcquire("d", 8) {
				b.Fatal("refused")
			}
			s.Release("d")
		}
	})
	b.Run("parallel", func(b *testing.B) {
		s := NewSlots()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if s.TryAcquire("d", 1<<30) {
					s.Release("d")
				}
			}
		})
	})
}
