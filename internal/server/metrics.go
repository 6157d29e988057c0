package server

import (
	"errors"
	"net/http"
	"time"

	"github.com/switchyard/switchyard/internal/deployment"
	"github.com/switchyard/switchyard/internal/metrics"
	"github.com/switchyard/switchyard/internal/proxy"
)

// newMetrics makes the metrics shared by every snapshot; its gauges read the current one.
func newMetrics(sh *shared) *metrics.Metrics {
	return metrics.New(metrics.Options{
		Deployments: sh.deploymentStates,
		Redis:       sh.redisUp,
		Reloads:     func() (ok, failed int64) { return sh.reloadsOK.Load(), sh.reloadsFailed.Load() },
	})
}

// deploymentStates is the scrape-time view of the current config's deployments.
func (sh *shared) deploymentStates() []metrics.Deployment {
	s := sh.current()
	if s == nil {
		return nil
	}
	now := time.Now()
	all := s.table.All()
	out := make([]metrics.Deployment, 0, len(all))
	seen := make(map[string]bool, len(all))
	for _, d := range all {
		if seen[d.ID] {
			continue
		}
		seen[d.ID] = true
		u := sh.usage.Used(d.ID)
		st := metrics.Deployment{Group: d.ModelName, ID: d.ID, Provider: d.Provider, InFlight: d.InFlight.Load(),
			RPM: d.RPM, TPM: d.TPM, Requests: u.Requests, Tokens: u.Tokens}
		if until := s.cooldowns.Until(d.ID); until.After(now) {
			st.CoolingFor = until.Sub(now)
		}
		out = append(out, st)
	}
	return out
}

// serveMetrics is GET /metrics (open unless litellm_settings.require_auth_for_metrics_endpoint;
// see auth).
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	s.metrics.Handler().ServeHTTP(w, r)
}

// labels names d in metrics; with d nil, the route's model group and no deployment. The group
// is always a configured model_name (never the client's string, which a wildcard group
// matches), so label values stay few.
func labels(d *deployment.Deployment, route deployment.Route) metrics.Labels {
	if d != nil {
		return metrics.Labels{Group: d.ModelName, Deployment: d.ID, Provider: d.Provider}
	}
	if len(route.Candidates) > 0 {
		return metrics.Labels{Group: route.Candidates[0].ModelName}
	}
	return metrics.Labels{}
}

// observeRequest records a finished client request in the metrics.
func (s *Server) observeRequest(c *proxy.Call, res proxy.Result, status int, err error) {
	outcome := "success"
	switch {
	case errors.Is(err, proxy.ErrClientGone):
		outcome = "client_gone"
	case err != nil:
		outcome = "error"
	}
	s.metrics.Request(labels(res.Deployment, c.Route), outcome, status, time.Since(c.Start))
}

// forgetRemoved drops the metric series of deployments that next no longer has.
func (s *Server) forgetRemoved(prev, next *Server) {
	keep := map[string]bool{}
	for _, d := range next.table.All() {
		keep[d.ID] = true
	}
	for _, d := range prev.table.All() {
		if !keep[d.ID] {
			s.metrics.Forget(d.ID)
		}
	}
}
