// Command harness runs porter's benchmark: it starts every server of the
// peers manifest pinned to core 0, loads it with wrk pinned to core 1,
// and writes the raw results (JSON), a report (Markdown) and charts (SVG).
//
// Run it from bench/:
//
//	go run ./harness -out BUILD_DIR/bench            # full run
//	go run ./harness -out BUILD_DIR/bench -quick     # quick run
//	go run ./harness -out DIR -tiny -only a,b        # harness self-test
//	go run ./harness -compare old.json new.json      # ratios of two runs
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("bench: ")
	var (
		peersPath = flag.String("peers", "peers/peers.tsv", "peers manifest (TSV)")
		outDir    = flag.String("out", "../build/bench", "directory where peers/build.sh put the binaries ({out})")
		only      = flag.String("only", "", "comma-separated subset of servers, or @FILE with one name a line (build.sh's peers.ok)")
		quick     = flag.Bool("quick", false, "quick mode: 1 round of hello and pipelined, 1,000 idle connections")
		tiny      = flag.Bool("tiny", false, "harness self-test: 1 round of 1 s, hello and 200 idle connections, output to a temporary directory")
		rounds    = flag.Int("rounds", 0, "rounds of every scenario (default: 3, with 5 of hello and 1 of idle; 1 in quick and tiny modes)")
		duration  = flag.Duration("duration", 0, "measured time per run, whole seconds (default 1s, 2s in quick mode)")
		idleConns = flag.Int("idle", 0, "idle connections (default 10000, quick 1000, tiny 200)")
		scenarios = flag.String("scenarios", "", "comma-separated subset of the mode's scenarios (hello, pipeline, echo, download, c1000, idle)")
		resPath   = flag.String("results", "", "raw results file (default ../docs/benchmarks.json)")
		mdPath    = flag.String("md", "", "report (default ../docs/benchmarks.md)")
		svgPath   = flag.String("svg", "", "req/s chart (default ../docs/benchmarks.svg); a CPU chart goes beside it as NAME-cpu.svg")
		cmp       = flag.Bool("compare", false, "compare two results files: -compare OLD.json NEW.json")
		report    = flag.String("report", "", "rewrite the report and charts from this results file instead of running")
	)
	flag.Parse()

	if *cmp {
		if flag.NArg() != 2 {
			log.Fatal("usage: harness -compare OLD.json NEW.json")
		}
		old, err := readResults(flag.Arg(0))
		if err != nil {
			log.Fatal(err)
		}
		cur, err := readResults(flag.Arg(1))
		if err != nil {
			log.Fatal(err)
		}
		compare(os.Stdout, old, cur)
		return
	}
	if flag.NArg() != 0 {
		log.Fatalf("unexpected arguments: %s", strings.Join(flag.Args(), " "))
	}

	mode := "full"
	switch {
	case *tiny:
		mode = "tiny"
	case *quick:
		mode = "quick"
	}
	docs := "../docs"
	if mode == "tiny" && *resPath == "" && *mdPath == "" && *svgPath == "" {
		tmp, err := os.MkdirTemp("", "porter-bench-tiny-")
		if err != nil {
			log.Fatal(err)
		}
		docs = tmp
	}
	setDefault(resPath, filepath.Join(docs, "benchmarks.json"))
	setDefault(mdPath, filepath.Join(docs, "benchmarks.md"))
	setDefault(svgPath, filepath.Join(docs, "benchmarks.svg"))

	if *report != "" {
		res, err := readResults(*report)
		if err != nil {
			log.Fatal(err)
		}
		if err := writeOutputs(res, *report, *mdPath, *svgPath); err != nil {
			log.Fatal(err)
		}
		return
	}

	cfg := modeConfig(mode)
	if *rounds > 0 {
		cfg.Rounds, cfg.ScenarioRounds = *rounds, nil
	}
	if *duration > 0 {
		cfg.Duration = duration.Round(time.Second)
		if cfg.Duration < time.Second {
			cfg.Duration = time.Second
		}
	}
	if *idleConns > 0 {
		cfg.IdleConns = *idleConns
	}
	if *scenarios != "" {
		if err := cfg.only(strings.Split(*scenarios, ",")); err != nil {
			log.Fatal(err)
		}
	}

	res, err := run(cfg, *peersPath, *outDir, *only)
	if err != nil {
		log.Fatal(err)
	}
	if err := writeOutputs(res, *resPath, *mdPath, *svgPath); err != nil {
		log.Fatal(err)
	}
	failed := 0
	for _, s := range res.Summaries {
		if s.OK == 0 {
			failed++
		}
	}
	log.Printf("done in %.0f s: %s, %s, %s", res.WallSeconds, *resPath, *mdPath, *svgPath)
	if mode == "tiny" && failed > 0 {
		// The self-test passes only if every server it was given worked.
		log.Fatalf("%d measurements failed", failed)
	}
}

func setDefault(p *string, v string) {
	if *p == "" {
		*p = v
	}
}

// run checks the tools, reads the manifest and runs the benchmark.
func run(cfg Config, peersPath, outDir, only string) (*Results, error) {
	if runtime.GOOS != "linux" {
		return nil, fmt.Errorf("the harness needs Linux (/proc, taskset)")
	}
	for _, tool := range []string{"wrk", "taskset", "sh"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, fmt.Errorf("%s not found on PATH (Debian: apt-get install wrk util-linux)", tool)
		}
	}
	if runtime.NumCPU() < 2 {
		log.Printf("warning: %d CPU; server and wrk will share it", runtime.NumCPU())
	}
	if lim, err := raiseNoFile(); err != nil {
		log.Printf("warning: cannot raise the open-file limit: %v", err)
	} else if uint64(cfg.IdleConns)+100 > lim {
		return nil, fmt.Errorf("open-file limit %d is too low for %d idle connections", lim, cfg.IdleConns)
	}
	scriptDir, err := findScripts()
	if err != nil {
		return nil, err
	}
	peers, err := loadManifest(peersPath)
	if err != nil {
		return nil, err
	}
	if name, ok := strings.CutPrefix(only, "@"); ok {
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		only = strings.Join(strings.Fields(string(data)), ",")
		if only == "" {
			return nil, fmt.Errorf("%s lists no servers", name)
		}
	}
	if peers, err = selectPeers(peers, only); err != nil {
		return nil, err
	}
	peersDir := absDir(filepath.Dir(peersPath))
	b := &bench{cfg: cfg, peers: peers, outDir: absDir(outDir), peersDir: peersDir, scriptDir: scriptDir}
	res := &Results{Format: 1, Date: time.Now().UTC().Format(time.RFC3339), Config: cfg,
		Machine: machineInfo(filepath.Dir(peersDir))}
	log.Printf("%s mode: %d servers, %d rounds of %s, scenarios %s; about %s",
		cfg.Mode, len(peers), cfg.Rounds, cfg.Duration, strings.Join(cfg.Scenarios, ","), estimate(cfg, peers).Round(time.Second))
	start := time.Now()
	b.all()
	res.WallSeconds = time.Since(start).Seconds()
	for _, p := range peers {
		res.Servers = append(res.Servers, ServerInfo{Name: p.Name, Porter: p.IsPorter(), Echo: p.Echo,
			Download: p.Download, Notes: p.Notes, StartError: b.broken[p.Name]})
	}
	res.Runs = b.runs
	res.fillSummaries()
	return res, nil
}

// estimate guesses the wall time of a run: each wrk measurement costs
// warm-up + duration + about half a second of start and stop, an idle
// measurement about 3 s.
func estimate(cfg Config, peers []Peer) time.Duration {
	var d time.Duration
	for _, sc := range cfg.scenarios() {
		each := cfg.Warmup + cfg.Duration + 500*time.Millisecond
		if sc.Idle {
			each = 3 * time.Second
		}
		for _, p := range peers {
			if sc.Needs(p) {
				d += each * time.Duration(cfg.roundsOf(sc))
			}
		}
	}
	return d
}

// findScripts locates the wrk Lua scripts next to this source file, or
// in harness/wrk under the working directory.
func findScripts() (string, error) {
	var candidates []string
	if _, file, _, ok := runtime.Caller(0); ok {
		candidates = append(candidates, filepath.Join(filepath.Dir(file), "wrk"))
	}
	candidates = append(candidates, "harness/wrk", "bench/harness/wrk")
	for _, c := range candidates {
		if _, err := os.Stat(filepath.Join(c, "report.lua")); err == nil {
			return absDir(c), nil
		}
	}
	return "", fmt.Errorf("wrk scripts not found (looked in %s)", strings.Join(candidates, ", "))
}

// writeOutputs writes the results file (if path is set), the report
// and both charts.
func writeOutputs(res *Results, resPath, mdPath, svgPath string) error {
	if resPath != "" {
		if err := writeJSON(resPath, res); err != nil {
			return err
		}
	}
	cpuPath := strings.TrimSuffix(svgPath, ".svg") + "-cpu.svg"
	if err := writeFile(svgPath, rateChart(res)); err != nil {
		return err
	}
	if err := writeFile(cpuPath, cpuChart(res)); err != nil {
		return err
	}
	jsonName := ""
	if resPath != "" {
		jsonName = relTo(mdPath, resPath)
	}
	md := markdown(res, jsonName, relTo(mdPath, svgPath), relTo(mdPath, cpuPath))
	return writeFile(mdPath, []byte(md))
}

// relTo returns target relative to the directory of from.
func relTo(from, target string) string {
	if r, err := filepath.Rel(filepath.Dir(absDir(from)), absDir(target)); err == nil {
		return filepath.ToSlash(r)
	}
	return target
}
