package server

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestDemoWarnsEveryMinute(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		logs := &syncBuffer{}
		s := &Server{opts: Options{DemoWarnEvery: time.Minute}, log: slog.New(slog.NewTextHandler(logs, nil))}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { s.demoWarnings(ctx); close(done) }()
		time.Sleep(3*time.Minute + time.Second)
		synctest.Wait()
		if n := strings.Count(logs.String(), "DEMO"); n != 3 {
			t.Errorf("got %d demo warnings in 3 minutes, want 3:\n%s", n, logs)
		}
		cancel()
		<-done
	})
}
