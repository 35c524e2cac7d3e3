package main

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Spread is the median, minimum and maximum of a set of values.
type Spread struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
}

// spread computes the median (the mean of the middle two for an even
// count), minimum and maximum; an empty set gives zeros.
func spread(xs []float64) Spread {
	if len(xs) == 0 {
		return Spread{}
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return Spread{Median: m, Min: s[0], Max: s[len(s)-1]}
}

// Summary aggregates the runs of one server in one scenario. Only
// successful runs are counted in the figures.
type Summary struct {
	Scenario   string `json:"scenario"`
	Server     string `json:"server"`
	OK         int    `json:"ok_rounds"`
	Failed     int    `json:"failed_rounds"`
	FailErrors int64  `json:"failed_errors"` // errors summed over failed runs
	FirstError string `json:"first_error,omitempty"`
	RPS        Spread `json:"rps"`
	CPUPerReq  Spread `json:"cpu_us_per_req"`
	P50US      Spread `json:"p50_us"`
	P99US      Spread `json:"p99_us"`
	MiBps      Spread `json:"mib_per_s"`
	RSSBase    Spread `json:"rss_baseline_kib"`
	RSS        Spread `json:"rss_kib"`
	KiBPerConn Spread `json:"kib_per_conn"`
	Conns      int    `json:"conns,omitempty"`
	Stolen     int    `json:"stolen_rounds,omitempty"` // successful runs kept with steal over the limit
}

// summarize groups runs by (scenario, server); stealLimit is the
// config's, to count the runs that met more steal.
func summarize(runs []Run, stealLimit float64) map[[2]string]*Summary {
	type acc struct {
		rps, cpu, p50, p99, mib, base, rss, kpc []float64
	}
	out := map[[2]string]*Summary{}
	accs := map[[2]string]*acc{}
	for _, r := range runs {
		k := [2]string{r.Scenario, r.Server}
		s := out[k]
		if s == nil {
			s = &Summary{Scenario: r.Scenario, Server: r.Server}
			out[k], accs[k] = s, &acc{}
		}
		a := accs[k]
		if !r.OK {
			s.Failed++
			s.FailErrors += r.ErrorCount
			if s.FirstError == "" {
				s.FirstError = firstLine(r.Error)
			}
			continue
		}
		s.OK++
		if stealLimit > 0 && r.StealPct > stealLimit {
			s.Stolen++
		}
		if r.Conns > 0 {
			s.Conns = r.Conns
			a.base = append(a.base, float64(r.RSSBaselineKiB))
			a.rss = append(a.rss, float64(r.RSSKiB))
			a.kpc = append(a.kpc, r.KiBPerConn)
			continue
		}
		a.rps = append(a.rps, r.RPS)
		a.cpu = append(a.cpu, r.CPUPerReq)
		a.p50 = append(a.p50, float64(r.P50US))
		a.p99 = append(a.p99, float64(r.P99US))
		if r.DurationUS > 0 {
			a.mib = append(a.mib, float64(r.Bytes)/float64(1<<20)*1e6/float64(r.DurationUS))
		}
	}
	for k, s := range out {
		a := accs[k]
		s.RPS, s.CPUPerReq, s.P50US, s.P99US = spread(a.rps), spread(a.cpu), spread(a.p50), spread(a.p99)
		s.MiBps, s.RSSBase, s.RSS, s.KiBPerConn = spread(a.mib), spread(a.base), spread(a.rss), spread(a.kpc)
	}
	return out
}

// fmtRate formats requests per second: 12,345 or 1.23M.
func fmtRate(x float64) string {
	if x >= 10e6 {
		return fmt.Sprintf("%.1fM", x/1e6)
	}
	return commas(int64(math.Round(x)))
}

// commas formats n with thousands separators.
func commas(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// fmtMicros formats a latency given in microseconds.
func fmtMicros(us float64) string {
	switch {
	case us >= 1e6:
		return fmt.Sprintf("%.2f s", us/1e6)
	case us >= 1e3:
		return fmt.Sprintf("%.2f ms", us/1e3)
	}
	return fmt.Sprintf("%.0f µs", us)
}

// fmtKiB formats a size given in KiB.
func fmtKiB(kib int64) string {
	if kib >= 10*1024 {
		return fmt.Sprintf("%.1f MiB", float64(kib)/1024)
	}
	return fmt.Sprintf("%s KiB", commas(kib))
}

// fmtCPU formats CPU-µs per request.
func fmtCPU(us float64) string {
	switch {
	case us >= 100:
		return fmt.Sprintf("%.0f", us)
	case us >= 10:
		return fmt.Sprintf("%.1f", us)
	}
	return fmt.Sprintf("%.2f", us)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// Paired compares one server's CPU per request with a reference
// server's, round by round: rounds are interleaved, so the two runs of a
// round met the same machine, and the pairs cancel out much of the drift
// that widens each server's own spread.
type Paired struct {
	Rounds    int     // rounds where both runs succeeded
	Less      int     // of those, rounds where the server used less CPU per request
	MedianPct float64 // median of (server − reference) / reference, in percent
}

// paired compares server with ref in scenario; ok is false when no round
// has a successful run of both.
func paired(runs []Run, scenario, server, ref string) (p Paired, ok bool) {
	type pair struct{ a, b float64 }
	byRound := map[int]*pair{}
	for _, r := range runs {
		if r.Scenario != scenario || !r.OK || r.CPUPerReq <= 0 || (r.Server != server && r.Server != ref) {
			continue
		}
		if byRound[r.Round] == nil {
			byRound[r.Round] = &pair{}
		}
		if r.Server == server {
			byRound[r.Round].a = r.CPUPerReq
		} else {
			byRound[r.Round].b = r.CPUPerReq
		}
	}
	var diffs []float64
	for _, pr := range byRound {
		if pr.a == 0 || pr.b == 0 {
			continue
		}
		diffs = append(diffs, 100*(pr.a-pr.b)/pr.b)
		if pr.a < pr.b {
			p.Less++
		}
	}
	p.Rounds = len(diffs)
	p.MedianPct = spread(diffs).Median
	return p, p.Rounds > 0
}
