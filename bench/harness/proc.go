package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// procStat is what the harness needs from /proc/PID/stat.
type procStat struct {
	PID   int
	PGRP  int    // field 5
	Ticks uint64 // utime + stime, fields 14 and 15, in clock ticks
}

// parseProcStat parses the text of /proc/PID/stat. The command name
// (field 2) is in parentheses and may hold spaces and parentheses, so
// the fields after it are counted from the last ')'.
func parseProcStat(data []byte) (procStat, error) {
	var s procStat
	open := bytes.IndexByte(data, '(')
	end := bytes.LastIndexByte(data, ')')
	if open < 0 || end < open {
		return s, fmt.Errorf("stat: no command name")
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data[:open])))
	if err != nil {
		return s, fmt.Errorf("stat: pid: %v", err)
	}
	rest := strings.Fields(string(data[end+1:]))
	// rest[0] is field 3 (state), so field n is rest[n-3].
	if len(rest) < 13 {
		return s, fmt.Errorf("stat: %d fields after the name, want 13 or more", len(rest))
	}
	pgrp, err := strconv.Atoi(rest[5-3])
	if err != nil {
		return s, fmt.Errorf("stat: pgrp: %v", err)
	}
	utime, err1 := strconv.ParseUint(rest[14-3], 10, 64)
	stime, err2 := strconv.ParseUint(rest[15-3], 10, 64)
	if err1 != nil || err2 != nil {
		return s, fmt.Errorf("stat: utime/stime: %v %v", err1, err2)
	}
	return procStat{PID: pid, PGRP: pgrp, Ticks: utime + stime}, nil
}

// cpuTicks is the whole machine's CPU time from the first line of
// /proc/stat, in clock ticks: all of it, and what the hypervisor gave to
// other guests while this machine's CPUs wanted to run (steal).
type cpuTicks struct {
	Total, Steal uint64
}

// parseCPUTicks reads the "cpu" line of /proc/stat: user nice system
// idle iowait irq softirq steal, then guest times that user already holds.
func parseCPUTicks(data []byte) (cpuTicks, error) {
	var t cpuTicks
	line, _, _ := bytes.Cut(data, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 9 || f[0] != "cpu" {
		return t, fmt.Errorf("/proc/stat: no cpu line with steal time")
	}
	for i, x := range f[1:9] {
		v, err := strconv.ParseUint(x, 10, 64)
		if err != nil {
			return t, fmt.Errorf("/proc/stat: %v", err)
		}
		t.Total += v
		if i == 7 {
			t.Steal = v
		}
	}
	return t, nil
}

// sampleCPU reads the machine's CPU ticks; zero when it cannot.
func sampleCPU() cpuTicks {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuTicks{}
	}
	t, _ := parseCPUTicks(data)
	return t
}

// stealPct is the share of the machine's CPU time between two samples
// that the hypervisor stole, in percent.
func stealPct(before, after cpuTicks) float64 {
	if after.Total <= before.Total {
		return 0
	}
	return 100 * float64(after.Steal-before.Steal) / float64(after.Total-before.Total)
}

// parseVmRSS returns VmRSS in KiB from the text of /proc/PID/status,
// 0 if the process has none (a zombie or a kernel thread).
func parseVmRSS(data []byte) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "VmRSS:") {
			continue
		}
		f := strings.Fields(line[len("VmRSS:"):])
		if len(f) < 1 {
			return 0, fmt.Errorf("status: empty VmRSS")
		}
		kib, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("status: VmRSS: %v", err)
		}
		if len(f) > 1 && f[1] != "kB" {
			return 0, fmt.Errorf("status: VmRSS unit %q", f[1])
		}
		return kib, nil
	}
	return 0, sc.Err()
}

// groupPIDs lists the processes whose process group is pgid.
func groupPIDs(pgid int) []procStat {
	paths, _ := filepath.Glob("/proc/[0-9]*/stat")
	var out []procStat
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			continue // the process exited meanwhile
		}
		s, err := parseProcStat(data)
		if err == nil && s.PGRP == pgid {
			out = append(out, s)
		}
	}
	return out
}

// groupUsage is a sample of a process group: CPU time and resident memory.
type groupUsage struct {
	Procs  int
	Ticks  uint64
	RSSKiB int64
}

// sampleGroup sums CPU ticks and VmRSS over every process in group pgid.
// CPU time of processes that exited during the interval is lost, which
// is fine for servers whose processes live as long as the server.
func sampleGroup(pgid int) groupUsage {
	var u groupUsage
	for _, s := range groupPIDs(pgid) {
		u.Procs++
		u.Ticks += s.Ticks
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.PID))
		if err != nil {
			continue
		}
		if kib, err := parseVmRSS(data); err == nil {
			u.RSSKiB += kib
		}
	}
	return u
}

// clockTicks is sysconf(_SC_CLK_TCK), read once with getconf.
var clockTicks = func() float64 {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(out))); err == nil && n > 0 {
			return float64(n)
		}
	}
	return 100 // the value on every Linux architecture the harness runs on
}()

// ticksToMicros converts clock ticks to microseconds.
func ticksToMicros(ticks uint64) float64 { return float64(ticks) * 1e6 / clockTicks }
