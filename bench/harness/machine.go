package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Machine describes where the benchmark ran.
type Machine struct {
	CPU      string   `json:"cpu"`
	Cores    int      `json:"cores"`
	Kernel   string   `json:"kernel"`
	Go       string   `json:"go"`
	Versions []string `json:"versions"` // "name version" lines
}

// debPackages are the Debian packages whose versions the report names.
var debPackages = []string{"wrk", "nginx", "libnginx-mod-http-lua", "h2o",
	"libmicrohttpd12", "libmicrohttpd12t64", "luajit", "lua-http", "nim"}

// machineInfo collects the machine description; every probe is cheap,
// bounded and optional.
func machineInfo(benchDir string) Machine {
	m := Machine{Cores: runtime.NumCPU(), Go: runtime.Version()}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(data))
	}
	if out := probe("go", "version"); out != "" {
		m.Go = strings.TrimPrefix(out, "go version ")
	}
	args := append([]string{"-W", "-f=${db:Status-Abbrev} ${Package} ${Version}\n"}, debPackages...)
	for _, line := range strings.Split(probe("dpkg-query", args...), "\n") {
		// "ii  nginx 1.22.1-9": installed packages only.
		f := strings.Fields(line)
		if len(f) == 3 && f[0] == "ii" {
			m.Versions = append(m.Versions, f[1]+" "+f[2])
		}
	}
	m.Versions = append(m.Versions, goModVersions(filepath.Join(benchDir, "go.mod"))...)
	return m
}

// goModVersions lists the required modules of a go.mod ("module vX").
func goModVersions(path string) []string {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []string
	inBlock := false
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "require (":
			inBlock = true
			continue
		case inBlock && line == ")":
			inBlock = false
			continue
		case strings.HasPrefix(line, "require "):
			line = strings.TrimPrefix(line, "require ")
		case !inBlock:
			continue
		}
		if f := strings.Fields(line); len(f) >= 2 && !strings.Contains(line, "// indirect") {
			out = append(out, f[0]+" "+f[1])
		}
	}
	return out
}

// probe runs a command for at most 5 s and returns its trimmed output,
// or "" if it is missing. Output is kept even when the exit status is
// not 0 (dpkg-query exits 1 when one of several packages is unknown).
func probe(name string, args ...string) string {
	if _, err := exec.LookPath(name); err != nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, name, args...).Output()
	return strings.TrimSpace(string(out))
}
