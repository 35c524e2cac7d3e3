package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Peer is one row of the manifest: a server and what it can do.
type Peer struct {
	Name     string // short name used in tables and -only
	Command  string // shell command with {out}, {port}, {dir}, {peers}
	Echo     bool   // answers POST /echo with the request body
	Download bool   // answers GET /1m with 1 MiB
	Notes    string // free text for the report
}

// IsPorter reports whether the row is one of porter's own subjects.
func (p Peer) IsPorter() bool { return strings.HasPrefix(p.Name, "porter") }

// manifestColumns are the header names, in the order they must appear.
var manifestColumns = []string{"name", "command", "echo", "download", "notes"}

// readManifest parses a TSV manifest: a header line naming the columns
// (name, command, echo, download, notes), then one server per line.
// Blank lines and lines starting with '#' are skipped.
func readManifest(r io.Reader) ([]Peer, error) {
	var peers []Peer
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	line, header := 0, false
	seen := map[string]bool{}
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(text) == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Split(text, "\t")
		if !header {
			for i, want := range manifestColumns {
				if i >= len(fields) || strings.TrimSpace(strings.ToLower(fields[i])) != want {
					return nil, fmt.Errorf("line %d: header must be %s", line, strings.Join(manifestColumns, "\\t"))
				}
			}
			header = true
			continue
		}
		if len(fields) < 4 {
			return nil, fmt.Errorf("line %d: want at least 4 tab-separated fields, got %d", line, len(fields))
		}
		p := Peer{Name: strings.TrimSpace(fields[0]), Command: strings.TrimSpace(fields[1])}
		var err error
		if p.Echo, err = parseYesNo(fields[2]); err != nil {
			return nil, fmt.Errorf("line %d: echo: %v", line, err)
		}
		if p.Download, err = parseYesNo(fields[3]); err != nil {
			return nil, fmt.Errorf("line %d: download: %v", line, err)
		}
		if len(fields) > 4 {
			p.Notes = strings.TrimSpace(strings.Join(fields[4:], " "))
		}
		if p.Name == "" || p.Command == "" {
			return nil, fmt.Errorf("line %d: empty name or command", line)
		}
		if seen[p.Name] {
			return nil, fmt.Errorf("line %d: duplicate name %q", line, p.Name)
		}
		seen[p.Name] = true
		peers = append(peers, p)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if !header {
		return nil, fmt.Errorf("empty manifest")
	}
	return peers, nil
}

func parseYesNo(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "yes", "y", "true", "1":
		return true, nil
	case "no", "n", "false", "0", "":
		return false, nil
	}
	return false, fmt.Errorf("want yes or no, got %q", s)
}

// loadManifest reads the manifest at path.
func loadManifest(path string) ([]Peer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	peers, err := readManifest(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return peers, nil
}

// selectPeers keeps the peers named in only (comma-separated), in
// manifest order; an empty list keeps all. Unknown names are an error.
func selectPeers(peers []Peer, only string) ([]Peer, error) {
	if strings.TrimSpace(only) == "" {
		return peers, nil
	}
	want := map[string]bool{}
	for _, n := range strings.Split(only, ",") {
		if n = strings.TrimSpace(n); n != "" {
			want[n] = true
		}
	}
	var out []Peer
	for _, p := range peers {
		if want[p.Name] {
			out = append(out, p)
			delete(want, p.Name)
		}
	}
	if len(want) > 0 {
		var missing []string
		for n := range want {
			missing = append(missing, n)
		}
		sort.Strings(missing)
		return nil, fmt.Errorf("-only: not in the manifest: %s", strings.Join(missing, ", "))
	}
	return out, nil
}

// expand fills the placeholders of a manifest command.
func expand(command string, vars map[string]string) string {
	var pairs []string
	for k, v := range vars {
		pairs = append(pairs, "{"+k+"}", v)
	}
	return strings.NewReplacer(pairs...).Replace(command)
}

// absDir returns path made absolute, or path itself if that fails.
func absDir(path string) string {
	if a, err := filepath.Abs(path); err == nil {
		return a
	}
	return path
}
