package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// wrkErrors are wrk's error counters plus the scripts' own mismatches.
type wrkErrors struct {
	Connect  int64 `json:"connect"`
	Read     int64 `json:"read"`
	Write    int64 `json:"write"`
	Status   int64 `json:"status"` // responses with status >= 400
	Timeout  int64 `json:"timeout"`
	Mismatch int64 `json:"mismatch"` // wrong status or body (echo script)
}

// Total is the sum of every error counter.
func (e wrkErrors) Total() int64 {
	return e.Connect + e.Read + e.Write + e.Status + e.Timeout + e.Mismatch
}

// wrkResult is the JSON line that wrk/report.lua prints.
type wrkResult struct {
	Requests   int64     `json:"requests"`
	DurationUS int64     `json:"duration_us"`
	Bytes      int64     `json:"bytes"`
	Errors     wrkErrors `json:"errors"`
	P50US      int64     `json:"p50_us"`
	P99US      int64     `json:"p99_us"`
	MaxUS      int64     `json:"max_us"`
}

const wrkMarker = "PORTER_BENCH "

// parseWrkOutput finds the report line in wrk's output and decodes it.
func parseWrkOutput(out []byte) (wrkResult, error) {
	var r wrkResult
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if i := strings.Index(line, wrkMarker); i >= 0 {
			if err := json.Unmarshal([]byte(line[i+len(wrkMarker):]), &r); err != nil {
				return r, fmt.Errorf("wrk report: %v", err)
			}
			return r, nil
		}
	}
	return r, fmt.Errorf("wrk printed no report line")
}

// wrkJob is one wrk invocation.
type wrkJob struct {
	URL      string
	Script   string // path of the Lua script (always one with done())
	Conns    int
	Duration time.Duration
}

// runWrk runs wrk pinned to CPU 1 with one thread and returns its report.
// The shell raises the open-file limit first (1,000 connections).
func runWrk(job wrkJob) (wrkResult, error) {
	secs := int(job.Duration.Round(time.Second) / time.Second)
	if secs < 1 {
		secs = 1
	}
	args := fmt.Sprintf("wrk -t1 -c%d -d%ds --timeout 5s --latency -s '%s' '%s'",
		job.Conns, secs, job.Script, job.URL)
	ctx, cancel := context.WithTimeout(context.Background(), job.Duration+30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "taskset", "-c", "1", "sh", "-c",
		`ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec `+args)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	r, perr := parseWrkOutput(out.Bytes())
	if perr != nil {
		if err == nil {
			err = perr
		}
		return r, fmt.Errorf("wrk: %v: %s", err, lastLines(out.String(), 5))
	}
	return r, nil
}

// lastLines returns the last n lines of s, joined by " | ".
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
