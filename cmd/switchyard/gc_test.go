package main

import (
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
)

// residentBytes reads the process's resident set from /proc/self/statm.
func residentBytes(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Skip("no /proc/self/statm:", err)
	}
	f := strings.Fields(string(b))
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return pages * int64(os.Getpagesize())
}

// TestGCBallastIsNotResident: the ballast raises the heap the collector sees by 3 MiB but
// adds no resident memory. It is measured in a fresh process, as main allocates it: memory a
// heap has used and freed would be zeroed, and so made resident, when reused.
func TestGCBallastIsNotResident(t *testing.T) {
	if os.Getenv("SWITCHYARD_BALLAST_CHILD") == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestGCBallastIsNotResident$", "-test.count=1")
		cmd.Env = append(os.Environ(), "SWITCHYARD_BALLAST_CHILD=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		return
	}
	// No collection while the resident set is read: one would free the test binary's
	// start-up garbage, and the ballast could be placed in those pages, zeroing them.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	rss := residentBytes(t)
	allocGCBallast()
	if grew := residentBytes(t) - rss; grew > gcBallastBytes/4 {
		t.Errorf("allocating the %d-byte ballast made %d bytes resident; want it untouched", gcBallastBytes, grew)
	}
	// The live heap, which sets the next collection's goal, counts it: releasing the
	// ballast lowers what a full collection finds live by its size.
	withBallast := liveHeap()
	gcBallast = nil
	if d := withBallast - liveHeap(); d < gcBallastBytes*15/16 {
		t.Errorf("the live heap fell by %d bytes without the ballast; want its %d bytes", d, gcBallastBytes)
	}
}

// liveHeap runs a full collection and returns the bytes it found live.
func liveHeap() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
