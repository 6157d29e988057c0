package main

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestLifecycleFlags(t *testing.T) {
	tests := []struct {
		args          []string
		delay, reload time.Duration
		wantErr       bool
	}{
		{nil, 0, 5 * time.Second, false},
		{[]string{"--shutdown-delay", "2s", "--reload-interval", "0"}, 2 * time.Second, 0, false},
		{[]string{"--reload-interval=250ms"}, 0, 250 * time.Millisecond, false},
		{[]string{"--shutdown-delay", "soon"}, 0, 0, true},
	}
	for _, tt := range tests {
		f, err := parseFlags("switchyard", tt.args, io.Discard, envOf(nil))
		if tt.wantErr {
			if err == nil {
				t.Errorf("%q: got no error, want one", tt.args)
			}
			continue
		}
		if err != nil || f.shutdownDelay != tt.delay || f.reload != tt.reload {
			t.Errorf("%q: got delay %v reload %v err %v, want %v %v", tt.args, f.shutdownDelay, f.reload, err, tt.delay, tt.reload)
		}
	}
}

var listening = regexp.MustCompile(`addr=(127\.0\.0\.1:\d+)`)

// TestSIGHUPReloads runs the built binary with a config file, edits the file, sends SIGHUP
// (polling off) and checks the new model group is served; then SIGTERM exits cleanly.
func TestSIGHUPReloads(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "switchyard")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	path := filepath.Join(dir, "config.yaml")
	group := func(name string) string {
		return "  - model_name: " + name + "\n    litellm_params: {model: fake/" + name + "}\n"
	}
	if err := os.WriteFile(path, []byte("model_list:\n"+group("old-group")), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config", path, "--host", "127.0.0.1", "--port", "0", "--reload-interval", "0")
	stderr, _ := cmd.StderrPipe()
	logs := &syncBuffer{}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logs.Write([]byte(sc.Text() + "\n"))
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
	}()
	var url string
	select {
	case a := <-addr:
		url = "http://" + a
	case <-time.After(10 * time.Second):
		t.Fatalf("no listening line within 10 s: %s", logs)
	}
	models := func() string {
		resp, err := http.Get(url + "/v1/models")
		if err != nil {
			return ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if m := models(); !strings.Contains(m, "old-group") || strings.Contains(m, "new-group") {
		t.Fatalf("models before reload: %s", m)
	}
	if err := os.WriteFile(path, []byte("model_list:\n"+group("old-group")+group("new-group")), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd.Process.Signal(syscall.SIGHUP)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(models(), "new-group") || !strings.Contains(logs.String(), "config reloaded") {
		if time.Now().After(deadline) {
			t.Fatalf("new-group not listed, or no reload logged, 5 s after SIGHUP; logs:\n%s", logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v, want status 0; logs:\n%s", err, logs)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("still running 10 s after SIGTERM")
	}
}
