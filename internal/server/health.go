package server

import (
	"net/http"
	"time"

	"github.com/switchyard/switchyard/internal/deployment"
	"github.com/switchyard/switchyard/internal/health"
)

// healthTargets are the current snapshot's deployments with their providers, those of group
// (or of every group when group is "") only.
func (s *Server) healthTargets(group string) []health.Target {
	var out []health.Target
	for _, d := range s.table.All() {
		if group == "" || d.ModelName == group || d.Model == group {
			out = append(out, health.Target{D: d, P: s.proxy.Provider(d)})
		}
	}
	return out
}

// healthSchedule is the background loop's schedule, read from the current snapshot before each
// round so a reload can turn checks on or off and change the interval.
func (sh *shared) healthSchedule() (on bool, interval time.Duration, targets []health.Target) {
	s := sh.current()
	g := s.cfg.General
	if !g.BackgroundHealthChecks {
		return false, g.HealthCheckInterval, nil
	}
	return true, g.HealthCheckInterval, s.healthTargets("")
}

// healthChanged logs a deployment leaving or rejoining routing after a background check.
func (sh *shared) healthChanged(r health.Result) {
	s := sh.current()
	if r.Healthy {
		s.log.Info("deployment passed its health check; back in routing", "deployment", r.ID)
		return
	}
	s.log.Warn("deployment failed its health check; out of routing until it passes", "deployment", r.ID, "error", r.Error)
}

// unhealthyFilter is the proxy's health filter: the background checks' verdict when they are
// on, else nil (an on-demand GET /health never changes routing).
func (s *Server) unhealthyFilter() func(id string) bool {
	if !s.cfg.General.BackgroundHealthChecks {
		return nil
	}
	return s.health.Unhealthy
}

// healthEndpoint is one entry of GET /health's lists: what a deployment is, never its key.
type healthEndpoint struct {
	Model     string `json:"model"`
	APIBase   string `json:"api_base"`
	ModelName string `json:"model_name"`
	ModelID   string `json:"model_id"`
	Error     string `json:"error,omitempty"`
	// CheckedAt is when the probe answered (RFC 3339).
	CheckedAt string  `json:"checked_at"`
	LatencyMS float64 `json:"latency_ms"`
}

// healthReport answers GET /health like LiteLLM: healthy_endpoints, unhealthy_endpoints and
// their counts. With background checks on it reports their last results (a deployment not yet
// probed is left out); otherwise it probes every deployment now (or those of ?model=).
// Deployments whose mode has no probe (images, audio, wildcards) are not listed.
func (s *Server) healthReport(w http.ResponseWriter, r *http.Request) {
	group := r.URL.Query().Get("model")
	targets := s.healthTargets(group)
	var results []health.Result
	if s.cfg.General.BackgroundHealthChecks {
		last := s.health.Results()
		for _, t := range targets {
			if res, ok := last[t.D.ID]; ok {
				results = append(results, res)
			}
		}
	} else {
		once := &health.Checker{Scrub: s.scrub}
		results = once.Check(r.Context(), targets)
	}
	out := struct {
		Healthy        []healthEndpoint `json:"healthy_endpoints"`
		Unhealthy      []healthEndpoint `json:"unhealthy_endpoints"`
		HealthyCount   int              `json:"healthy_count"`
		UnhealthyCount int              `json:"unhealthy_count"`
	}{Healthy: []healthEndpoint{}, Unhealthy: []healthEndpoint{}}
	byID := make(map[string]*deployment.Deployment, len(targets))
	for _, t := range targets {
		byID[t.D.ID] = t.D
	}
	for _, res := range results {
		e := s.endpoint(byID[res.ID], res)
		if res.Healthy {
			out.Healthy = append(out.Healthy, e)
		} else {
			out.Unhealthy = append(out.Unhealthy, e)
		}
	}
	out.HealthyCount, out.UnhealthyCount = len(out.Healthy), len(out.Unhealthy)
	writeJSON(w, http.StatusOK, out)
}

// endpoint describes d and its probe result for GET /health.
func (s *Server) endpoint(d *deployment.Deployment, res health.Result) healthEndpoint {
	return healthEndpoint{Model: d.Model, APIBase: s.proxy.Provider(d).APIBase(), ModelName: d.ModelName,
		ModelID: d.ID, Error: res.Error, CheckedAt: res.Checked.UTC().Format(time.RFC3339Nano),
		LatencyMS: float64(res.Latency.Microseconds()) / 1000}
}
