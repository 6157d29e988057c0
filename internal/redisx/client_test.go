package redisx

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/redisx/redistest"
)

// TestMain routes go-redis's own per-dial log lines to Debug, as main does.
func TestMain(m *testing.M) {
	redis.SetLogger(LibraryLogger{})
	os.Exit(m.Run())
}

// TestNewFromConfig checks the client built from each way the config names a Redis.
func TestNewFromConfig(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cfg     *config.Redis
		addr    string
		cluster bool
		tls     bool
		db      int
		wantErr bool
	}{
		{name: "host and port", cfg: &config.Redis{Host: "cache", Port: 6380, Password: "pw", DB: 2}, addr: "cache:6380", db: 2},
		{name: "host only", cfg: &config.Redis{Host: "cache"}, addr: "cache:6379"},
		{name: "url", cfg: &config.Redis{URL: "redis://:pw@r.example:6390/3"}, addr: "r.example:6390", db: 3},
		{name: "rediss url", cfg: &config.Redis{URL: "rediss://r.example:6380/0"}, addr: "r.example:6380", tls: true},
		{name: "cluster", cfg: &config.Redis{ClusterNodes: []string{"n1:7000", "n2:7001"}}, addr: "cluster n1:7000", cluster: true},
		{name: "bad url", cfg: &config.Redis{URL: "http://nope"}, wantErr: true},
		{name: "nothing", cfg: &config.Redis{}, wantErr: true},
		{name: "bad port with a password", cfg: &config.Redis{URL: "redis://:hunter2@r.example:x/0"}, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(tc.cfg, Options{Logger: slog.New(slog.DiscardHandler)})
			if tc.wantErr {
				if err == nil {
					c.Close()
					t.Fatal("got no error")
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("error %q shows the URL's password", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if c.Addr() != tc.addr {
				t.Errorf("addr: got %q want %q", c.Addr(), tc.addr)
			}
			// go-redis normalises MaxRetries −1 ("no retries") to 0 once built.
			switch r := c.rdb.(type) {
			case *redis.ClusterClient:
				o := r.Options()
				if !tc.cluster || o.MaxRetries > 0 || !o.ContextTimeoutEnabled || o.ReadTimeout != DefaultTimeout {
					t.Errorf("cluster options: %+v", o)
				}
			case *redis.Client:
				o := r.Options()
				if tc.cluster {
					t.Error("got a single-node client for cluster nodes")
				}
				if o.MaxRetries != 0 || !o.ContextTimeoutEnabled || o.DialTimeout != DefaultTimeout || o.ReadTimeout != DefaultTimeout ||
					o.WriteTimeout != DefaultTimeout || o.PoolTimeout != DefaultTimeout || o.DialerRetries != 1 {
					t.Errorf("timeouts/retries: got %+v", o)
				}
				if (o.TLSConfig != nil) != tc.tls || o.DB != tc.db {
					t.Errorf("got tls=%v db=%d, want %v %d", o.TLSConfig != nil, o.DB, tc.tls, tc.db)
				}
			}
		})
	}
}

// TestDoFrozenRedis is FAULT-MATRIX R3 at the client: with redis-server stopped, each call
// returns within the deadline, the circuit opens after Threshold calls, later calls fail fast
// with ErrOpen, and after SIGCONT the probe closes it again.
func TestDoFrozenRedis(t *testing.T) {
	srv := redistest.Start(t)
	c, err := New(&config.Redis{Host: "127.0.0.1", Port: srv.Port}, Options{CoolOff: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ping := func(ctx context.Context, r Cmdable) error { return r.Ping(ctx).Err() }
	ctx := context.Background()
	if err := c.Do(ctx, ping); err != nil {
		t.Fatalf("ping: %v", err)
	}
	srv.Stop()
	for i := range DefaultThreshold {
		start := time.Now()
		err := c.Do(ctx, ping)
		if d := time.Since(start); err == nil || d > 500*time.Millisecond {
			t.Errorf("call %d on frozen redis: err %v after %v, want a timeout < 500ms", i, err, d)
		}
	}
	if c.State() != Open || c.Healthy() {
		t.Fatalf("state %v after %d timeouts, want open", c.State(), DefaultThreshold)
	}
	start := time.Now()
	if err := c.Do(ctx, ping); !errors.Is(err, ErrOpen) || time.Since(start) > 5*time.Millisecond {
		t.Errorf("open circuit: got %v after %v, want ErrOpen at once", err, time.Since(start))
	}
	srv.Cont()
	deadline := time.Now().Add(5 * time.Second)
	for c.Do(ctx, ping) != nil {
		if time.Now().After(deadline) {
			t.Fatal("circuit never closed after SIGCONT")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !c.Healthy() {
		t.Errorf("state %v after a successful probe, want closed", c.State())
	}
}

// TestDoByEarlierDeadline: DoBy ends the call at its own deadline when that is earlier than the
// client's, and counts running out of it against Redis like a timeout.
func TestDoByEarlierDeadline(t *testing.T) {
	srv := redistest.Start(t)
	c, err := New(&config.Redis{Host: "127.0.0.1", Port: srv.Port}, Options{Timeout: 5 * time.Second, Threshold: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ping := func(ctx context.Context, r Cmdable) error { return r.Ping(ctx).Err() }
	if err := c.DoBy(context.Background(), time.Now().Add(time.Second), ping); err != nil {
		t.Fatalf("ping: %v", err)
	}
	srv.Stop()
	defer srv.Cont()
	start := time.Now()
	err = c.DoBy(context.Background(), time.Now().Add(30*time.Millisecond), ping)
	if d := time.Since(start); err == nil || d > time.Second {
		t.Errorf("DoBy 30ms on frozen redis: err %v after %v, want a timeout well before the client's 5s", err, d)
	}
	if c.Healthy() {
		t.Error("running out of DoBy's deadline did not count as a failure")
	}
}

// TestDoCallerGone checks that a caller's own cancellation is not held against Redis.
func TestDoCallerGone(t *testing.T) {
	srv := redistest.Start(t)
	c, err := New(&config.Redis{Host: "127.0.0.1", Port: srv.Port}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range 2 * DefaultThreshold {
		c.Do(ctx, func(ctx context.Context, r Cmdable) error { return r.Ping(ctx).Err() })
	}
	if !c.Healthy() {
		t.Errorf("state %v after cancelled calls, want closed", c.State())
	}
}

// TestStartupUnreachable is FAULT-MATRIX R1 at the client: New returns at once and the
// startup ping opens the circuit.
func TestStartupUnreachable(t *testing.T) {
	start := time.Now()
	c, err := New(&config.Redis{Host: "127.0.0.1", Port: redistest.FreePort(t)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if d := time.Since(start); d > 50*time.Millisecond {
		t.Errorf("New took %v", d)
	}
	deadline := time.Now().Add(2 * time.Second)
	for c.Healthy() {
		if time.Now().After(deadline) {
			t.Fatal("circuit still closed with nothing listening")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
