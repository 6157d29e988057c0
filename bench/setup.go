package main

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

var (
	listeningURL  = regexp.MustCompile(`listening on http://(\S+)`)
	switchyardLog = regexp.MustCompile(`switchyard listening.* addr=(\S+)`)
	redisReady    = regexp.MustCompile(`Ready to (accept) connections`) // the address is known beforehand
)

// quotaLimit is the rpm and tpm of every deployment in the quota scenarios: high enough
// never to bind, so the accounting runs but never refuses.
const quotaLimit = 1_000_000_000_000

// fleet is every process and target of one run.
type fleet struct {
	upstream map[profile]*proc // fakellm per profile
	floor    map[profile]*proc // floor proxy per profile
	sy       *proc             // Switchyard, simple-shuffle
	syQuota  *proc             // Switchyard, usage-based routing with quotas
	redis    *proc             // redis-server for syRedis; nil when no Redis scenario runs
	syRedis  *proc             // as syQuota, with the Redis usage store
	targets  []target
	notes    []string // for the report, e.g. Redis scenarios skipped
}

// fakellmArgs are the command-line flags of each profile's fake upstream.
func fakellmArgs(p profile, streamGap time.Duration) []string {
	args := []string{"--host", "127.0.0.1", "--port", "0", "--latency", "0", "--name", "fakellm-" + string(p)}
	switch p {
	case streamProfile:
		args = append(args, "--chunks", "20", "--chunk-gap", streamGap.String())
	case idleProfile:
		args = append(args, "--chunks", "2", "--chunk-gap", "1h")
	default:
		args = append(args, "--chunks", "20")
	}
	return args
}

// switchyardConfig returns a LiteLLM-style config: for each profile, a model group of three
// openai/ deployments all pointing at that profile's fakellm ("bench", "bench-stream",
// "bench-idle"). With quota, only the "bench" group, under usage-based routing with rpm and
// tpm set too high to bind, and with the Redis usage store at 127.0.0.1:redisPort when that is
// not 0.
func switchyardConfig(upstream map[profile]string, quota bool, redisPort int) string {
	var b strings.Builder
	b.WriteString("# Written by go run ./bench.\nmodel_list:\n")
	for _, p := range profiles {
		if quota && p != fastProfile {
			continue
		}
		group := "bench"
		if p != fastProfile {
			group += "-" + string(p)
		}
		for i := 1; i <= 3; i++ {
			fmt.Fprintf(&b, "  - model_name: %s\n    litellm_params:\n", group)
			fmt.Fprintf(&b, "      model: openai/bench\n      api_base: %s/v1\n      api_key: sk-bench\n", upstream[p])
			if quota {
				fmt.Fprintf(&b, "      rpm: %d\n      tpm: %d\n", int64(quotaLimit), int64(quotaLimit))
			}
			fmt.Fprintf(&b, "    model_info:\n      id: %s-%d\n", group, i)
		}
	}
	strategy := "simple-shuffle"
	if quota {
		strategy = "usage-based-routing-v2"
	}
	fmt.Fprintf(&b, "router_settings:\n  routing_strategy: %s\n  num_retries: 2\n  timeout: 600\n", strategy)
	if redisPort != 0 {
		fmt.Fprintf(&b, "  redis_host: 127.0.0.1\n  redis_port: %d\n", redisPort)
	}
	return b.String()
}

// startFleet starts the fake upstreams, the floors and the Switchyards (with a redis-server
// and a Redis-store Switchyard when a Redis scenario is asked for and redis-server is
// installed), finds the peers' processes, and returns the targets in report order: direct,
// floor, switchyard, switchyard-redis, peers.
func startFleet(ctx context.Context, ps *procSet, bin string, o *options) (*fleet, error) {
	f := &fleet{upstream: map[profile]*proc{}, floor: map[profile]*proc{}}
	base := map[profile]string{}
	var err error
	for _, p := range profiles {
		up, err := ps.start(ctx, "fakellm-"+string(p), filepath.Join(bin, "fakellm"), fakellmArgs(p, o.streamGap), listeningURL)
		if err != nil {
			return nil, err
		}
		f.upstream[p] = up
		base[p] = "http://" + up.Addr
		fl, err := ps.start(ctx, "floor-"+string(p), filepath.Join(bin, "floor"),
			[]string{"--upstream", base[p], "--conns", "1024"}, listeningURL)
		if err != nil {
			return nil, err
		}
		f.floor[p] = fl
	}
	if f.sy, err = startSwitchyard(ctx, ps, bin, "switchyard", switchyardConfig(base, false, 0)); err != nil {
		return nil, err
	}
	if f.syQuota, err = startSwitchyard(ctx, ps, bin, "switchyard-quota", switchyardConfig(base, true, 0)); err != nil {
		return nil, err
	}
	if slices.ContainsFunc(o.scenarios, func(sc scenario) bool { return sc.Redis }) {
		port, err := startRedis(ctx, ps, f)
		if err != nil {
			return nil, err
		}
		if f.redis != nil {
			if f.syRedis, err = startSwitchyard(ctx, ps, bin, "switchyard-redis", switchyardConfig(base, true, port)); err != nil {
				return nil, err
			}
		}
	}
	f.targets = []target{
		{Name: directName, resolve: func(sc scenario) (endpoint, bool) {
			return endpoint{URL: chatURL(base[sc.Profile]), Model: "bench"}, !sc.Idle
		}},
		{Name: floorName, resolve: func(sc scenario) (endpoint, bool) {
			fl := f.floor[sc.Profile]
			return endpoint{URL: chatURL("http://" + fl.Addr), Model: "bench", PID: fl.PID}, true
		}},
		{Name: switchyardName, resolve: func(sc scenario) (endpoint, bool) {
			p, model := f.sy, "bench"
			if sc.Quota {
				p = f.syQuota
			} else if sc.Profile != fastProfile {
				model += "-" + string(sc.Profile)
			}
			return endpoint{URL: chatURL("http://" + p.Addr), Model: model, PID: p.PID}, true
		}},
	}
	f.targets = append(f.targets, target{Name: noQuotaName, resolve: func(sc scenario) (endpoint, bool) {
		return endpoint{URL: chatURL("http://" + f.sy.Addr), Model: "bench", PID: f.sy.PID}, sc.Quota && !sc.Redis
	}})
	if f.syRedis != nil {
		f.targets = append(f.targets, target{Name: redisName, resolve: func(sc scenario) (endpoint, bool) {
			return endpoint{URL: chatURL("http://" + f.syRedis.Addr), Model: "bench", PID: f.syRedis.PID,
				AlsoCPU: []int{f.redis.PID}}, sc.Redis
		}})
	}
	for _, pe := range o.peers {
		pid := peerPID(pe.Base)
		if pid == 0 {
			fmt.Fprintf(o.stderr, "bench: peer %s: no process of this user listens on its port; its CPU and memory are not measured\n", pe.Name)
		}
		f.targets = append(f.targets, peerTarget(pe, base, pid))
	}
	return f, nil
}

// startSwitchyard writes cfg as NAME.yaml and starts Switchyard with it on a free port.
func startSwitchyard(ctx context.Context, ps *procSet, bin, name, cfg string) (*proc, error) {
	path := filepath.Join(ps.dir, name+".yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	return ps.start(ctx, name, filepath.Join(bin, "switchyard"),
		[]string{"--config", path, "--host", "127.0.0.1", "--port", "0", "--drain-timeout", "1s"}, switchyardLog)
}

// startRedis starts redis-server on a free loopback port, persistence off, as f.redis, and
// returns the port. Without a redis-server binary it starts nothing, leaves f.redis nil and
// notes that the Redis scenarios are skipped.
func startRedis(ctx context.Context, ps *procSet, f *fleet) (int, error) {
	exe, err := exec.LookPath("redis-server")
	if err != nil {
		f.notes = append(f.notes, "Redis scenarios skipped: no redis-server binary on PATH ("+err.Error()+").")
		return 0, nil
	}
	port, err := freePort()
	if err != nil {
		return 0, err
	}
	p, err := ps.start(ctx, "redis-server", exe, []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no"}, redisReady)
	if err != nil {
		return 0, err
	}
	p.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	f.redis = p
	ver, _ := exec.CommandContext(ctx, exe, "--version").Output()
	f.notes = append(f.notes, fmt.Sprintf("%s: Switchyard with the Redis usage store (%s), in the Redis scenarios only, interleaved with `%s` (the same config, memory store). Its CPU includes its redis-server's; its peak RSS is Switchyard's alone.",
		redisName, strings.TrimSpace(strings.SplitN(string(ver), " sha=", 2)[0]), switchyardName))
	return port, nil
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// peerPID finds the process listening on a peer's port (0 if none of ours).
func peerPID(base string) int {
	u, err := url.Parse(base)
	if err != nil {
		return 0
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		return 0
	}
	return findListenerPID(n)
}
