package benchrun

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// GoBenchPackages are the packages whose in-process hot paths `make bench`
// benchmarks: the dispatcher and request decoding (trigger), the use case
// (provision), and Flow Service request encoding and error decoding
// (flowservice).
var GoBenchPackages = []string{"./internal/trigger", "./internal/provision", "./internal/flowservice"}

// GoBenchmark is one line of `go test -bench -benchmem` output.
type GoBenchmark struct {
	Package string // import path
	Name    string // without "Benchmark" and the -GOMAXPROCS suffix
	Procs   int    // GOMAXPROCS suffix; 0 when absent
	N       int64  // iterations
	NsPerOp float64
	// BytesPerOp and AllocsPerOp are -1 when the line has none.
	BytesPerOp, AllocsPerOp int64
}

// RunGoBench runs `go test -run '^$' -bench . -benchmem pkgs...` in dir and
// parses its output.
func RunGoBench(ctx context.Context, dir string, pkgs ...string) ([]GoBenchmark, error) {
	args := append([]string{"test", "-run", "^$", "-bench", ".", "-benchmem", "-count", "1"}, pkgs...)
	cmd := exec.CommandContext(ctx, "go", args...) //nolint:gosec // G204: a developer tool running go test on the packages it is given
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("benchrun: go %s: %w: %s", strings.Join(args, " "), err, lastLines(out, 30))
	}
	bs, err := ParseGoBench(out)
	if err != nil {
		return nil, err
	}
	if len(bs) == 0 {
		return nil, fmt.Errorf("benchrun: go %s printed no benchmark: %s", strings.Join(args, " "), lastLines(out, 30))
	}
	return bs, nil
}

// ParseGoBench parses `go test -bench` output: "pkg:" lines name the package
// of the benchmark lines after them; a benchmark line is its name, the
// iteration count and value/unit pairs (ns/op, B/op, allocs/op; other units
// are ignored).
func ParseGoBench(out []byte) ([]GoBenchmark, error) {
	var (
		pkg string
		bs  []GoBenchmark
	)
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimSpace(p)
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") {
			continue
		}
		n, err := strconv.ParseInt(fields[1], 10, 64)
		if err != nil {
			continue // e.g. a log line starting with "Benchmark"
		}
		b := GoBenchmark{Package: pkg, N: n, NsPerOp: -1, BytesPerOp: -1, AllocsPerOp: -1}
		b.Name, b.Procs = splitProcs(strings.TrimPrefix(fields[0], "Benchmark"))
		for i := 2; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return nil, fmt.Errorf("benchrun: benchmark line %q: value %q: %w", line, fields[i], err)
			}
			switch fields[i+1] {
			case "ns/op":
				b.NsPerOp = v
			case "B/op":
				b.BytesPerOp = int64(v)
			case "allocs/op":
				b.AllocsPerOp = int64(v)
			}
		}
		if b.NsPerOp < 0 {
			return nil, fmt.Errorf("benchrun: benchmark line %q has no ns/op", line)
		}
		bs = append(bs, b)
	}
	return bs, sc.Err()
}

// splitProcs splits "Name-8" into "Name" and 8.
func splitProcs(name string) (string, int) {
	i := strings.LastIndexByte(name, '-')
	if i < 0 {
		return name, 0
	}
	p, err := strconv.Atoi(name[i+1:])
	if err != nil || p <= 0 {
		return name, 0
	}
	return name[:i], p
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
