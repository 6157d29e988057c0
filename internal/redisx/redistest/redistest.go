// Package redistest starts a real redis-server on a free loopback port for tests, and can
// freeze (SIGSTOP), thaw (SIGCONT), kill and restart it to inject the faults of FAULT-MATRIX.md
// rows R1–R7. Without a redis-server binary the test is skipped, unless the CI environment
// variable is set, in which case it fails.
package redistest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// Server is one redis-server process owned by a test. Its methods are not safe for concurrent
// use; call them from the test goroutine.
type Server struct {
	t    testing.TB
	bin  string
	args []string
	// Port is the loopback port Redis listens on; stable across Restart.
	Port int
	cmd  *exec.Cmd
}

// Start runs redis-server on 127.0.0.1 at a free port with persistence off, extra appended to
// its arguments (e.g. "--requirepass", "pw"), waits until it accepts connections and kills it
// at cleanup.
func Start(t testing.TB, extra ...string) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("redis-server not found and CI is set: %v", err)
		}
		t.Skipf("redis-server not found: %v", err)
	}
	s := &Server{t: t, bin: bin, Port: FreePort(t), args: extra}
	s.start()
	t.Cleanup(func() { s.Kill() })
	return s
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Addr is "127.0.0.1:port".
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port)) }

func (s *Server) start() {
	s.t.Helper()
	args := append([]string{"--port", strconv.Itoa(s.Port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"}, s.args...)
	cmd := exec.Command(s.bin, args...)
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start redis-server: %v", err)
	}
	s.cmd = cmd
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.Addr(), 100*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("redis-server on %s not accepting connections: %v", s.Addr(), err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *Server) signal(sig syscall.Signal) {
	s.t.Helper()
	if s.cmd == nil {
		s.t.Fatal("redis-server is not running")
	}
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("signal %v to redis-server: %v", sig, err)
	}
}

// Stop freezes the process (SIGSTOP): connections stay open and nothing answers.
func (s *Server) Stop() { s.signal(syscall.SIGSTOP) }

// Cont thaws a stopped process (SIGCONT).
func (s *Server) Cont() { s.signal(syscall.SIGCONT) }

// Kill kills the process (thawing it first) and waits for it; safe to call twice.
func (s *Server) Kill() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGCONT)
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// Restart kills the process and starts an empty one on the same port (state lost, R5).
func (s *Server) Restart() {
	s.t.Helper()
	s.Kill()
	s.start()
}

// String describes the server for messages.
func (s *Server) String() string { return fmt.Sprintf("redis-server on %s", s.Addr()) }
