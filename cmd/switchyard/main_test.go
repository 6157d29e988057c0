package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/config"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

var demoURL = regexp.MustCompile(`running on (http://[0-9.]+:\d+)`)

// startRun runs the command in-process and waits for the demo's URL on stdout.
func startRun(t *testing.T, args []string, env map[string]string) (url string, stderr *syncBuffer, stop func() (int, time.Duration)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, errb := &syncBuffer{}, &syncBuffer{}
	code := make(chan int, 1)
	go func() { code <- run(ctx, args, stdout, errb, envOf(env)) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := demoURL.FindStringSubmatch(stdout.String()); m != nil {
			url = m[1]
			break
		}
		select {
		case c := <-code:
			t.Fatalf("exited with %d before serving: %s", c, errb.String())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no URL printed within 10 s; stdout %q stderr %q", stdout.String(), errb.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	return url, errb, func() (int, time.Duration) {
		start := time.Now()
		cancel()
		select {
		case c := <-code:
			return c, time.Since(start)
		case <-time.After(10 * time.Second):
			t.Fatal("did not stop within 10 s of cancellation")
			return -1, 0
		}
	}
}

func TestDemo(t *testing.T) {
	url, stderr, stop := startRun(t, []string{"--port", "0", "--num_workers", "4", "--telemetry", "False"}, nil)
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Errorf("demo serves on %s, want 127.0.0.1 (loopback unless --host is given)", url)
	}
	resp, err := http.Post(url+"/v1/chat/completions", "application/json",
		strings.NewReader(`{"model":"gpt-3.5-turbo","messages":[{"role":"user","content":"what llm are you"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "demo") || resp.Header.Get("x-switchyard-demo") != "true" {
		t.Errorf("demo answer: got %d %s (x-switchyard-demo %q), want 200 saying demo", resp.StatusCode, b, resp.Header.Get("x-switchyard-demo"))
	}
	code, took := stop()
	if code != 0 {
		t.Errorf("exit code %d, want 0; stderr: %s", code, stderr.String())
	}
	// An idle gateway stops promptly; the bound is generous for -race.
	if took > 5*time.Second {
		t.Errorf("idle gateway took %v to stop, want about a second at most", took)
	}
	for _, want := range []string{"DEMO", "--num_workers is accepted", "--telemetry is accepted"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q: %s", want, stderr.String())
		}
	}
}

func TestPortAndHostFromEnvironment(t *testing.T) {
	f, err := parseFlags("switchyard", nil, io.Discard, envOf(map[string]string{"PORT": "4123", "HOST": "127.0.0.2"}))
	if err != nil {
		t.Fatal(err)
	}
	if f.port != 4123 || f.host != "127.0.0.2" || !f.hostFromFlags {
		t.Errorf("got port %d host %q, want 4123 127.0.0.2 from the environment", f.port, f.host)
	}
	f, _ = parseFlags("switchyard", []string{"--port", "9"}, io.Discard, envOf(map[string]string{"PORT": "4123"}))
	if f.port != 9 {
		t.Errorf("--port 9 with PORT=4123: got %d, want the flag to win", f.port)
	}
	if _, err := parseFlags("switchyard", nil, io.Discard, envOf(map[string]string{"PORT": "http"})); err == nil ||
		!strings.Contains(err.Error(), "PORT") {
		t.Errorf("PORT=http: got %v, want an error naming PORT", err)
	}
}

func TestStartupErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("model_list:\n  - model_name: m\n    litellm_params:\n      api_key: x\n"), 0o600)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing config file", []string{"--config", filepath.Join(dir, "nope.yaml")}, 1, "nope.yaml"},
		{"invalid config", []string{"--config", bad}, 1, "bad.yaml:3: model_list[0].litellm_params.model: required"},
		{"unknown flag", []string{"--frobnicate"}, 2, "frobnicate"},
		{"stray argument", []string{"serve"}, 2, "serve"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, &stdout, &stderr, envOf(nil))
			if code != tt.code || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("got exit %d stderr %q, want %d containing %q", code, stderr.String(), tt.code, tt.want)
			}
		})
	}
}

func TestCheckSeedConfig(t *testing.T) {
	for k, v := range map[string]string{"AZURE_EUROPE_API_KEY": "eu-secret-1", "AZURE_CANADA_API_KEY": "ca-secret-2", "AZURE_FRANCE_API_KEY": "fr-secret-3"} {
		t.Setenv(k, v)
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"check", "--config", "../../examples/seed-load-balancing.yaml"}, &stdout, &stderr, os.LookupEnv)
	out := stdout.String()
	if code != 0 {
		t.Fatalf("exit %d, want 0; stderr %s", code, stderr.String())
	}
	for _, want := range []string{`model group "gpt-3.5-turbo"`, "provider azure", "rpm 1440", "rpm 6",
		"https://openai-france-1234.openai.azure.com/", "no Redis: quotas are per instance", "3 deployments"} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}
	for _, secret := range []string{"eu-secret-1", "ca-secret-2", "fr-secret-3"} {
		if strings.Contains(out+stderr.String(), secret) {
			t.Errorf("check printed a key")
		}
	}
}

// corpusEnv reads the environment variable names INDEX.md lists for the corpus and gives each a
// dummy value (numeric for ports, URL-shaped for URLs).
func corpusEnv(t *testing.T, dir string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "INDEX.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(b), "## Environment variables referenced")
	parts := strings.SplitN(rest, "```", 3)
	if len(parts) < 3 {
		t.Fatal("INDEX.md has no variable list")
	}
	names := strings.Fields(parts[1])
	if len(names) < 40 {
		t.Fatalf("read %d variable names from INDEX.md, want the 46 it lists", len(names))
	}
	for _, n := range names {
		v := "dummy-" + strings.ToLower(n)
		switch {
		case strings.HasSuffix(n, "_PORT"):
			v = "6379"
		case strings.HasSuffix(n, "_URL") || strings.HasSuffix(n, "_BASE"):
			v = "https://" + strings.ToLower(strings.ReplaceAll(n, "_", "-")) + ".example/v1"
		}
		t.Setenv(n, v)
	}
}

// TestCheckCorpus runs every real-world LiteLLM config through `switchyard check`: a file the
// loader accepts must check clean (exit 0, every kept deployment buildable); a file it rejects
// must exit 1 with the loader's error, which starts with FILE:LINE for malformed YAML.
func TestCheckCorpus(t *testing.T) {
	dir := "../../../shared/litellm-configs"
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("corpus missing in CI: %v", err)
		}
		t.Skip("shared/litellm-configs not beside the repo")
	}
	corpusEnv(t, dir)
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	inc, _ := filepath.Glob(filepath.Join(dir, "19-include", "config_with_*.yaml"))
	files = append(files, inc...)
	passed := 0
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			_, loadErr := config.Load(f)
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), []string{"check", "--config", f}, &stdout, &stderr, os.LookupEnv)
			if loadErr == nil {
				passed++
				if code != 0 || !strings.Contains(stdout.String(), ": OK,") {
					t.Errorf("loads, but check exits %d: %s%s", code, stdout.String(), stderr.String())
				}
				return
			}
			if code != 1 || !strings.Contains(stderr.String(), loadErr.Error()) {
				t.Errorf("check exit %d stderr %q, want 1 with %q", code, stderr.String(), loadErr)
			}
		})
	}
	if passed < 20 {
		t.Errorf("only %d corpus files check clean, want the loadable majority", passed)
	}
}

// TestSIGTERM runs the built binary and checks an idle gateway exits promptly on SIGTERM.
func TestSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "switchyard")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "--port", "0")
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	var url string
	for sc.Scan() {
		if m := demoURL.FindStringSubmatch(sc.Text()); m != nil {
			url = m[1]
			break
		}
	}
	go io.Copy(io.Discard, stdout)
	if url == "" {
		cmd.Process.Kill()
		t.Fatal("the binary printed no URL")
	}
	if resp, err := http.Get(url + "/health/liveliness"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("liveliness: %v", err)
	}
	start := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v, want status 0", err)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("took %v to exit, want about a second at most", took)
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("still running 10 s after SIGTERM")
	}
}
