package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/fake"
)

// fileGateway serves the config at path (loaded as ReloadFile loads it) on 127.0.0.1.
func fileGateway(t *testing.T, path string, opts Options) *gateway {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(path, data, noEnv)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	logs := &syncBuffer{}
	opts.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts.LookupEnv = noEnv
	srv, err := New(cfg, opts)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return &gateway{Server: hs, srv: srv, logs: logs}
}

// watch runs g's Watch until the test ends.
func watch(t *testing.T, g *gateway, path string, interval time.Duration, hup chan os.Signal) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { g.srv.Watch(ctx, path, interval, hup); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// serves reports whether g answers model with 200.
func serves(g *gateway, model string) bool {
	return statusOf(g.Client(), "POST", g.URL+"/v1/chat/completions", fmt.Sprintf(chat, model)) == 200
}

// TestWatchFollowsSymlinkSwap: the poller notices a Kubernetes-style ConfigMap update (the
// ..data symlink swapped to a new directory) within a few intervals, reloads once, and does
// not reload again while nothing changes.
func TestWatchFollowsSymlinkSwap(t *testing.T) {
	up := startUpstream(t, fake.Options{})
	dir := t.TempDir()
	for v, text := range map[string]string{
		"v1": modelList(dep("gpt-3.5-turbo", "a", az(up.URL))),
		"v2": modelList(dep("gpt-3.5-turbo", "a", az(up.URL)), dep("new-group", "b", az(up.URL))),
	} {
		os.Mkdir(filepath.Join(dir, v), 0o700)
		write(t, filepath.Join(dir, v, "config.yaml"), text)
	}
	must(t, os.Symlink("v1", filepath.Join(dir, "..data")))
	path := filepath.Join(dir, "config.yaml")
	must(t, os.Symlink(filepath.Join("..data", "config.yaml"), path))

	g := fileGateway(t, path, Options{})
	watch(t, g, path, 50*time.Millisecond, nil)
	if serves(g, "new-group") {
		t.Fatal("new-group served before the update")
	}
	must(t, os.Symlink("v2", filepath.Join(dir, "..data_tmp")))
	must(t, os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")))
	eventually(t, 2*time.Second, func() bool { return serves(g, "new-group") }, "new-group served after the symlink swap")
	// Unchanged content over several more intervals: no further reload.
	time.Sleep(300 * time.Millisecond)
	if ok, failed := g.srv.Reloads(); ok != 1 || failed != 0 {
		t.Errorf("Reloads: got %d ok %d failed, want exactly 1 ok", ok, failed)
	}
}

// TestWatchIncludedFile: a change to an include: file alone triggers a reload; an invalid
// edit is rejected once and the old config keeps serving.
func TestWatchIncludedFile(t *testing.T) {
	up := startUpstream(t, fake.Options{})
	dir := t.TempDir()
	path, inc := filepath.Join(dir, "config.yaml"), filepath.Join(dir, "models.yaml")
	write(t, path, "include:\n  - models.yaml # the model list\n")
	write(t, inc, modelList(dep("gpt-3.5-turbo", "a", az(up.URL))))
	g := fileGateway(t, path, Options{})
	watch(t, g, path, 50*time.Millisecond, nil)

	write(t, inc, "model_list: [broken\n")
	eventually(t, 2*time.Second, func() bool { _, failed := g.srv.Reloads(); return failed == 1 }, "the broken include rejected")
	if !serves(g, "gpt-3.5-turbo") {
		t.Error("old config not served after a rejected reload")
	}
	write(t, inc, modelList(dep("gpt-3.5-turbo", "a", az(up.URL)), dep("new-group", "b", az(up.URL))))
	eventually(t, 2*time.Second, func() bool { return serves(g, "new-group") }, "new-group from the edited include served")
	if ok, failed := g.srv.Reloads(); ok != 1 || failed != 1 {
		t.Errorf("Reloads: got %d ok %d failed, want 1 and 1 (a rejected file is not retried until it changes)", ok, failed)
	}
}

// TestWatchSIGHUP: a value on the hup channel (what the SIGHUP handler sends) reloads at once,
// with polling off.
func TestWatchSIGHUP(t *testing.T) {
	up := startUpstream(t, fake.Options{})
	path := filepath.Join(t.TempDir(), "config.yaml")
	write(t, path, modelList(dep("gpt-3.5-turbo", "a", az(up.URL))))
	g := fileGateway(t, path, Options{})
	hup := make(chan os.Signal, 1)
	watch(t, g, path, 0, hup)
	write(t, path, modelList(dep("gpt-3.5-turbo", "a", az(up.URL)), dep("new-group", "b", az(up.URL))))
	hup <- syscall.SIGHUP
	eventually(t, 2*time.Second, func() bool { return serves(g, "new-group") }, "new-group served after SIGHUP")
}

// TestDemoHasNothingToReload: the built-in demo has no file; SIGHUP is only logged.
func TestDemoHasNothingToReload(t *testing.T) {
	up := startUpstream(t, fake.Options{})
	g := startGateway(t, oneDeployment(up.URL), Options{Demo: true})
	if err := g.srv.ReloadFile("anything.yaml"); !errors.Is(err, ErrNothingToReload) {
		t.Errorf("ReloadFile in the demo: got %v, want ErrNothingToReload", err)
	}
	hup := make(chan os.Signal, 1)
	watch(t, g, "", time.Millisecond, hup)
	hup <- syscall.SIGHUP
	eventually(t, 2*time.Second, func() bool { return strings.Contains(g.logs.String(), "SIGHUP: ") }, "SIGHUP logged")
	if ok, failed := g.srv.Reloads(); ok != 0 || failed != 0 {
		t.Errorf("Reloads: got %d ok %d failed, want none", ok, failed)
	}
}

func TestIncludeNames(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"block", "include:\n  - a.yaml\n  - \"b.yaml\"  # note\n\nlitellm_settings: {}\n", []string{"a.yaml", "b.yaml"}},
		{"block at key indent", "model_list: []\ninclude:\n- a.yaml\n- 'sub/b.yaml'\nrouter_settings: {}\n", []string{"a.yaml", "sub/b.yaml"}},
		{"flow", "include: [a.yaml, 'b.yaml'] # two\n", []string{"a.yaml", "b.yaml"}},
		{"comments and blank lines inside", "include:\n  # first\n\n  - a.yaml\n", []string{"a.yaml"}},
		{"nested include key is not top-level", "general_settings:\n  include:\n    - x.yaml\n", nil},
		{"none", "model_list: []\n", nil},
	}
	for _, tt := range tests {
		if got := includeNames([]byte(tt.yaml)); !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
