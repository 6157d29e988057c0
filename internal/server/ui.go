package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/switchyard/switchyard/internal/deployment"
	"github.com/switchyard/switchyard/ui"
)

// uiRoutes adds the dashboard: GET /ui, the page (open: it asks for the master key when
// needed), and GET /ui/state, the JSON it polls every second (behind the master key).
func (s *Server) uiRoutes(mux *http.ServeMux) {
	mux.HandleFunc("/ui", s.method("GET", s.uiPage))
	mux.HandleFunc("/ui/state", s.method("GET", s.uiState))
}

func (s *Server) uiPage(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	// Everything the page needs is inline: no script, style or font from anywhere else.
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:")
	h.Set("X-Frame-Options", "DENY")
	w.Write(ui.Index)
}

// Chart windows of GET /ui/state: span is ?span= seconds (60 or 300, default 300), with steps
// of a sixtieth of it.
const (
	uiDefaultSpan = 5 * time.Minute
	uiPoints      = 60
)

// uiDeployment is one deployment's row on the dashboard. Never a key.
type uiDeployment struct {
	ID       string `json:"id"`
	Model    string `json:"model"`
	Provider string `json:"provider"`
	APIBase  string `json:"api_base"`
	// State is "healthy", "cooling" or "unhealthy" (failed its last background health check;
	// that wins over cooling).
	State string `json:"state"`
	// CoolingUntil is when the cooldown ends (RFC 3339) and CoolingLeftMS how long that is
	// from now; set while cooling.
	CoolingUntil  string  `json:"cooling_until,omitempty"`
	CoolingLeftMS float64 `json:"cooling_left_ms,omitempty"`
	// HealthError is the last failed health check's reason (scrubbed); HealthCheckedAt when
	// the last check ran.
	HealthError     string `json:"health_error,omitempty"`
	HealthCheckedAt string `json:"health_checked_at,omitempty"`
	// RPM/TPM used in the current minute and their limits (0 = unlimited).
	RPMUsed  int64 `json:"rpm_used"`
	RPMLimit int64 `json:"rpm_limit"`
	TPMUsed  int64 `json:"tpm_used"`
	TPMLimit int64 `json:"tpm_limit"`
	// InFlight are requests on this deployment now; MaxParallel its cap (0 = none).
	InFlight    int64 `json:"in_flight"`
	MaxParallel int   `json:"max_parallel"`
	// Series is the chart data, oldest first, one point per StepS seconds.
	Series uiSeries `json:"series"`
}

// uiSeries are parallel arrays of a deployment's history.
type uiSeries struct {
	Requests []int     `json:"requests"`
	Errors   []int     `json:"errors"`
	P50MS    []float64 `json:"p50_ms"`
	P99MS    []float64 `json:"p99_ms"`
}

type uiGroup struct {
	Name        string         `json:"name"`
	Deployments []uiDeployment `json:"deployments"`
}

type uiStateBody struct {
	Now                    string    `json:"now"`
	UptimeS                float64   `json:"uptime_s"`
	SpanS                  int       `json:"span_s"`
	StepS                  int       `json:"step_s"`
	BackgroundHealthChecks bool      `json:"background_health_checks"`
	HealthCheckIntervalS   float64   `json:"health_check_interval_s"`
	Demo                   bool      `json:"demo,omitempty"`
	Groups                 []uiGroup `json:"groups"`
}

// uiState answers the dashboard's poll: every model group and deployment with its live state.
func (s *Server) uiState(w http.ResponseWriter, r *http.Request) {
	span := uiDefaultSpan
	if v, err := strconv.Atoi(r.URL.Query().Get("span")); err == nil && v == 60 {
		span = time.Minute
	}
	step := span / uiPoints
	now := time.Now()
	out := uiStateBody{Now: now.UTC().Format(time.RFC3339Nano), UptimeS: now.Sub(s.started).Seconds(),
		SpanS: int(span / time.Second), StepS: int(step / time.Second), Demo: s.opts.Demo,
		BackgroundHealthChecks: s.cfg.General.BackgroundHealthChecks,
		HealthCheckIntervalS:   s.cfg.General.HealthCheckInterval.Seconds(), Groups: []uiGroup{}}
	for _, g := range s.table.Groups() {
		ug := uiGroup{Name: g.Name, Deployments: make([]uiDeployment, 0, len(g.Deployments))}
		for _, d := range g.Deployments {
			ug.Deployments = append(ug.Deployments, s.uiDeployment(d, now, span, step))
		}
		out.Groups = append(out.Groups, ug)
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) uiDeployment(d *deployment.Deployment, now time.Time, span, step time.Duration) uiDeployment {
	used := s.usage.Used(d.ID)
	u := uiDeployment{ID: d.ID, Model: d.Model, Provider: d.Provider, APIBase: s.proxy.Provider(d).APIBase(),
		State: "healthy", RPMUsed: used.Requests, RPMLimit: d.RPM, TPMUsed: used.Tokens, TPMLimit: d.TPM,
		InFlight: d.InFlight.Load(), MaxParallel: d.MaxParallelRequests}
	if u.MaxParallel == 0 {
		u.MaxParallel = s.cfg.Router.DefaultMaxParallelRequests
	}
	if until := s.cooldowns.Until(d.ID); until.After(now) {
		u.State, u.CoolingUntil = "cooling", until.UTC().Format(time.RFC3339Nano)
		u.CoolingLeftMS = float64(until.Sub(now).Milliseconds())
	}
	if s.cfg.General.BackgroundHealthChecks {
		if res, ok := s.health.Last(d.ID); ok {
			u.HealthCheckedAt = res.Checked.UTC().Format(time.RFC3339)
			if !res.Healthy {
				u.State, u.HealthError = "unhealthy", res.Error
			}
		}
	}
	pts := s.stats.Series(d.ID, span, step)
	u.Series = uiSeries{Requests: make([]int, len(pts)), Errors: make([]int, len(pts)),
		P50MS: make([]float64, len(pts)), P99MS: make([]float64, len(pts))}
	for i, p := range pts {
		u.Series.Requests[i], u.Series.Errors[i], u.Series.P50MS[i], u.Series.P99MS[i] = p.Requests, p.Errors, p.P50, p.P99
	}
	return u
}
