package fake_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/switchyard/switchyard/internal/fake"
)

func TestRecording(t *testing.T) {
	h := fake.NewHandler(fake.Options{})
	srv := serve(t, h)
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/openai/deployments/d/chat/completions?api-version=2024-10-21",
		strings.NewReader(`{"messages":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("api-key", "secret-key")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	resp.Body.Close()

	recs := h.Requests()
	if len(recs) != 1 || h.Count() != 1 {
		t.Fatalf("got %d records, Count %d; want 1, 1", len(recs), h.Count())
	}
	r := recs[0]
	waitClosed(t, r.Done, "record Done")
	if r.Method != "POST" || r.Path != "/openai/deployments/d/chat/completions" || r.RawQuery != "api-version=2024-10-21" ||
		string(r.Body) != `{"messages":[]}` || r.Header.Get("api-key") != "secret-key" {
		t.Errorf("got %+v", r)
	}
	if r.WasCancelled() {
		t.Errorf("a completed request was recorded as cancelled")
	}
	h.Reset()
	if n, c := len(h.Requests()), h.Count(); n != 0 || c != 0 {
		t.Errorf("after Reset: got %d records, Count %d; want 0, 0", n, c)
	}
}

func TestRecordLimit(t *testing.T) {
	tests := []struct {
		name      string
		limit     int
		sent      int
		wantFirst int // body index of the oldest record kept; -1 when none
		wantKept  int
	}{
		{"under", 5, 3, 0, 3},
		{"exactly", 5, 5, 0, 5},
		{"wraps", 5, 12, 7, 5},
		{"off", -1, 4, -1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := fake.NewHandler(fake.Options{RecordLimit: tt.limit})
			client := &http.Client{Transport: fake.Transport(h)}
			for i := range tt.sent {
				resp := post(t, context.Background(), client, "http://fake.invalid/v1/embeddings", fmt.Sprintf(`{"input":"%d"}`, i))
				readAll(t, resp)
			}
			recs := h.Requests()
			if len(recs) != tt.wantKept || h.Count() != tt.sent {
				t.Fatalf("got %d records, Count %d; want %d, %d", len(recs), h.Count(), tt.wantKept, tt.sent)
			}
			for i, r := range recs {
				if want := fmt.Sprintf(`{"input":"%d"}`, tt.wantFirst+i); string(r.Body) != want {
					t.Errorf("record %d: got body %s want %s", i, r.Body, want)
				}
			}
		})
	}
}

func TestDefaultRecordLimitBoundsMemory(t *testing.T) {
	h := fake.NewHandler(fake.Options{})
	client := &http.Client{Transport: fake.Transport(h)}
	const n = fake.DefaultRecordLimit + 25
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < n; i += 8 {
				req, _ := http.NewRequest(http.MethodPost, "http://fake.invalid/v1/embeddings", strings.NewReader(`{"input":"x"}`))
				resp, err := client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	if got := len(h.Requests()); got != fake.DefaultRecordLimit || h.Count() != n {
		t.Errorf("got %d records, Count %d; want %d, %d", got, h.Count(), fake.DefaultRecordLimit, n)
	}
}

// TestCancelledMidStream: a client that goes away mid-stream leaves a record whose Cancelled
// channel closes, over a real HTTP server.
func TestCancelledMidStream(t *testing.T) {
	h := fake.NewHandler(fake.Options{Chunks: 1_000_000, ChunkGap: time.Millisecond})
	srv := serve(t, h)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	resp := post(t, ctx, srv.Client(), srv.URL+"/v1/chat/completions", `{"model":"m","stream":true}`)
	er := newEventReader(resp.Body)
	for range 3 { // role chunk and two content chunks: the stream is under way
		if _, ok := er.next(); !ok {
			t.Fatal("stream ended early")
		}
	}
	recs := h.Requests()
	if len(recs) != 1 {
		t.Fatalf("got %d records want 1", len(recs))
	}
	if recs[0].WasCancelled() {
		t.Fatal("cancelled before the client went away")
	}
	cancel()
	waitClosed(t, recs[0].Cancelled, "record Cancelled")
	waitClosed(t, recs[0].Done, "record Done")
}

// TestCancelledDuringLatency: a client that gives up before the first byte is seen too.
func TestCancelledDuringLatency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := fake.NewHandler(fake.Options{Latency: time.Hour})
		client := &http.Client{Transport: fake.Transport(h)}
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() {
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://fake.invalid/v1/chat/completions",
				strings.NewReader(`{"model":"m"}`))
			resp, err := client.Do(req)
			if err == nil {
				resp.Body.Close()
			}
			errc <- err
		}()
		synctest.Wait() // the handler is now waiting out its latency
		recs := h.Requests()
		if len(recs) != 1 || recs[0].WasCancelled() {
			t.Fatalf("got %d records (cancelled: %v), want 1 live one", len(recs), len(recs) == 1 && recs[0].WasCancelled())
		}
		cancel()
		<-recs[0].Done
		if !recs[0].WasCancelled() {
			t.Error("record not marked cancelled")
		}
		if err := <-errc; err == nil {
			t.Error("request succeeded; want a cancellation error")
		}
	})
}
