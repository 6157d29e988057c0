package main

import (
	"os"
	"testing"
)

// A /proc/PID/stat line whose command name holds spaces and a ')'.
const sampleStat = `4242 (switch yard) x) S 1 4242 4242 0 -1 4194560 1520 0 0 0 1234 567 0 0 20 0 9 0 123456 1300000000 4000 18446744073709551615 1 1 0 0 0 0 0 0 2143420159 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0`

const sampleStatus = `Name:	switchyard
Umask:	0022
State:	S (sleeping)
VmPeak:	 1300000 kB
VmSize:	 1290000 kB
VmLck:	       0 kB
VmHWM:	   20480 kB
VmRSS:	   17408 kB
RssAnon:	    9000 kB
Threads:	9
`

func TestParseStatCPU(t *testing.T) {
	tests := []struct {
		name, in string
		want     int64
		wantErr  bool
	}{
		{"command with spaces and parens", sampleStat, 1234 + 567, false},
		{"no parenthesis", "4242 switchyard S 1", 0, true},
		{"truncated", "4242 (sy) S 1 2 3", 0, true},
		{"not a number", "1 (a) S 1 1 1 0 -1 0 0 0 0 0 x 5 0", 0, true},
	}
	for _, tt := range tests {
		got, err := parseStatCPU(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("%s: parseStatCPU = %d, %v; want %d, error %v", tt.name, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseStatusMem(t *testing.T) {
	got, err := parseStatusMem(sampleStatus)
	if err != nil || got != (memInfo{RSS: 17408, HWM: 20480}) {
		t.Errorf("parseStatusMem = %+v, %v; want RSS 17408 HWM 20480", got, err)
	}
	if _, err := parseStatusMem("Name:\tx\nVmRSS:\t12 kB\n"); err == nil {
		t.Error("parseStatusMem without VmHWM: got no error, want one")
	}
	if _, err := parseStatusMem("VmRSS:\tlots kB\nVmHWM:\t1 kB\n"); err == nil {
		t.Error("parseStatusMem with a bad number: got no error, want one")
	}
}

func TestOwnProcess(t *testing.T) {
	ticks, err := procCPUTicks(os.Getpid())
	if err != nil || ticks < 0 {
		t.Errorf("procCPUTicks(self) = %d, %v; want ≥ 0, nil", ticks, err)
	}
	m, err := procMem(os.Getpid())
	if err != nil || m.RSS <= 0 || m.HWM < m.RSS {
		t.Errorf("procMem(self) = %+v, %v; want 0 < RSS ≤ HWM", m, err)
	}
	if n := clockTick(); n <= 0 {
		t.Errorf("clockTick() = %d, want > 0", n)
	}
	if n := procFDs(os.Getpid()); n < 3 {
		t.Errorf("procFDs(self) = %d, want ≥ 3", n)
	}
}

func TestListenerInodes(t *testing.T) {
	table := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 111 1 0 100 0 0 10 0
   1: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000  1000        0 222 1 0 20 4 30 10 -1
   2: 0100007F:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 333 1 0 100 0 0 10 0
`
	got := listenerInodes(table, 8080)
	if len(got) != 1 || got[0] != "111" {
		t.Errorf("listenerInodes(8080) = %v, want [111] (the LISTEN row only)", got)
	}
}
