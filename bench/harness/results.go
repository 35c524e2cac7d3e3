package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// ServerInfo is a manifest row as saved with the results.
type ServerInfo struct {
	Name       string `json:"name"`
	Porter     bool   `json:"porter"`
	Echo       bool   `json:"echo"`
	Download   bool   `json:"download"`
	Notes      string `json:"notes,omitempty"`
	StartError string `json:"start_error,omitempty"`
}

// Results is the raw results file: everything the report is made from,
// so that two runs can be compared (-compare) or the report rewritten.
type Results struct {
	Format      int          `json:"format"` // 1
	Date        string       `json:"date"`   // RFC 3339, UTC
	WallSeconds float64      `json:"wall_seconds"`
	Machine     Machine      `json:"machine"`
	Config      Config       `json:"config"`
	Servers     []ServerInfo `json:"servers"`
	Runs        []Run        `json:"runs"`
	Summaries   []Summary    `json:"summaries"` // derived from Runs
}

// summary returns the summary of (scenario, server), nil if none ran.
func (res *Results) summary(scenario, server string) *Summary {
	for i := range res.Summaries {
		if s := &res.Summaries[i]; s.Scenario == scenario && s.Server == server {
			return s
		}
	}
	return nil
}

// fillSummaries computes Summaries from Runs, in report order.
func (res *Results) fillSummaries() {
	m := summarize(res.Runs, res.Config.StealLimit)
	res.Summaries = nil
	for _, sc := range allScenarios {
		for _, sv := range res.Servers {
			if s, ok := m[[2]string{sc.Key, sv.Name}]; ok {
				res.Summaries = append(res.Summaries, *s)
			}
		}
	}
}

func writeJSON(path string, res *Results) error {
	data, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(path, append(data, '\n'))
}

func readResults(path string) (*Results, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var res Results
	if err := json.Unmarshal(data, &res); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if len(res.Summaries) == 0 {
		res.fillSummaries()
	}
	return &res, nil
}

// writeFile writes data to path through a temporary file and a rename,
// creating the directory if needed.
func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
