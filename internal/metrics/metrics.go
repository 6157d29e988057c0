// Package metrics is Switchyard's Prometheus instrumentation: counters and histograms updated
// on the request path, and gauges read from the gateway's live state at scrape time. Every name
// starts with switchyard_; deployment-level series carry the labels model_group, deployment
// (the deployment id, never a key or URL) and provider. docs/METRICS.md maps LiteLLM's names
// to these.
package metrics

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Deployment is what a scrape reads about one deployment of the current config.
type Deployment struct {
	Group, ID, Provider string
	// InFlight is the number of upstream calls to it not yet finished.
	InFlight int64
	// CoolingFor is how long its cooldown still runs; 0 when it is not cooling down.
	CoolingFor time.Duration
	// RPM and TPM are its quotas (0: unlimited); Requests and Tokens its use over the last 60 s,
	// counted only when it has a quota.
	RPM, TPM, Requests, Tokens int64
}

// Options are where scrape-time gauges come from. Nil functions report nothing.
type Options struct {
	// Deployments returns the current config's deployments, each id once.
	Deployments func() []Deployment
	// Redis reports whether Redis is configured and, if so, whether it answers.
	Redis func() (configured, up bool)
	// Reloads returns how many config reloads succeeded and were rejected.
	Reloads func() (ok, failed int64)
}

// Metrics holds one gateway's metrics in its own registry (never the global one, so servers in
// one process, tests included, do not share series). Safe for concurrent use.
type Metrics struct {
	reg         *prometheus.Registry
	handler     http.Handler
	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	ttft        *prometheus.HistogramVec
	perToken    *prometheus.HistogramVec
	inTokens    *prometheus.CounterVec
	outTokens   *prometheus.CounterVec
	attempts    *prometheus.CounterVec
	retries     *prometheus.CounterVec
	fallbacks   *prometheus.CounterVec
	perDeployed []*prometheus.MetricVec
	// hot caches, per Labels, the series every successful request updates (Labels →
	// *hotSeries), so the request path does not hash label values into each vector every time.
	hot sync.Map
}

// hotSeries are one deployment's series on the success path: a 200 request, a successful
// attempt, its latency, TTFT, tokens and latency per token. Each is resolved on first use, so
// a series appears only once something is recorded in it.
type hotSeries struct {
	requestsOK, attemptsOK, inTokens, outTokens lazy[prometheus.Counter]
	latency, ttft, perToken                     lazy[prometheus.Observer]
}

// lazy holds a value made once, on first get.
type lazy[T any] struct {
	once sync.Once
	v    T
}

func (z *lazy[T]) get(make func() T) T {
	z.once.Do(func() { z.v = make() })
	return z.v
}

// series returns l's hot series.
func (m *Metrics) series(l Labels) *hotSeries {
	if v, ok := m.hot.Load(l); ok {
		return v.(*hotSeries)
	}
	v, _ := m.hot.LoadOrStore(l, new(hotSeries))
	return v.(*hotSeries)
}

var depLabels = []string{"model_group", "deployment", "provider"}

func with(extra ...string) []string { return append(append([]string(nil), depLabels...), extra...) }

// latencyBuckets are in seconds, 5 ms to 10 min: LLM calls range from a cached embedding to a
// long completion.
var latencyBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600}

// New returns the metrics of one gateway, with Go runtime and process metrics.
func New(o Options) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "switchyard_requests_total",
		Help: "Client requests finished, by the deployment that served the last attempt (empty when none was tried), outcome (success, error, client_gone) and HTTP status sent."},
		with("outcome", "status"))
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "switchyard_request_duration_seconds",
		Help: "Time from receiving a client request to its end (the last byte of a stream), in seconds.", Buckets: latencyBuckets},
		depLabels)
	m.ttft = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "switchyard_time_to_first_token_seconds",
		Help: "Streamed answers: time from an upstream attempt's start to its first content token, in seconds.", Buckets: latencyBuckets},
		depLabels)
	m.perToken = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "switchyard_latency_per_output_token_seconds",
		Help:    "Successful attempts: attempt duration divided by completion tokens, in seconds.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1}},
		depLabels)
	m.inTokens = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "switchyard_input_tokens_total",
		Help: "Prompt tokens of answered requests, as the upstream reported them."}, depLabels)
	m.outTokens = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "switchyard_output_tokens_total",
		Help: "Completion tokens of answered requests, as the upstream reported them."}, depLabels)
	m.attempts = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "switchyard_upstream_attempts_total",
		Help: "Upstream attempts finished, by outcome (success or error) and error class (LiteLLM's exception names; empty on success)."},
		with("outcome", "error_class"))
	m.retries = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "switchyard_retries_total",
		Help: "Retries started after a failed attempt on the deployment."}, depLabels)
	m.fallbacks = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "switchyard_fallbacks_total",
		Help: "Calls moved from model_group to the fallback group fallback_group."}, []string{"model_group", "fallback_group"})
	m.perDeployed = []*prometheus.MetricVec{m.requests.MetricVec, m.latency.MetricVec, m.ttft.MetricVec,
		m.perToken.MetricVec, m.inTokens.MetricVec, m.outTokens.MetricVec, m.attempts.MetricVec, m.retries.MetricVec}
	m.reg.MustRegister(m.requests, m.latency, m.ttft, m.perToken, m.inTokens, m.outTokens, m.attempts,
		m.retries, m.fallbacks, &state{o: o},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	return m
}

// Registry returns the registry the metrics live in (for tests and extra collectors).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler { return m.handler }

// Labels name one deployment in the deployment-level series.
type Labels struct{ Group, Deployment, Provider string }

// Request records a finished client request. l.Deployment is empty when no deployment was
// tried (bad request, unknown model). status is the HTTP status sent to the client.
func (m *Metrics) Request(l Labels, outcome string, status int, took time.Duration) {
	h := m.series(l)
	if outcome == "success" && status == http.StatusOK {
		h.requestsOK.get(func() prometheus.Counter {
			return m.requests.WithLabelValues(l.Group, l.Deployment, l.Provider, outcome, "200")
		}).Inc()
	} else {
		m.requests.WithLabelValues(l.Group, l.Deployment, l.Provider, outcome, strconv.Itoa(status)).Inc()
	}
	h.latency.get(func() prometheus.Observer { return m.latency.WithLabelValues(l.Group, l.Deployment, l.Provider) }).
		Observe(took.Seconds())
}

// Attempt records a finished upstream attempt: errClass is "" on success. ttft is the
// stream's time to its first token (0: not a stream, not committed); took the attempt's
// duration (to a stream's end); in and out the tokens it reported (0 when none).
func (m *Metrics) Attempt(l Labels, errClass string, ttft, took time.Duration, in, out int) {
	if errClass != "" {
		m.attempts.WithLabelValues(l.Group, l.Deployment, l.Provider, "error", errClass).Inc()
		return
	}
	g, d, p := l.Group, l.Deployment, l.Provider
	h := m.series(l)
	h.attemptsOK.get(func() prometheus.Counter { return m.attempts.WithLabelValues(g, d, p, "success", "") }).Inc()
	if ttft > 0 {
		h.ttft.get(func() prometheus.Observer { return m.ttft.WithLabelValues(g, d, p) }).Observe(ttft.Seconds())
	}
	if in > 0 {
		h.inTokens.get(func() prometheus.Counter { return m.inTokens.WithLabelValues(g, d, p) }).Add(float64(in))
	}
	if out > 0 {
		h.outTokens.get(func() prometheus.Counter { return m.outTokens.WithLabelValues(g, d, p) }).Add(float64(out))
		h.perToken.get(func() prometheus.Observer { return m.perToken.WithLabelValues(g, d, p) }).
			Observe(took.Seconds() / float64(out))
	}
}

// Retry counts a retry after a failed attempt on the deployment l.
func (m *Metrics) Retry(l Labels) { m.retries.WithLabelValues(l.Group, l.Deployment, l.Provider).Inc() }

// Fallback counts a call moving from group to the fallback group to.
func (m *Metrics) Fallback(group, to string) { m.fallbacks.WithLabelValues(group, to).Inc() }

// Forget drops every series of the deployment with this id (it left the config on reload), so
// dashboards stop showing it.
func (m *Metrics) Forget(id string) {
	m.hot.Range(func(k, _ any) bool {
		if k.(Labels).Deployment == id {
			m.hot.Delete(k)
		}
		return true
	})
	for _, v := range m.perDeployed {
		v.DeletePartialMatch(prometheus.Labels{"deployment": id})
	}
}

// state is the scrape-time collector: per-deployment gauges read from Options.
type state struct{ o Options }

var (
	descInFlight = prometheus.NewDesc("switchyard_deployment_in_flight_requests",
		"Upstream calls to the deployment not yet finished (a stream until its end).", depLabels, nil)
	descCooling = prometheus.NewDesc("switchyard_deployment_cooling_down",
		"1 while the deployment is in cooldown (taken out of routing after failures), else 0.", depLabels, nil)
	descCoolLeft = prometheus.NewDesc("switchyard_deployment_cooldown_remaining_seconds",
		"Seconds until the deployment's cooldown ends; 0 when it is not cooling down.", depLabels, nil)
	descReqUsed = prometheus.NewDesc("switchyard_deployment_requests_used",
		"Requests counted against the deployment's rpm over the last 60 s (only deployments with an rpm or tpm quota are counted).", depLabels, nil)
	descReqLimit = prometheus.NewDesc("switchyard_deployment_requests_limit",
		"The deployment's rpm quota (absent when unlimited).", depLabels, nil)
	descTokUsed = prometheus.NewDesc("switchyard_deployment_tokens_used",
		"Tokens counted against the deployment's tpm over the last 60 s (only deployments with an rpm or tpm quota are counted).", depLabels, nil)
	descTokLimit = prometheus.NewDesc("switchyard_deployment_tokens_limit",
		"The deployment's tpm quota (absent when unlimited).", depLabels, nil)
	descRedisUp = prometheus.NewDesc("switchyard_redis_up",
		"1 when the configured Redis answers, 0 when it does not (absent without Redis).", nil, nil)
	descReloads = prometheus.NewDesc("switchyard_config_reloads_total",
		"Config reloads by result (ok, rejected).", []string{"result"}, nil)
)

func (s *state) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descInFlight, descCooling, descCoolLeft, descReqUsed, descReqLimit,
		descTokUsed, descTokLimit, descRedisUp, descReloads} {
		ch <- d
	}
}

func (s *state) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	if s.o.Deployments != nil {
		for _, d := range s.o.Deployments() {
			l := []string{d.Group, d.ID, d.Provider}
			cooling := 0.0
			if d.CoolingFor > 0 {
				cooling = 1
			}
			gauge(descInFlight, float64(d.InFlight), l...)
			gauge(descCooling, cooling, l...)
			gauge(descCoolLeft, d.CoolingFor.Seconds(), l...)
			if d.RPM > 0 || d.TPM > 0 {
				gauge(descReqUsed, float64(d.Requests), l...)
				gauge(descTokUsed, float64(d.Tokens), l...)
			}
			if d.RPM > 0 {
				gauge(descReqLimit, float64(d.RPM), l...)
			}
			if d.TPM > 0 {
				gauge(descTokLimit, float64(d.TPM), l...)
			}
		}
	}
	if s.o.Redis != nil {
		if configured, up := s.o.Redis(); configured {
			v := 0.0
			if up {
				v = 1
			}
			gauge(descRedisUp, v)
		}
	}
	if s.o.Reloads != nil {
		ok, failed := s.o.Reloads()
		ch <- prometheus.MustNewConstMetric(descReloads, prometheus.CounterValue, float64(ok), "ok")
		ch <- prometheus.MustNewConstMetric(descReloads, prometheus.CounterValue, float64(failed), "rejected")
	}
}
