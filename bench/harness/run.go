package main

import (
	"fmt"
	"log"
	"path/filepath"
	"time"
)

// Run is one measurement of one server in one scenario and round.
type Run struct {
	Round    int    `json:"round"`
	Scenario string `json:"scenario"`
	Server   string `json:"server"`
	OK       bool   `json:"ok"`              // no error of any kind
	Error    string `json:"error,omitempty"` // why it failed
	// wrk scenarios
	Requests   int64     `json:"requests,omitempty"`
	DurationUS int64     `json:"duration_us,omitempty"`
	Bytes      int64     `json:"bytes,omitempty"`
	Errors     wrkErrors `json:"errors"`
	ErrorCount int64     `json:"error_count"`
	RPS        float64   `json:"rps,omitempty"`
	CPUUS      float64   `json:"server_cpu_us,omitempty"` // server CPU during the interval
	CPUPerReq  float64   `json:"cpu_us_per_req,omitempty"`
	P50US      int64     `json:"p50_us,omitempty"`
	P99US      int64     `json:"p99_us,omitempty"`
	StealPct   float64   `json:"steal_pct"`       // of the machine's CPU time, during the interval
	Tries      int       `json:"tries,omitempty"` // measured intervals, the last one kept
	// idle scenario
	Conns          int     `json:"conns,omitempty"`
	RSSBaselineKiB int64   `json:"rss_baseline_kib,omitempty"`
	RSSKiB         int64   `json:"rss_kib,omitempty"`
	KiBPerConn     float64 `json:"kib_per_conn,omitempty"`
}

// bench runs every round, scenario and server, interleaved:
// for each round, for each scenario it measures, each server in
// manifest order.
// A server that fails to start is not tried again.
type bench struct {
	cfg       Config
	peers     []Peer
	outDir    string
	peersDir  string
	scriptDir string
	broken    map[string]string // server -> start error
	runs      []Run
	retried   time.Duration // spent measuring again under steal
}

func (b *bench) all() {
	b.broken = map[string]string{}
	scen := b.cfg.scenarios()
	total, n := 0, 0
	for _, s := range scen {
		for _, p := range b.peers {
			if s.Needs(p) {
				total += b.cfg.roundsOf(s)
			}
		}
	}
	for round := 1; round <= b.cfg.maxRounds(); round++ {
		for _, s := range scen {
			for _, p := range b.peers {
				if !s.Needs(p) || round > b.cfg.roundsOf(s) {
					continue
				}
				n++
				start := time.Now()
				r := b.one(round, s, p)
				b.runs = append(b.runs, r)
				log.Printf("[%d/%d] round %d %-8s %-22s %s (%.1fs)", n, total, round, s.Key, p.Name,
					runLine(r), time.Since(start).Seconds())
			}
		}
	}
}

// runLine is a one-line account of a run for the progress log.
func runLine(r Run) string {
	if !r.OK {
		return "FAILED: " + firstLine(r.Error)
	}
	if r.Conns > 0 {
		return fmt.Sprintf("rss %s -> %s, %.1f KiB/conn", fmtKiB(r.RSSBaselineKiB), fmtKiB(r.RSSKiB), r.KiBPerConn)
	}
	return fmt.Sprintf("%s req/s, %.1f CPU-µs/req, p99 %s", fmtRate(r.RPS), r.CPUPerReq, fmtMicros(float64(r.P99US)))
}

func (b *bench) one(round int, s Scenario, p Peer) Run {
	r := Run{Round: round, Scenario: s.Key, Server: p.Name}
	if msg, ok := b.broken[p.Name]; ok {
		r.Error = "did not start (see the first failure): " + firstLine(msg)
		return r
	}
	srv, err := startServer(p, b.outDir, b.peersDir)
	if err != nil {
		b.broken[p.Name] = err.Error()
		r.Error = err.Error()
		log.Print(err)
		return r
	}
	defer srv.stop()
	if s.Idle {
		b.idle(srv, &r)
	} else {
		b.load(srv, s, &r)
	}
	return r
}

// load runs a wrk scenario: a warm-up, then the measured interval with
// the server's CPU time sampled on both sides.
func (b *bench) load(srv *server, s Scenario, r *Run) {
	job := wrkJob{URL: "http://" + srv.addr + s.Path, Script: filepath.Join(b.scriptDir, s.Script),
		Conns: s.Conns, Duration: b.cfg.Warmup}
	if b.cfg.Warmup > 0 {
		if _, err := runWrk(job); err != nil {
			r.Error = "warm-up: " + err.Error()
			return
		}
	}
	job.Duration = b.cfg.Duration
	var (
		w             wrkResult
		err           error
		before, after groupUsage
	)
	for {
		r.Tries++
		start, cpu := time.Now(), sampleCPU()
		before = sampleGroup(srv.pgid())
		w, err = runWrk(job)
		after = sampleGroup(srv.pgid())
		r.StealPct = stealPct(cpu, sampleCPU())
		if err != nil || !b.again(r) {
			break
		}
		log.Printf("%s %s: the hypervisor stole %.0f%% of the CPU time; measuring again", s.Key, srv.peer.Name, r.StealPct)
		b.retried += time.Since(start)
	}
	if err != nil {
		r.Error = err.Error()
		return
	}
	r.Requests, r.DurationUS, r.Bytes = w.Requests, w.DurationUS, w.Bytes
	r.Errors, r.ErrorCount = w.Errors, w.Errors.Total()
	r.P50US, r.P99US = w.P50US, w.P99US
	if w.DurationUS > 0 {
		r.RPS = float64(w.Requests) * 1e6 / float64(w.DurationUS)
	}
	r.CPUUS = ticksToMicros(after.Ticks - before.Ticks)
	if w.Requests > 0 {
		r.CPUPerReq = r.CPUUS / float64(w.Requests)
	}
	if !srv.alive() {
		r.Error = "server exited during the run: " + srv.out.String()
		return
	}
	switch {
	case r.ErrorCount > 0:
		r.Error = fmt.Sprintf("%d errors (connect %d, read %d, write %d, status %d, timeout %d, mismatch %d)",
			r.ErrorCount, w.Errors.Connect, w.Errors.Read, w.Errors.Write, w.Errors.Status, w.Errors.Timeout, w.Errors.Mismatch)
	case w.Requests == 0:
		r.Error = "no requests completed"
	default:
		r.OK = true
	}
}

// again says whether a measurement met so much steal that it should be
// taken again, within the config's retries and the run's retry time.
func (b *bench) again(r *Run) bool {
	return r.StealPct > b.cfg.StealLimit && r.Tries <= b.cfg.StealRetries && b.retried < maxRetryTime
}

// idle measures the server's RSS with cfg.IdleConns idle connections.
func (b *bench) idle(srv *server, r *Run) {
	base := sampleGroup(srv.pgid())
	conns, res := openIdle(srv.addr, b.cfg.IdleConns)
	defer closeAll(conns)
	time.Sleep(time.Second)
	after := sampleGroup(srv.pgid())
	alive := stillOpen(conns)
	r.Conns = b.cfg.IdleConns
	r.RSSBaselineKiB, r.RSSKiB = base.RSSKiB, after.RSSKiB
	r.KiBPerConn = float64(after.RSSKiB-base.RSSKiB) / float64(b.cfg.IdleConns)
	r.ErrorCount = res.Errors + int64(res.Opened-alive)
	switch {
	case !srv.alive():
		r.Error = "server exited during the run: " + srv.out.String()
	case res.Errors > 0:
		r.Error = fmt.Sprintf("%d of %d connections failed; first: %v", res.Errors, b.cfg.IdleConns, res.First)
	case alive < res.Opened:
		r.Error = fmt.Sprintf("server closed %d of %d idle connections", res.Opened-alive, res.Opened)
	default:
		r.OK = true
	}
}

// alive reports whether the server's first process is still running.
func (s *server) alive() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}
