package main

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// compare prints, for every scenario and server present in both runs,
// the new/old ratio of req/s and of CPU-µs/req (or of KiB per idle
// connection). A ratio above 1 means more requests per second, or more
// CPU time or memory, in the new run.
func compare(w io.Writer, old, cur *Results) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "scenario\tserver\told req/s\tnew req/s\tratio\told CPU-µs\tnew CPU-µs\tratio\t\n")
	for _, sc := range allScenarios {
		for _, sv := range cur.Servers {
			o, n := old.summary(sc.Key, sv.Name), cur.summary(sc.Key, sv.Name)
			if o == nil || n == nil {
				continue
			}
			if o.OK == 0 || n.OK == 0 {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\t\t\t\t\n", sc.Key, sv.Name, okOr(o), okOr(n))
				continue
			}
			if sc.Idle {
				fmt.Fprintf(tw, "%s\t%s\t%.1f KiB/c\t%.1f KiB/c\t%s\t\t\t\t\n", sc.Key, sv.Name,
					o.KiBPerConn.Median, n.KiBPerConn.Median, ratio(n.KiBPerConn.Median, o.KiBPerConn.Median))
				continue
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", sc.Key, sv.Name,
				fmtRate(o.RPS.Median), fmtRate(n.RPS.Median), ratio(n.RPS.Median, o.RPS.Median),
				fmtCPU(o.CPUPerReq.Median), fmtCPU(n.CPUPerReq.Median), ratio(n.CPUPerReq.Median, o.CPUPerReq.Median))
		}
	}
	tw.Flush()
}

func okOr(s *Summary) string {
	if s.OK == 0 {
		return "failed"
	}
	return "ok"
}

func ratio(n, o float64) string {
	if o == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", n/o)
}
