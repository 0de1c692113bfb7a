package benchrun

import (
	"bufio"
	"bytes"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// Machine describes where a run happened.
type Machine struct {
	CPU       string // model name from /proc/cpuinfo
	Cores     int    // logical CPUs usable (runtime.NumCPU)
	OS        string // e.g. "Ubuntu 24.04.1 LTS, Linux 6.8.0, linux/amd64"
	GoVersion string // of the toolchain that built the harness and bootstrap
}

// DescribeMachine reads the Machine this process runs on.
func DescribeMachine() Machine {
	m := Machine{CPU: "unknown", Cores: runtime.NumCPU(), GoVersion: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		m.CPU = cpuModel(b)
	}
	var parts []string
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		if name := osReleaseName(b); name != "" {
			parts = append(parts, name)
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		parts = append(parts, "Linux "+strings.TrimSpace(string(b)))
	}
	m.OS = strings.Join(append(parts, runtime.GOOS+"/"+runtime.GOARCH), ", ")
	return m
}

// LoadAverage returns the 1-minute load average (/proc/loadavg), or -1
// when it cannot be read: a run on a loaded machine measures the machine.
func LoadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	return parseLoadAvg(b)
}

// parseLoadAvg returns the first field of /proc/loadavg, or -1.
func parseLoadAvg(b []byte) float64 {
	fields := strings.Fields(string(b))
	if len(fields) == 0 {
		return -1
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil || v < 0 {
		return -1
	}
	return v
}

// cpuModel returns the first "model name" of /proc/cpuinfo (x86), else its
// "Hardware" or "CPU part" line (arm), else "unknown".
func cpuModel(cpuinfo []byte) string {
	found := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(cpuinfo))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if _, seen := found[k]; !seen && v != "" {
			found[k] = v
		}
	}
	for _, k := range []string{"model name", "Hardware", "CPU part"} {
		if v, ok := found[k]; ok {
			return v
		}
	}
	return "unknown"
}

// osReleaseName returns PRETTY_NAME of an os-release file.
func osReleaseName(b []byte) string {
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "PRETTY_NAME="); ok {
			return strings.Trim(v, `"'`)
		}
	}
	return ""
}
