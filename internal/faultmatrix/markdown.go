package faultmatrix

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// maxLogLines caps the log excerpt printed for a cell that misses.
const maxLogLines = 20

// WriteMarkdown writes results as a Markdown table (rows: dependencies,
// columns: fault kinds; each cell: the injection, expected → observed with
// ✓ or ✗, invocations, connections, creates and events), then the
// expectations' reasons, the cells that do not apply and why, and for every
// cell that misses its misses and an excerpt of its logs. Cells without a
// result are shown as not run.
func WriteMarkdown(w io.Writer, results []Result) error {
	bw := bufio.NewWriter(w)
	byCell := map[[2]int]Result{}
	for _, r := range results {
		byCell[[2]int{int(r.Cell.Dependency), int(r.Cell.Fault)}] = r
	}

	fmt.Fprint(bw, "| dependency |")
	for _, k := range FaultKinds() {
		fmt.Fprintf(bw, " %s |", k)
	}
	fmt.Fprint(bw, "\n|---|")
	for range FaultKinds() {
		fmt.Fprint(bw, "---|")
	}
	fmt.Fprintln(bw)
	for _, d := range Dependencies() {
		fmt.Fprintf(bw, "| %s |", d)
		for _, k := range FaultKinds() {
			r, ok := byCell[[2]int{int(d), int(k)}]
			fmt.Fprintf(bw, " %s |", cellText(r, ok))
		}
		fmt.Fprintln(bw)
	}

	run, held := 0, 0
	for _, r := range results {
		if r.Cell.NotApplicable != "" {
			continue
		}
		run++
		if r.Holds() {
			held++
		}
	}
	fmt.Fprintf(bw, "\n%d of %d cells hold. Each cell: the injected fault; the expected → observed outcome of each invocation "+
		"(Lambda invokes again after a function error, %d invocations at most); then invocations · base/source connections "+
		"in Flow Service (at most 1 each) · POST /connections and /sourceConnections that reached Flow Service · "+
		"published %q events, \"(created)\" when one says created=true.\n", held, run, MaxInvocations, DetailTypeProvisioned)

	fmt.Fprintln(bw, "\n## Why these outcomes")
	var whys []string
	cellsByWhy := map[string][]string{}
	for _, r := range results {
		c := r.Cell
		if c.NotApplicable != "" {
			continue
		}
		key := c.Expect.String() + ": " + c.Expect.Why
		if _, ok := cellsByWhy[key]; !ok {
			whys = append(whys, key)
		}
		cellsByWhy[key] = append(cellsByWhy[key], c.Name())
	}
	for _, why := range whys {
		fmt.Fprintf(bw, "- %s (%s)\n", why, strings.Join(cellsByWhy[why], ", "))
	}

	fmt.Fprintln(bw, "\n## Not applicable")
	for _, r := range results {
		if r.Cell.NotApplicable != "" {
			fmt.Fprintf(bw, "- %s: %s\n", r.Cell.Name(), r.Cell.NotApplicable)
		}
	}

	first := true
	for _, r := range results {
		misses := r.Misses()
		if len(misses) == 0 {
			continue
		}
		if first {
			fmt.Fprintln(bw, "\n## Misses")
			first = false
		}
		fmt.Fprintf(bw, "\n### %s (%s, %s)\n\n", r.Cell.Name(), r.Cell.Dependency, r.Cell.Fault)
		for _, m := range misses {
			fmt.Fprintf(bw, "- %s\n", m)
		}
		for i, a := range r.Invocations {
			line := fmt.Sprintf("- invocation %d (container %d, %s): %s", i+1, a.Container, a.Duration.Round(time.Millisecond), a.describe())
			if a.Message != "" {
				line += ": " + a.Message
			}
			fmt.Fprintln(bw, line)
		}
		if excerpt := logExcerpt(r.Logs); excerpt != "" {
			fmt.Fprintf(bw, "\n```\n%s```\n", excerpt)
		}
	}
	return bw.Flush()
}

// cellText is the table cell of a result.
func cellText(r Result, ok bool) string {
	switch {
	case !ok:
		return "not run"
	case r.Cell.NotApplicable != "":
		return "n/a"
	}
	mark := "✓"
	if !r.Holds() {
		mark = "✗"
	}
	got := outcomesString(r.Outcomes())
	if r.Err != nil {
		got = "harness error"
	}
	events := r.ProvisionedEvents()
	created := ""
	if slices.ContainsFunc(events, func(e Event) bool { return e.Created }) {
		created = " (created)"
	}
	s := fmt.Sprintf("%s<br>want %s<br>got %s %s<br>%d inv · conn %d/%d · POST %d/%d · ev %d%s",
		r.Cell.Inject, r.Cell.Expect, got, mark,
		len(r.Invocations), len(r.Connections), r.SourceConnections, r.ConnectionPOSTs, r.SourcePOSTs, len(events), created)
	return strings.ReplaceAll(s, "|", `\|`)
}

// logExcerpt keeps the warning and error lines of logs, the RIE's own
// warnings and errors (a timeout), and anything that looks like a crash: at
// most maxLogLines, each cut at 400 bytes.
func logExcerpt(logs string) string {
	var b strings.Builder
	n := 0
	for line := range strings.SplitSeq(logs, "\n") {
		keep := strings.Contains(line, `"level":"ERROR"`) || strings.Contains(line, `"level":"WARN"`) ||
			strings.HasPrefix(line, "panic") || strings.Contains(line, "Task timed out") || strings.HasPrefix(line, "--- container") ||
			strings.Contains(line, "(rapid)") && (strings.Contains(line, "[WARNING]") || strings.Contains(line, "[ERROR]"))
		if !keep {
			continue
		}
		if len(line) > 400 {
			line = line[:400] + "…"
		}
		b.WriteString(line + "\n")
		if n++; n == maxLogLines {
			break
		}
	}
	return b.String()
}

// WriteLogs writes the logs of every cell that ran (secret values masked)
// to dir, one file per cell named after it ("ddb-lock_5xx.log").
func WriteLogs(dir string, results []Result) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("write logs: %w", err)
	}
	for _, r := range results {
		if r.Cell.NotApplicable != "" {
			continue
		}
		name := filepath.Join(dir, strings.ReplaceAll(r.Cell.Name(), "/", "_")+".log")
		if err := os.WriteFile(name, []byte(r.Logs), 0o600); err != nil {
			return fmt.Errorf("write logs: %w", err)
		}
	}
	return nil
}
