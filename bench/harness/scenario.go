package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Scenario is one measured workload.
type Scenario struct {
	Key    string // short name in the raw results
	Title  string // heading in the report
	Desc   string // one sentence for the method section
	Path   string // request target for wrk
	Script string // wrk Lua script, relative to the script directory
	Conns  int    // wrk connections
	Idle   bool   // the idle-connection RSS scenario instead of wrk
	// Needs says whether a peer can run the scenario (manifest columns).
	Needs func(Peer) bool
}

func always(Peer) bool { return true }

// allScenarios lists every scenario in report order.
var allScenarios = []Scenario{
	{Key: "hello", Title: "Plaintext, 64 connections",
		Desc: "`GET /` answered with `Hello World\\n`, keep-alive, 64 connections.",
		Path: "/", Script: "report.lua", Conns: 64, Needs: always},
	{Key: "pipeline", Title: "Plaintext, pipelined 16 deep",
		Desc: "the same request, 16 per write on each of 64 connections (wrk counts each response).",
		Path: "/", Script: "pipeline.lua", Conns: 64, Needs: always},
	{Key: "echo", Title: "POST 1 KiB echo",
		Desc: "`POST /echo` with a 1,024-byte body, answered with the same bytes; the script counts any other status or length as an error. 64 connections.",
		Path: "/echo", Script: "echo.lua", Conns: 64, Needs: func(p Peer) bool { return p.Echo }},
	{Key: "download", Title: "1 MiB download",
		Desc: "`GET /1m` answered with 1 MiB, 16 connections.",
		Path: "/1m", Script: "report.lua", Conns: 16, Needs: func(p Peer) bool { return p.Download }},
	{Key: "c1000", Title: "Plaintext, 1,000 connections",
		Desc: "`GET /` on 1,000 keep-alive connections.",
		Path: "/", Script: "report.lua", Conns: 1000, Needs: always},
	{Key: "idle", Title: "Memory with idle keep-alive connections",
		Desc: "the harness opens N connections, sends one `GET /` on each and reads the answer, then leaves them idle; server RSS before and 1 s after.",
		Idle: true, Needs: always},
}

// Config is how a run is shaped; it is saved with the results.
type Config struct {
	Mode   string `json:"mode"` // full, quick or tiny
	Rounds int    `json:"rounds"`
	// ScenarioRounds overrides Rounds for some scenarios: more for hello,
	// on which the per-core comparison with nginx rests and whose
	// differences of a few percent need them; fewer for idle, whose RSS
	// is the same from round to round.
	ScenarioRounds map[string]int `json:"scenario_rounds,omitempty"`
	Duration       time.Duration  `json:"duration_ns"`
	Warmup         time.Duration  `json:"warmup_ns"`
	IdleConns      int            `json:"idle_conns"`
	Scenarios      []string       `json:"scenarios"`
	// A measurement during which the hypervisor stole more than
	// StealLimit percent of the machine's CPU time is taken again, up to
	// StealRetries times (and maxRetryTime in all).
	StealLimit   float64 `json:"steal_limit_pct"`
	StealRetries int     `json:"steal_retries"`
}

// maxRetryTime bounds what a whole run spends measuring again, so that a
// machine whose hypervisor is busy for long still ends in time.
const maxRetryTime = 3 * time.Minute

// modeConfig returns the defaults of a mode.
func modeConfig(mode string) Config {
	switch mode {
	case "tiny":
		return Config{Mode: mode, Rounds: 1, Duration: time.Second, Warmup: time.Second,
			IdleConns: 200, Scenarios: []string{"hello", "idle"}, StealLimit: 5}
	case "quick":
		return Config{Mode: mode, Rounds: 1, Duration: 2 * time.Second, Warmup: time.Second,
			IdleConns: 1000, Scenarios: []string{"hello", "pipeline", "idle"}, StealLimit: 5, StealRetries: 3}
	}
	// 3 rounds of 1 s (5 of hello, 1 of idle) keep 13 servers and 6
	// scenarios near 8.5 minutes (218 wrk runs of about 2.3 s with
	// warm-up and restart, 13 idle runs of about 2.5 s), leaving room for
	// the build and h2load within make bench's 10; measuring again under
	// steal adds at most maxRetryTime.
	return Config{Mode: "full", Rounds: 3, ScenarioRounds: map[string]int{"hello": 5, "idle": 1},
		Duration: time.Second, Warmup: time.Second,
		IdleConns: 10000, Scenarios: []string{"hello", "pipeline", "echo", "download", "c1000", "idle"},
		StealLimit: 5, StealRetries: 3}
}

// only narrows the config to the given scenario keys.
func (c *Config) only(keys []string) error {
	for _, k := range keys {
		if !slices.Contains(c.Scenarios, k) {
			return fmt.Errorf("scenario %q: not one of %s", k, strings.Join(c.Scenarios, ", "))
		}
	}
	c.Scenarios = keys
	return nil
}

// roundsOf returns how many rounds measure scenario s.
func (c Config) roundsOf(s Scenario) int {
	if n, ok := c.ScenarioRounds[s.Key]; ok {
		return n
	}
	return c.Rounds
}

// maxRounds returns how many rounds the run has: the most of any scenario.
func (c Config) maxRounds() int {
	n := 0
	for _, s := range c.scenarios() {
		n = max(n, c.roundsOf(s))
	}
	return n
}

// scenarios returns the scenarios the config selects, in report order.
func (c Config) scenarios() []Scenario {
	var out []Scenario
	for _, s := range allScenarios {
		for _, k := range c.Scenarios {
			if k == s.Key {
				out = append(out, s)
			}
		}
	}
	return out
}
