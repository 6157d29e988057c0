package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSmoke runs the whole harness in --smoke mode: it builds and starts every process,
// runs every scenario with tiny counts, and writes its files to a temporary directory. It
// checks that the harness works, never how fast anything is.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes; skipped with -short")
	}
	dir := t.TempDir()
	jsonPath, mdPath := filepath.Join(dir, "out.json"), filepath.Join(dir, "BENCHMARKS.md")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	if err := run(ctx, []string{"--smoke", "--json", jsonPath, "--md", mdPath}, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\nstderr:\n%s", err, stderr.String())
	}
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var got Run
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("JSON: %v", err)
	}
	if !got.Completed {
		t.Error("run not marked completed")
	}
	seen := map[string]Result{}
	for _, r := range got.Results {
		seen[r.Scenario+"/"+r.Target] = r
	}
	_, lookErr := exec.LookPath("redis-server")
	haveRedis := lookErr == nil
	if !haveRedis && os.Getenv("CI") != "" {
		t.Errorf("redis-server not found and CI is set: %v", lookErr)
	}
	for _, sc := range allScenarios {
		targets := []string{directName, floorName, switchyardName}
		switch {
		case sc.Redis && !haveRedis:
			if _, ok := seen[sc.Name+"/"+switchyardName]; ok || !strings.Contains(stdout.String(), "no redis-server") {
				t.Errorf("%s: without redis-server, want the scenario skipped with a note", sc.Name)
			}
			continue
		case sc.Redis:
			targets = append(targets, redisName)
		case sc.Quota:
			targets = append(targets, noQuotaName)
		}
		for _, tg := range targets {
			r, ok := seen[sc.Name+"/"+tg]
			switch {
			case sc.Idle && tg == directName:
				if ok {
					t.Errorf("%s/%s: direct takes no part in idle streams", sc.Name, tg)
				}
				continue
			case !ok:
				t.Errorf("%s/%s: no result", sc.Name, tg)
				continue
			}
			if r.Requests == 0 {
				t.Errorf("%s/%s: no successful request (errors %d: %v)", sc.Name, tg, r.Errors, r.ErrorSamples)
			}
			if tg != directName && !r.Measured {
				t.Errorf("%s/%s: process not measured", sc.Name, tg)
			}
			if sc.Stream && !sc.Idle && (r.TTFB == nil || r.TTFB.N == 0) {
				t.Errorf("%s/%s: no stream timing", sc.Name, tg)
			}
		}
	}
	md, _ := os.ReadFile(mdPath)
	if !strings.Contains(string(md), "| c1 | switchyard |") || !strings.Contains(stdout.String(), "| idle8000 | floor |") {
		t.Errorf("markdown lacks the tables:\n%s", md)
	}
	if !strings.Contains(string(md), "Quotas on vs off") || !strings.Contains(string(md), "| quota-16k | switchyard-noquota |") {
		t.Errorf("markdown lacks the quotas on vs off table:\n%s", md)
	}
	if haveRedis && !strings.Contains(string(md), "| quota-redis-short | ") {
		t.Errorf("markdown lacks the Redis vs memory table:\n%s", md)
	}
	for _, r := range got.Results {
		if r.Target == redisName && !sceneRedis(r.Scenario) {
			t.Errorf("%s/%s: the Redis target takes part only in Redis scenarios", r.Scenario, r.Target)
		}
		if r.Target == noQuotaName && (sceneRedis(r.Scenario) || !strings.HasPrefix(r.Scenario, "quota-")) {
			t.Errorf("%s/%s: the no-quota target takes part only in memory-store quota scenarios", r.Scenario, r.Target)
		}
	}
}

// sceneRedis reports whether the named scenario is a Redis one.
func sceneRedis(name string) bool {
	for _, sc := range allScenarios {
		if sc.Name == name {
			return sc.Redis
		}
	}
	return false
}
