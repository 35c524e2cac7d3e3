package main

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"strings"
)

// chartBar is one server in one group of a bar chart.
type chartBar struct {
	Label    string
	Porter   bool
	Value    float64 // bar length; 0 with Text set draws no bar
	Min, Max float64 // whisker; equal to Value for a single round
	ValueTxt string  // label at the bar end
	Text     string  // "n/a" or "failed" instead of a bar
}

// chartGroup is one scenario: a heading and its bars, scaled to the
// longest bar (scenarios differ by orders of magnitude).
type chartGroup struct {
	Title string
	Bars  []chartBar
}

const (
	svgWidth    = 900
	svgLeft     = 180 // server names
	svgRight    = 120 // value labels
	svgBarH     = 14
	svgBarGap   = 5
	svgGroupH   = 26 // group heading
	svgTop      = 64
	svgBottom   = 56
	colorPorter = "#d9480f"
	colorPeer   = "#4a7ab5"
)

// barChart renders grouped horizontal bars as a standalone SVG document.
func barChart(title, subtitle, axis string, groups []chartGroup) []byte {
	height := svgTop + svgBottom
	for _, g := range groups {
		height += svgGroupH + len(g.Bars)*(svgBarH+svgBarGap) + 8
	}
	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	p(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif" font-size="12">`+"\n",
		svgWidth, height, svgWidth, height)
	p(`<rect width="100%%" height="100%%" fill="#ffffff"/>` + "\n")
	p(`<text x="%d" y="26" font-size="18" font-weight="bold">%s</text>`+"\n", 16, esc(title))
	p(`<text x="%d" y="46" fill="#555555">%s</text>`+"\n", 16, esc(subtitle))

	plotW := float64(svgWidth - svgLeft - svgRight)
	y := svgTop
	for _, g := range groups {
		p(`<text x="16" y="%d" font-weight="bold">%s</text>`+"\n", y+17, esc(g.Title))
		y += svgGroupH
		top := y
		scale := 0.0
		for _, bar := range g.Bars {
			scale = math.Max(scale, math.Max(bar.Value, bar.Max))
		}
		for _, bar := range g.Bars {
			mid := y + svgBarH/2
			weight := ""
			if bar.Porter {
				weight = ` font-weight="bold"`
			}
			p(`<text x="%d" y="%d" text-anchor="end" dominant-baseline="middle"%s>%s</text>`+"\n", svgLeft-8, mid, weight, esc(bar.Label))
			if bar.Text != "" || scale <= 0 {
				p(`<text x="%d" y="%d" dominant-baseline="middle" fill="#999999" font-style="italic">%s</text>`+"\n", svgLeft+4, mid, esc(bar.Text))
				y += svgBarH + svgBarGap
				continue
			}
			color := colorPeer
			if bar.Porter {
				color = colorPorter
			}
			w := plotW * bar.Value / scale
			p(`<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>`+"\n", svgLeft, y, w, svgBarH, color)
			end := w
			if bar.Max > bar.Min {
				x1, x2 := float64(svgLeft)+plotW*bar.Min/scale, float64(svgLeft)+plotW*bar.Max/scale
				p(`<path d="M%.1f %dH%.1fM%.1f %dV%dM%.1f %dV%d" stroke="#222222" stroke-width="1" fill="none"/>`+"\n",
					x1, mid, x2, x1, mid-4, mid+4, x2, mid-4, mid+4)
				end = math.Max(end, x2-float64(svgLeft))
			}
			p(`<text x="%.1f" y="%d" dominant-baseline="middle">%s</text>`+"\n", float64(svgLeft)+end+6, mid, esc(bar.ValueTxt))
			y += svgBarH + svgBarGap
		}
		p(`<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#888888"/>`+"\n", svgLeft, top-2, svgLeft, y-svgBarGap+2)
		y += 8
	}

	// Axis label and legend.
	p(`<text x="%d" y="%d" text-anchor="middle" fill="#333333">%s</text>`+"\n", svgLeft+int(plotW/2), y+14, esc(axis))
	ly := y + 34
	p(`<rect x="%d" y="%d" width="14" height="10" fill="%s"/><text x="%d" y="%d">porter (C host)</text>`+"\n", svgLeft, ly-9, colorPorter, svgLeft+20, ly)
	p(`<rect x="%d" y="%d" width="14" height="10" fill="%s"/><text x="%d" y="%d">peers</text>`+"\n", svgLeft+150, ly-9, colorPeer, svgLeft+170, ly)
	p(`<path d="M%d %dH%dM%d %dV%dM%d %dV%d" stroke="#222222" fill="none"/><text x="%d" y="%d">min–max over rounds</text>`+"\n",
		svgLeft+250, ly-4, svgLeft+270, svgLeft+250, ly-8, ly, svgLeft+270, ly-8, ly, svgLeft+278, ly)
	p("</svg>\n")
	return b.Bytes()
}

func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// rateChart is the requests-per-second chart of a run.
func rateChart(res *Results) []byte {
	return barChart("porter benchmarks: requests per second, one server core",
		fmt.Sprintf("Median of %s; server on core 0, wrk on core 1; %s.", roundsText(res.Config), res.Machine.CPU),
		"requests per second (longer is better; each scenario scaled to its fastest server)",
		chartGroups(res, func(s *Summary) (float64, float64, float64, string) {
			return s.RPS.Median, s.RPS.Min, s.RPS.Max, fmtRate(s.RPS.Median) + " req/s"
		}))
}

// cpuChart is the server-CPU-time-per-request chart of a run.
func cpuChart(res *Results) []byte {
	return barChart("porter benchmarks: server CPU time per request",
		fmt.Sprintf("Median of %s; user + system time of the server's processes from /proc.", roundsText(res.Config)),
		"CPU-µs per request (shorter is better; each scenario scaled to its most expensive server)",
		chartGroups(res, func(s *Summary) (float64, float64, float64, string) {
			return s.CPUPerReq.Median, s.CPUPerReq.Min, s.CPUPerReq.Max, fmtCPU(s.CPUPerReq.Median) + " µs"
		}))
}

// chartGroups builds one group per load scenario of the run.
func chartGroups(res *Results, value func(*Summary) (v, lo, hi float64, txt string)) []chartGroup {
	var groups []chartGroup
	for _, sc := range res.Config.scenarios() {
		if sc.Idle {
			continue
		}
		g := chartGroup{Title: sc.Title}
		for _, sv := range res.Servers {
			bar := chartBar{Label: sv.Name, Porter: sv.Porter}
			s := res.summary(sc.Key, sv.Name)
			switch {
			case !sc.Needs(Peer{Echo: sv.Echo, Download: sv.Download}):
				bar.Text = "n/a"
			case s == nil:
				bar.Text = "not run"
			case s.OK == 0:
				bar.Text = "failed"
			default:
				bar.Value, bar.Min, bar.Max, bar.ValueTxt = value(s)
			}
			g.Bars = append(g.Bars, bar)
		}
		groups = append(groups, g)
	}
	return groups
}
