package logging

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"
)

// The fast text handler writes byte for byte what slog.TextHandler writes, for every kind of
// record: the ones it formats itself and the ones it hands to the standard handler.
func TestTextHandlerMatchesSlog(t *testing.T) {
	strs := []string{"", "plain", "with space", "a=b", `quote"d`, `back\slash`, "tab\tin", "new\nline",
		"\x00nul", "del\x7f", "héllo", "日本語", "non\u00a0breaking", "\u200bzero-width", "bad\xffutf8", "/v1/chat/completions",
		"3f2a-uuid-like-0c1d", "INFO"}
	values := []slog.Value{
		slog.IntValue(0), slog.IntValue(-42), slog.Int64Value(math.MaxInt64), slog.Uint64Value(math.MaxUint64),
		slog.Float64Value(0), slog.Float64Value(1.5), slog.Float64Value(0.123), slog.Float64Value(1e21),
		slog.Float64Value(-0.0000012), slog.Float64Value(math.NaN()), slog.Float64Value(math.Inf(-1)),
		slog.BoolValue(true), slog.BoolValue(false), slog.DurationValue(1500 * time.Millisecond),
		slog.DurationValue(0), slog.TimeValue(time.Date(2026, 12, 5, 1, 2, 3, 456789, time.UTC)),
		slog.AnyValue(errors.New("boom = bad")), slog.AnyValue([]int{1, 2}), slog.GroupValue(slog.Int("n", 1)),
		slog.AnyValue(nil),
	}
	for _, s := range strs {
		values = append(values, slog.StringValue(s))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	times := []time.Time{{}, time.Date(2026, 12, 5, 23, 59, 59, 999_999_999, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.FixedZone("x", 5*3600+1800))}
	levels := []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError, slog.LevelInfo + 2}
	for i := range 3000 {
		r := slog.NewRecord(times[i%len(times)], levels[i%len(levels)], strs[rng.IntN(len(strs))], 0)
		for range rng.IntN(16) {
			key := strs[rng.IntN(len(strs))]
			if rng.IntN(3) > 0 {
				key = "k" + strings.Repeat("x", rng.IntN(3))
			}
			r.AddAttrs(slog.Attr{Key: key, Value: values[rng.IntN(len(values))]})
		}
		var fast, std bytes.Buffer
		newTextHandler(&fast, slog.LevelDebug).Handle(context.Background(), r.Clone())
		slog.NewTextHandler(&std, &slog.HandlerOptions{Level: slog.LevelDebug}).Handle(context.Background(), r.Clone())
		if fast.String() != std.String() {
			t.Fatalf("record %d:\nfast %q\nstd  %q", i, fast.String(), std.String())
		}
	}
}

// Levels, handler attributes and groups behave as slog.TextHandler's; lines from many
// goroutines, through both paths, arrive whole.
func TestTextHandlerLevelsDerivedAndConcurrent(t *testing.T) {
	var buf syncBuf
	h := newTextHandler(&buf, slog.LevelInfo)
	if h.Enabled(context.Background(), slog.LevelDebug) || !h.Enabled(context.Background(), slog.LevelWarn) {
		t.Fatal("Enabled does not follow the level")
	}
	log := slog.New(h)
	log.With("component", "redis").WithGroup("g").Info("derived", "n", 1)
	if got, want := buf.String(), "level=INFO msg=derived component=redis g.n=1\n"; !strings.HasSuffix(got, want) {
		t.Fatalf("derived logger wrote %q, want suffix %q", got, want)
	}
	buf.Reset()
	logConcurrently(log)
	checkWholeLines(t, buf.String())
}

// logConcurrently writes 1,600 lines from 8 goroutines, half through the fast path and half
// through the standard handler.
func logConcurrently(log *slog.Logger) {
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				if i%2 == 0 {
					log.Info("request", "g", g, "i", i)
				} else {
					log.Info("request", "g", g, "i", i, "err", errors.New("x")) // the standard path
				}
			}
		})
	}
	wg.Wait()
}

func checkWholeLines(t *testing.T, out string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 1600 {
		t.Fatalf("%d lines, want 1600", len(lines))
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "time=") || !strings.Contains(l, " msg=request g=") {
			t.Fatalf("torn line %q", l)
		}
	}
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
func (s *syncBuf) Reset()                      { s.mu.Lock(); defer s.mu.Unlock(); s.b.Reset() }

// BenchmarkAccessLine compares one access line through the standard text handler and ours.
//
//	go test -run '^$' -bench AccessLine -benchmem ./internal/logging/
func BenchmarkAccessLine(b *testing.B) {
	attrs := []slog.Attr{slog.String("call_id", "0c6b7e0e-2f3a-4c1e-9a57-3d1f0e5b9c11"), slog.String("path", "/v1/chat/completions"),
		slog.Int("status", 200), slog.Float64("latency_ms", 1.234), slog.String("model", "gpt-4o"), slog.Bool("stream", false),
		slog.String("model_group", "gpt-4o"), slog.String("deployment", "fe150a042a6c1a7ed24455283470bef4"), slog.Int("attempts", 1),
		slog.Int("prompt_tokens", 12), slog.Int("completion_tokens", 10)}
	for name, h := range map[string]slog.Handler{
		"slog":       slog.NewTextHandler(discard{}, nil),
		"switchyard": newTextHandler(discard{}, slog.LevelInfo),
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r := slog.NewRecord(time.Now(), slog.LevelInfo, "request", 0)
				r.AddAttrs(attrs...)
				h.Handle(context.Background(), r)
			}
		})
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// Through a *Writer (written to without the handler's own lock) lines stay whole too.
func TestTextHandlerOnWriterConcurrent(t *testing.T) {
	var buf syncBuf
	bw := NewWriter(&buf)
	logConcurrently(slog.New(newTextHandler(bw, slog.LevelInfo)))
	bw.Flush()
	checkWholeLines(t, buf.String())
}
