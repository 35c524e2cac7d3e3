package main

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
	"time"
)

func TestReadManifest(t *testing.T) {
	in := "name\tcommand\techo\tdownload\tnotes\n" +
		"# a comment\n\n" +
		"porter-callback\t{out}/porter_bench callback 127.0.0.1:{port}\tyes\tyes\tC host, callback mode\n" +
		"nginx\tnginx -p {dir} -c {peers}/nginx.conf\tno\tyes\n"
	peers, err := readManifest(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(peers) != 2 {
		t.Fatalf("got %d peers", len(peers))
	}
	p := peers[0]
	if p.Name != "porter-callback" || !p.Echo || !p.Download || p.Notes != "C host, callback mode" || !p.IsPorter() {
		t.Errorf("row 1: %+v", p)
	}
	if q := peers[1]; q.Echo || !q.Download || q.Notes != "" || q.IsPorter() {
		t.Errorf("row 2: %+v", q)
	}
	got := expand(peers[1].Command, map[string]string{"dir": "/tmp/x", "peers": "/p", "port": "1"})
	if got != "nginx -p /tmp/x -c /p/nginx.conf" {
		t.Errorf("expand: %q", got)
	}
	sel, err := selectPeers(peers, "nginx")
	if err != nil || len(sel) != 1 || sel[0].Name != "nginx" {
		t.Errorf("selectPeers: %v %v", sel, err)
	}
	if _, err := selectPeers(peers, "nginx,nope"); err == nil {
		t.Error("selectPeers accepted an unknown name")
	}
}

func TestReadManifestErrors(t *testing.T) {
	for _, in := range []string{
		"",
		"name\tcmd\techo\tdownload\tnotes\n",
		"name\tcommand\techo\tdownload\tnotes\nx\ty\tmaybe\tno\t\n",
		"name\tcommand\techo\tdownload\tnotes\nx\ty\n",
		"name\tcommand\techo\tdownload\tnotes\nx\ty\tno\tno\nx\tz\tno\tno\n",
	} {
		if _, err := readManifest(strings.NewReader(in)); err == nil {
			t.Errorf("accepted %q", in)
		}
	}
}

func TestParseWrkOutput(t *testing.T) {
	out := "Running 1s test @ http://127.0.0.1:1/\n  1 threads and 64 connections\n" +
		`PORTER_BENCH {"requests":1000,"duration_us":1000000,"bytes":130000,` +
		`"errors":{"connect":0,"read":1,"write":0,"status":2,"timeout":0,"mismatch":3},` +
		`"p50_us":900,"p99_us":2500,"max_us":4000}` + "\n"
	r, err := parseWrkOutput([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests != 1000 || r.DurationUS != 1000000 || r.Bytes != 130000 || r.P50US != 900 || r.P99US != 2500 {
		t.Errorf("got %+v", r)
	}
	if r.Errors.Total() != 6 {
		t.Errorf("errors total %d, want 6", r.Errors.Total())
	}
	if _, err := parseWrkOutput([]byte("unable to connect to 127.0.0.1:1\n")); err == nil {
		t.Error("no error without a report line")
	}
}

func TestParseProcStat(t *testing.T) {
	// A command name with a space and a parenthesis.
	line := "4242 (we ird) x) S 1 4240 4240 0 -1 4194560 100 0 0 0 123 45 0 0 20 0 3 0 1000 1000000 250 18446744073709551615\n"
	s, err := parseProcStat([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if s.PID != 4242 || s.PGRP != 4240 || s.Ticks != 168 {
		t.Errorf("got %+v", s)
	}
	if _, err := parseProcStat([]byte("1 (x) S 1")); err == nil {
		t.Error("accepted a short line")
	}
	rss, err := parseVmRSS([]byte("Name:\tnginx\nVmPeak:\t  9000 kB\nVmRSS:\t    5120 kB\nThreads:\t1\n"))
	if err != nil || rss != 5120 {
		t.Errorf("VmRSS = %d, %v", rss, err)
	}
	if rss, err := parseVmRSS([]byte("Name:\tkthreadd\n")); err != nil || rss != 0 {
		t.Errorf("no VmRSS = %d, %v", rss, err)
	}
}

func TestSteal(t *testing.T) {
	stat := func(steal int) []byte {
		// user nice system idle iowait irq softirq steal guest guest_nice
		return []byte(fmt.Sprintf("cpu  100 0 50 800 0 0 10 %d 40 0\ncpu0 50 0 25 400 0 0 5 0 20 0\n", steal))
	}
	before, err := parseCPUTicks(stat(40))
	if err != nil || before.Total != 1000 || before.Steal != 40 {
		t.Fatalf("got %+v, %v; want 1000 ticks with 40 stolen (guest time is in user)", before, err)
	}
	after, _ := parseCPUTicks(stat(140))
	after.Total += 900 // 1,000 ticks later, 100 of them stolen
	if got := stealPct(before, after); got != 10 {
		t.Errorf("steal = %g%%, want 10%%", got)
	}
	if got := stealPct(after, after); got != 0 {
		t.Errorf("steal over no time = %g%%", got)
	}
	if _, err := parseCPUTicks([]byte("cpu  1 2 3 4\n")); err == nil {
		t.Error("accepted a cpu line without steal")
	}
	if sampleCPU().Total == 0 {
		t.Error("no CPU ticks from /proc/stat")
	}

	b := &bench{cfg: Config{StealLimit: 5, StealRetries: 2}}
	for _, c := range []struct {
		steal float64
		tries int
		want  bool
	}{{4, 1, false}, {6, 1, true}, {6, 2, true}, {6, 3, false}} {
		if got := b.again(&Run{StealPct: c.steal, Tries: c.tries}); got != c.want {
			t.Errorf("again(steal %g%%, try %d) = %v", c.steal, c.tries, got)
		}
	}
	b.retried = maxRetryTime
	if b.again(&Run{StealPct: 50, Tries: 1}) {
		t.Error("measured again past the run's retry time")
	}
}

func TestSampleSelf(t *testing.T) {
	// The test process is in some process group; sampling it must see it.
	u := sampleGroup(syscallGetpgrp())
	if u.Procs < 1 || u.RSSKiB <= 0 {
		t.Errorf("sample of own group: %+v", u)
	}
}

func TestSpread(t *testing.T) {
	cases := []struct {
		in   []float64
		want Spread
	}{
		{nil, Spread{}},
		{[]float64{5}, Spread{5, 5, 5}},
		{[]float64{3, 1, 2}, Spread{2, 1, 3}},
		{[]float64{4, 1, 3, 2}, Spread{2.5, 1, 4}},
	}
	for _, c := range cases {
		if got := spread(c.in); got != c.want {
			t.Errorf("spread(%v) = %+v, want %+v", c.in, got, c.want)
		}
	}
	in := []float64{3, 1, 2}
	spread(in)
	if in[0] != 3 {
		t.Error("spread sorted its input")
	}
}

func TestFormat(t *testing.T) {
	for in, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1500: "-1,500"} {
		if got := commas(in); got != want {
			t.Errorf("commas(%d) = %q, want %q", in, got, want)
		}
	}
	if got := fmtMicros(2500); got != "2.50 ms" {
		t.Errorf("fmtMicros = %q", got)
	}
}

// sampleResults is a two-round run with one failure of each kind.
func sampleResults() *Results {
	cfg := modeConfig("full")
	cfg.Rounds, cfg.ScenarioRounds = 2, nil
	res := &Results{Format: 1, Date: "2026-01-02T03:04:05Z", WallSeconds: 42, Config: cfg,
		Machine: Machine{CPU: "Test CPU <&>", Cores: 2, Kernel: "6.1", Go: "go1.26"},
		Servers: []ServerInfo{
			{Name: "porter-callback", Porter: true, Echo: true, Download: true},
			{Name: "peer|x", Echo: false, Download: true, Notes: "a & b"},
		}}
	for round := 1; round <= 2; round++ {
		for _, sc := range cfg.scenarios() {
			for _, sv := range res.Servers {
				if !sc.Needs(Peer{Echo: sv.Echo, Download: sv.Download}) {
					continue
				}
				r := Run{Round: round, Scenario: sc.Key, Server: sv.Name, OK: true,
					Requests: 100000 * int64(round), DurationUS: 1000000, Bytes: 1 << 24,
					RPS: 100000 * float64(round), CPUPerReq: 9.5, P50US: 800, P99US: 3000}
				if sc.Idle {
					r = Run{Round: round, Scenario: sc.Key, Server: sv.Name, OK: true,
						Conns: cfg.IdleConns, RSSBaselineKiB: 8000, RSSKiB: 48000, KiBPerConn: 4}
				}
				if sv.Name == "peer|x" && sc.Key == "c1000" {
					r = Run{Round: round, Scenario: sc.Key, Server: sv.Name, Error: "7 errors", ErrorCount: 7}
				}
				if sv.Name == "peer|x" && sc.Key == "hello" && round == 2 {
					r = Run{Round: round, Scenario: sc.Key, Server: sv.Name, Error: "1 errors", ErrorCount: 1}
				}
				res.Runs = append(res.Runs, r)
			}
		}
	}
	res.fillSummaries()
	return res
}

func TestSummaries(t *testing.T) {
	res := sampleResults()
	s := res.summary("hello", "porter-callback")
	if s == nil || s.OK != 2 || s.RPS != (Spread{150000, 100000, 200000}) {
		t.Fatalf("hello porter: %+v", s)
	}
	if s := res.summary("hello", "peer|x"); s.OK != 1 || s.Failed != 1 || s.FailErrors != 1 {
		t.Errorf("hello peer: %+v", s)
	}
	if s := res.summary("c1000", "peer|x"); s.OK != 0 || s.FailErrors != 14 {
		t.Errorf("c1000 peer: %+v", s)
	}
	if s := res.summary("echo", "peer|x"); s != nil {
		t.Errorf("echo ran for a peer without echo: %+v", s)
	}
}

func TestMarkdown(t *testing.T) {
	md := markdown(sampleResults(), "benchmarks.json", "benchmarks.svg", "benchmarks-cpu.svg")
	for _, want := range []string{
		"# porter benchmarks",
		"Test CPU <&>, 2 cores",
		"| **porter-callback** | 150,000 (100,000–200,000) | 9.50 | 800 µs | 3.00 ms | 0 |",
		"| peer\\|x | n/a |", // echo not supported, pipe escaped
		"| peer\\|x | failed (14 errors) |",
		"(1 of 2 rounds failed, 1 errors)",
		"| **porter-callback** | 8,000 KiB | 46.9 MiB | 4.0 | 0 |",
		"taskset -c 0",
		"-compare",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	// Every table row has as many cells as its header.
	var cols int
	for _, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "|") {
			cols = 0
			continue
		}
		n := strings.Count(strings.ReplaceAll(line, "\\|", ""), "|")
		if cols == 0 {
			cols = n
		} else if n != cols {
			t.Errorf("row has %d separators, header %d: %s", n, cols, line)
		}
	}
}

func TestSVG(t *testing.T) {
	res := sampleResults()
	for name, doc := range map[string][]byte{"rate": rateChart(res), "cpu": cpuChart(res)} {
		d := xml.NewDecoder(bytes.NewReader(doc))
		var root string
		for {
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s chart is not XML: %v", name, err)
			}
			if se, ok := tok.(xml.StartElement); ok && root == "" {
				root = se.Name.Local
			}
		}
		if root != "svg" {
			t.Errorf("%s chart root %q", name, root)
		}
		s := string(doc)
		for _, want := range []string{"porter-callback", "peer|x", "n/a", "failed", "Test CPU &lt;&amp;&gt;", colorPorter, colorPeer} {
			if name == "cpu" && strings.HasPrefix(want, "Test CPU") {
				continue
			}
			if !strings.Contains(s, want) {
				t.Errorf("%s chart lacks %q", name, want)
			}
		}
	}
}

func TestCompare(t *testing.T) {
	old, cur := sampleResults(), sampleResults()
	for i := range cur.Summaries {
		cur.Summaries[i].RPS.Median *= 2
	}
	var b bytes.Buffer
	compare(&b, old, cur)
	out := b.String()
	if !strings.Contains(out, "2.00") || !strings.Contains(out, "failed") {
		t.Errorf("compare output:\n%s", out)
	}
}

func TestModes(t *testing.T) {
	for _, mode := range []string{"full", "quick", "tiny"} {
		cfg := modeConfig(mode)
		if len(cfg.scenarios()) != len(cfg.Scenarios) {
			t.Errorf("%s: unknown scenario in %v", mode, cfg.Scenarios)
		}
	}
	// Ten servers that can do everything must fit the budgets.
	var ten []Peer
	for i := 0; i < 10; i++ {
		ten = append(ten, Peer{Echo: true, Download: true})
	}
	if d := estimate(modeConfig("full"), ten); d > 8*time.Minute {
		t.Errorf("full run estimate %v", d)
	}
	if d := estimate(modeConfig("quick"), ten); d > 100*time.Second {
		t.Errorf("quick run estimate %v", d)
	}
	// The full run measures hello more often and idle once.
	full := modeConfig("full")
	rounds := map[string]int{}
	for _, sc := range full.scenarios() {
		rounds[sc.Key] = full.roundsOf(sc)
	}
	if rounds["hello"] != 5 || rounds["pipeline"] != 3 || rounds["idle"] != 1 || full.maxRounds() != 5 {
		t.Errorf("full run rounds %v, most %d", rounds, full.maxRounds())
	}
	if got := roundsText(full); got != "3 rounds of 1s per measurement (hello: 5, idle: 1)" {
		t.Errorf("roundsText = %q", got)
	}
	if err := full.only([]string{"pipeline"}); err != nil || full.maxRounds() != 3 || roundsText(full) != "3 rounds of 1s per measurement" {
		t.Errorf("pipeline alone: %v, %d rounds, %q", err, full.maxRounds(), roundsText(full))
	}
	if math.IsNaN(ticksToMicros(1)) || ticksToMicros(uint64(clockTicks)) != 1e6 {
		t.Error("ticksToMicros")
	}
}

func TestPaired(t *testing.T) {
	cpu := func(round int, server string, us float64, ok bool) Run {
		return Run{Round: round, Scenario: "hello", Server: server, OK: ok, CPUPerReq: us}
	}
	runs := []Run{
		cpu(1, "porter", 9, true), cpu(1, "nginx", 10, true), // −10%
		cpu(2, "porter", 11, true), cpu(2, "nginx", 10, true), // +10%
		cpu(3, "porter", 8, true), cpu(3, "nginx", 10, true), // −20%
		cpu(4, "porter", 1, false), cpu(4, "nginx", 10, true), // failed: no pair
		cpu(5, "porter", 9, true), // nginx did not run
	}
	p, ok := paired(runs, "hello", "porter", "nginx")
	if !ok || p.Rounds != 3 || p.Less != 2 || math.Abs(p.MedianPct+10) > 1e-9 {
		t.Errorf("paired = %+v, %v; want 2 of 3 rounds less, median −10%%", p, ok)
	}
	if _, ok := paired(runs, "c1000", "porter", "nginx"); ok {
		t.Error("paired found rounds of a scenario that did not run")
	}

	res := sampleResults()
	for i := range res.Runs {
		if res.Runs[i].Server == "peer|x" {
			res.Runs[i].Server = "nginx"
			res.Runs[i].CPUPerReq = 10
		}
	}
	res.Servers[1].Name = "nginx"
	res.fillSummaries()
	md := markdown(res, "", "", "")
	for _, want := range []string{
		"## Per request against nginx, round by round",
		"| **porter-callback** | 1 of 1, -5.0% | 2 of 2, -5.0% | 2 of 2, -5.0% | – |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
}

func TestOnlyScenarios(t *testing.T) {
	cfg := modeConfig("full")
	if err := cfg.only([]string{"hello", "c1000"}); err != nil || len(cfg.scenarios()) != 2 {
		t.Errorf("only(hello, c1000): %v, %v", err, cfg.Scenarios)
	}
	cfg = modeConfig("quick")
	if err := cfg.only([]string{"echo"}); err == nil {
		t.Error("only(echo) in quick mode, which has no echo: no error")
	}
}
