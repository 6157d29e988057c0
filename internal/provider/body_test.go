package provider

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// writeConn records each Write; the rest of net.Conn is not used by ReadFrom.
type writeConn struct {
	net.Conn
	writes [][]byte
}

func (w *writeConn) Write(p []byte) (int, error) {
	w.writes = append(w.writes, bytes.Clone(p))
	return len(p), nil
}

// An in-memory body goes out in one write (a copy through io.Copy's 32 KiB buffer would take
// two for 64 KiB); a limit smaller than the body is never exceeded.
func TestBodyConnWritesMemoryBodyAtOnce(t *testing.T) {
	payload := []byte(strings.Repeat("0123456789abcdef", 4096)) // 64 KiB
	for _, tc := range []struct {
		name       string
		r          io.Reader
		wantWrites int
		want       []byte
	}{
		{"whole body", io.LimitReader(bytes.NewReader(payload), int64(len(payload))), 1, payload},
		{"limit above the body", io.LimitReader(bytes.NewReader(payload), 1<<20), 1, payload},
		{"limit below the body", io.LimitReader(bytes.NewReader(payload), 100), 1, payload[:100]},
		{"not in memory", io.LimitReader(struct{ io.Reader }{bytes.NewReader(payload)}, int64(len(payload))), 2, payload},
	} {
		c := &writeConn{}
		n, err := bodyConn{c}.ReadFrom(tc.r)
		got := bytes.Join(c.writes, nil)
		if err != nil || n != int64(len(tc.want)) || !bytes.Equal(got, tc.want) {
			t.Errorf("%s: ReadFrom = %d, %v; wrote %d bytes, want %d", tc.name, n, err, len(got), len(tc.want))
		}
		if len(c.writes) != tc.wantWrites {
			t.Errorf("%s: %d writes, want %d", tc.name, len(c.writes), tc.wantWrites)
		}
	}
}

// Through a real transport and server on loopback, bodies of every size arrive intact.
func TestSetBodyThroughTransport(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Write(b)
	}))
	defer srv.Close()
	rt := NewTransports(TransportOptions{}).For(srv.URL, false)
	for _, size := range []int{0, 1, 3000, 4096, 16 << 10, 200 << 10} {
		payload := []byte(strings.Repeat("x", size))
		req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(payload))
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatalf("%d bytes: %v", size, err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !bytes.Equal(got, payload) {
			t.Errorf("%d bytes sent, %d echoed back", size, len(got))
		}
	}
}
