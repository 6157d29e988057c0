package proxy

import (
	"context"
	"fmt"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/balancer"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/cooldown"
	"github.com/switchyard/switchyard/internal/deployment"
	"github.com/switchyard/switchyard/internal/openai"
	"github.com/switchyard/switchyard/internal/provider"
	provopenai "github.com/switchyard/switchyard/internal/provider/openai"
	"github.com/switchyard/switchyard/internal/usage"
)

// BenchmarkQuotaWork measures, without any I/O, the per-request work that differs between
// quotas on (rpm/tpm set, never binding) and off under usage-based routing over three
// deployments: the availability filter, the pick, the reservation, its settlement and the
// response headers. The full-path cost of quotas is this difference against the whole
// request's CPU (internal/server BenchmarkQuotas, cpu-ns/op).
//
//	go test -run '^$' -bench QuotaWork -benchmem ./internal/proxy/
func BenchmarkQuotaWork(b *testing.B) {
	for _, on := range []bool{false, true} {
		b.Run(fmt.Sprintf("quotas-%v", map[bool]string{false: "off", true: "on"}[on]), func(b *testing.B) {
			store := usage.NewMemory(nil)
			strategy, err := balancer.New("usage-based-routing", balancer.Options{Usage: store})
			if err != nil {
				b.Fatal(err)
			}
			var cands []*deployment.Deployment
			var provs []provider.Provider
			for i := range 3 {
				cd := config.Deployment{ID: fmt.Sprintf("d%d", i)}
				if on {
					cd.RPM, cd.TPM = 1_000_000_000, 1_000_000_000_000
				}
				d := deployment.New(cd, i)
				cands = append(cands, d)
				provs = append(provs, &provopenai.Provider{Base: "http://127.0.0.1:9/v1"})
			}
			p := New(Options{Providers: provs, Strategy: strategy, Usage: store,
				Cooldowns: cooldown.NewMemory(cooldown.Policy{}, nil), Router: config.RouterSettings{}})
			req, err := openai.ParseRequest([]byte(`{"model":"m","messages":[{"role":"user","content":"what llm are you"}]}`))
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			res := &Result{Attempts: 1}
			b.ReportAllocs()
			cpu0 := processCPU()
			defer func() { b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op") }()
			for b.Loop() {
				c := &Call{Req: req, Route: deployment.Route{Group: "m", Candidates: cands}, ID: "call", Start: time.Now()}
				est := estimateTokens(c)
				a, err := p.admit(ctx, c, cands, est, time.Second)
				if err != nil {
					b.Fatal(err)
				}
				p.release(ctx, &a, settleTokens, 21)
				h := make(http.Header, 16)
				p.setGatewayHeaders(h, c, a.d, res)
			}
		})
	}
}

// processCPU is the process's user+system CPU time: unlike wall time, it does not count the
// time other processes on a shared machine hold the cores.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
