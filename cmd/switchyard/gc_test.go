package main

import (
	"os"
	"os/exec"
	"runtime"
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
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	rss := residentBytes(t)
	allocGCBallast()
	grew := residentBytes(t) - rss
	runtime.ReadMemStats(&after)
	if grew > gcBallastBytes/4 {
		t.Errorf("allocating the %d-byte ballast made %d bytes resident; want it untouched", gcBallastBytes, grew)
	}
	// Other garbage may be swept meanwhile, hence the margin.
	if d := int64(after.HeapAlloc) - int64(before.HeapAlloc); d < gcBallastBytes*3/4 {
		t.Errorf("the heap grew by %d bytes; want the ballast's %d counted", d, gcBallastBytes)
	}
}
