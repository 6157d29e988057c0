package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

// startTimeout bounds how long a child may take to print its listening line.
const startTimeout = 20 * time.Second

// stopGrace is how long a child has to exit after SIGTERM before it is killed.
const stopGrace = 2 * time.Second

// raiseNoFile raises this process's soft RLIMIT_NOFILE to the hard limit. Calling Setrlimit
// explicitly also makes children started afterwards inherit the raised limit (the Go runtime
// otherwise restores the original soft limit in children). It returns the limits in force.
func raiseNoFile() (soft, hard uint64, err error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, 0, err
	}
	lim.Cur = lim.Max
	err = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	if err2 := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err2 != nil {
		return 0, 0, err2
	}
	return lim.Cur, lim.Max, err
}

// moduleRoot returns the directory holding the go.mod of the module in the current
// directory (the harness builds the gateway from there).
func moduleRoot() (string, error) {
	out, err := exec.Command(goTool(), "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside a Go module: run from the Switchyard repository")
	}
	return filepath.Dir(mod), nil
}

// goTool returns the go command to build with.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(os.Getenv("GOROOT"), "bin", "go")
}

// buildBinaries builds fakellm, switchyard and the floor proxy (without -race) into dir.
func buildBinaries(ctx context.Context, root, dir string) error {
	cmd := exec.CommandContext(ctx, goTool(), "build", "-o", dir+string(filepath.Separator),
		"./cmd/fakellm", "./cmd/switchyard", "./bench/floor")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build: %w\n%s", err, out)
	}
	return nil
}

// proc is one child process of the harness.
type proc struct {
	Name string // e.g. "fakellm-fast", "switchyard"
	PID  int
	Addr string // host:port it listens on
	Log  string // file holding its stdout and stderr

	cmd  *exec.Cmd
	done chan struct{} // closed when it has exited
}

// procSet starts children and stops every one of them, whatever happens.
type procSet struct {
	dir   string // directory for logs
	mu    sync.Mutex
	procs []*proc
}

// start runs bin with args, its output going to a log file, and waits until a line of that
// output matches ready, whose first group is the listening address. The child gets its own
// process group (a terminal's Ctrl-C reaches the harness, which stops it in order) and
// SIGKILL if the harness dies first.
func (ps *procSet) start(ctx context.Context, name, bin string, args []string, ready *regexp.Regexp) (*proc, error) {
	logPath := filepath.Join(ps.dir, name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		logf.Close()
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = pw, pw
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	pw.Close()
	p := &proc{Name: name, PID: cmd.Process.Pid, Log: logPath, cmd: cmd, done: make(chan struct{})}
	ps.mu.Lock()
	ps.procs = append(ps.procs, p)
	ps.mu.Unlock()

	addr := make(chan string, 1)
	go func() { // copy output to the log, reporting the listening address once
		defer logf.Close()
		br := bufio.NewReader(pr)
		for {
			line, err := br.ReadString('\n')
			logf.WriteString(line)
			if m := ready.FindStringSubmatch(line); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
			if err != nil {
				pr.Close()
				return
			}
		}
	}()
	go func() { cmd.Wait(); close(p.done) }()

	select {
	case p.Addr = <-addr:
		return p, nil
	case <-p.done:
		return nil, fmt.Errorf("%s exited before listening:\n%s", name, tail(logPath))
	case <-time.After(startTimeout):
		return nil, fmt.Errorf("%s did not report listening within %v:\n%s", name, startTimeout, tail(logPath))
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// stopAll sends SIGTERM to every child, waits up to stopGrace for them to exit, then kills
// the process groups of those still running. Safe to call more than once.
func (ps *procSet) stopAll() {
	ps.mu.Lock()
	procs := ps.procs
	ps.procs = nil
	ps.mu.Unlock()
	for _, p := range procs {
		p.cmd.Process.Signal(syscall.SIGTERM)
	}
	end := time.Now().Add(stopGrace)
	for _, p := range procs {
		select {
		case <-p.done:
			continue
		case <-time.After(time.Until(end)):
		}
		syscall.Kill(-p.PID, syscall.SIGKILL)
		<-p.done
	}
}

// tail returns the last lines of the file at path, for error messages.
func tail(path string) string {
	b, _ := os.ReadFile(path)
	s := strings.TrimRight(string(b), "\n")
	lines := strings.Split(s, "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return "  " + strings.Join(lines, "\n  ")
}
