package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// defaultClockTick is the USER_HZ assumed when `getconf CLK_TCK` cannot be run.
const defaultClockTick = 100

// clockTick returns the kernel's clock ticks per second (USER_HZ), the unit of utime and
// stime in /proc/PID/stat, from `getconf CLK_TCK`; 100 when that fails.
func clockTick() int {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if err != nil {
		return defaultClockTick
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil || n <= 0 {
		return defaultClockTick
	}
	return n
}

// parseStatCPU returns utime+stime, in clock ticks, from the text of /proc/PID/stat. The
// command name (field 2) may hold spaces and parentheses, so fields are counted from the
// last ')'; utime and stime are fields 14 and 15.
func parseStatCPU(stat string) (int64, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("proc stat: no ')' after the command name")
	}
	f := strings.Fields(stat[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, fmt.Errorf("proc stat: %d fields after the command name, want at least 13", len(f))
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("proc stat: utime/stime: %w", err)
	}
	return utime + stime, nil
}

// memInfo is the memory of a process from /proc/PID/status, in KiB.
type memInfo struct {
	RSS, HWM int64 // VmRSS (resident now) and VmHWM (peak resident)
}

// parseStatusMem reads VmRSS and VmHWM (kB) from the text of /proc/PID/status.
func parseStatusMem(status string) (memInfo, error) {
	var m memInfo
	var seen int
	sc := bufio.NewScanner(strings.NewReader(status))
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		f := strings.Fields(val)
		if len(f) == 0 {
			return m, fmt.Errorf("proc status: %s has no value", key)
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return m, fmt.Errorf("proc status: %s: %w", key, err)
		}
		if key == "VmRSS" {
			m.RSS = n
		} else {
			m.HWM = n
		}
		seen++
	}
	if seen < 2 {
		return m, errors.New("proc status: VmRSS or VmHWM missing")
	}
	return m, nil
}

// procCPUTicks reads utime+stime of pid, in clock ticks.
func procCPUTicks(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(string(b))
}

// procMem reads the resident and peak resident memory of pid.
func procMem(pid int) (memInfo, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memInfo{}, err
	}
	return parseStatusMem(string(b))
}

// resetPeakRSS resets VmHWM of pid to its current RSS (Linux ≥ 4.0, own processes); it
// reports whether that worked, and callers fall back to sampling VmRSS when not.
func resetPeakRSS(pid int) bool {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0) == nil
}

// procFDs counts the open file descriptors of pid (-1 when unreadable).
func procFDs(pid int) int {
	es, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return -1
	}
	return len(es)
}

// procNoFile returns the soft and hard "Max open files" of pid from /proc/PID/limits.
func procNoFile(pid int) (soft, hard string) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
	if err != nil {
		return "?", "?"
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "Max open files"); ok {
			if f := strings.Fields(rest); len(f) >= 2 {
				return f[0], f[1]
			}
		}
	}
	return "?", "?"
}

// listenerInodes returns the socket inodes listening on TCP port (any local address), parsed
// from the text of /proc/net/tcp or /proc/net/tcp6.
func listenerInodes(table string, port int) []string {
	var inodes []string
	want := fmt.Sprintf(":%04X", port)
	for line := range strings.Lines(table) {
		f := strings.Fields(line)
		// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
		if len(f) < 10 || f[3] != "0A" || !strings.HasSuffix(f[1], want) {
			continue
		}
		inodes = append(inodes, f[9])
	}
	return inodes
}

// findListenerPID returns the process (owned by this user) listening on TCP port, or 0.
// It is how the harness finds a --peer's process to measure its CPU and memory.
func findListenerPID(port int) int {
	want := map[string]bool{}
	for _, t := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		for _, ino := range listenerInodes(string(b), port) {
			want["socket:["+ino+"]"] = true
		}
	}
	if len(want) == 0 {
		return 0
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/fd")
	for _, dir := range procs {
		fds, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			if link, err := os.Readlink(filepath.Join(dir, fd.Name())); err == nil && want[link] {
				pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
				return pid
			}
		}
	}
	return 0
}
