package benchrun

import (
	"fmt"
	"time"
)

// Report is everything one `make bench` run measured.
type Report struct {
	Date    time.Time
	Machine Machine
	// Command is how the run was started (for the reproduce section).
	Command string
	// LoadBefore and LoadAfter are the 1-minute load averages when the run
	// started and ended (-1: unknown).
	LoadBefore, LoadAfter float64
	// Cold, Warm and WarmUp are the run's Config counts.
	Cold, Warm, WarmUp int
	Scenarios          []ScenarioResult
	Zip                Artifact
	GoBench            []GoBenchmark
	Budgets            Budgets
}

// Artifact is the zipped deployment artefact.
type Artifact struct {
	Path string
	// Bytes is the zip's size; BootstrapBytes the uncompressed size of its
	// bootstrap entry.
	Bytes, BootstrapBytes int64
}

// Scenario returns the scenario with id, or false.
func (r *Report) Scenario(id string) (ScenarioResult, bool) {
	for _, s := range r.Scenarios {
		if s.ID == id {
			return s, true
		}
	}
	return ScenarioResult{}, false
}

// PeakRSS is the largest PeakRSS of all scenarios.
func (r *Report) PeakRSS() int64 {
	var m int64
	for _, s := range r.Scenarios {
		m = max(m, s.PeakRSS)
	}
	return m
}

// ScenarioStats are a scenario's derived numbers.
type ScenarioStats struct {
	Latency, Floor Summary
	// Overhead summarises latency - floor, invocation by invocation.
	Overhead Summary
	// Ratio is Latency.P50 / Floor.P50; 0 without a floor.
	Ratio float64
	Calls CallStats
}

// Stats computes the scenario's ScenarioStats.
func (s ScenarioResult) Stats() ScenarioStats {
	st := ScenarioStats{
		Latency:  Summarize(s.Latency),
		Floor:    Summarize(s.Floor),
		Overhead: Summarize(Differences(s.Latency, s.Floor)),
		Calls:    SummarizeCalls(s.Invocations),
	}
	if st.Floor.P50 > 0 {
		st.Ratio = float64(st.Latency.P50) / float64(st.Floor.P50)
	}
	return st
}

// Budgets are the limits `make bench -check` enforces.
type Budgets struct {
	// ColdOverhead bounds the median of (a)'s latency - floor.
	ColdOverhead time.Duration
	// WarmRatio bounds warm p50 / floor p50 of (b) and (c).
	WarmRatio float64
	// ReplayCalls bounds the round trips of every (c) invocation.
	ReplayCalls int
	// ZipBytes bounds the zipped artefact, PeakRSSBytes the bootstrap's
	// peak RSS.
	ZipBytes, PeakRSSBytes int64
}

// MiB is a mebibyte; the budgets' "MB" are MiB, as in Lambda's memory
// settings.
const MiB = 1 << 20

// DefaultBudgets are the budgets.
func DefaultBudgets() Budgets {
	return Budgets{
		ColdOverhead: 20 * time.Millisecond,
		WarmRatio:    1.15,
		ReplayCalls:  2,
		ZipBytes:     8 * MiB,
		PeakRSSBytes: 40 * MiB,
	}
}

// Check is one budget's verdict.
type Check struct {
	Name     string
	Limit    string
	Measured string
	Pass     bool
}

// Evaluate checks r against its Budgets. A budget whose measurement is
// missing fails.
func Evaluate(r *Report) []Check {
	b := r.Budgets
	var checks []Check
	add := func(name, limit, measured string, pass bool) {
		checks = append(checks, Check{Name: name, Limit: limit, Measured: measured, Pass: pass})
	}
	missing := func(name, limit string) { add(name, limit, "not measured", false) }

	if s, ok := r.Scenario(ScenarioCold); ok && len(s.Floor) > 0 {
		st := s.Stats()
		add("(a) cold-start overhead, median of latency − floor", "≤ "+msString(b.ColdOverhead),
			msString(st.Overhead.P50), st.Overhead.P50 <= b.ColdOverhead)
	} else {
		missing("(a) cold-start overhead, median of latency − floor", "≤ "+msString(b.ColdOverhead))
	}
	for _, id := range []string{ScenarioNewStream, ScenarioReplay} {
		name := fmt.Sprintf("(%s) warm p50 / floor p50", id)
		limit := fmt.Sprintf("≤ %.2f", b.WarmRatio)
		s, ok := r.Scenario(id)
		if !ok {
			missing(name, limit)
			continue
		}
		st := s.Stats()
		if st.Floor.P50 <= 0 {
			// No round trips: nothing to be slower than. The latency is then
			// all overhead, shown in the table.
			add(name, limit, "no round trips", true)
			continue
		}
		add(name, limit, fmt.Sprintf("%.3f (%s / %s)", st.Ratio, msString(st.Latency.P50), msString(st.Floor.P50)), st.Ratio <= b.WarmRatio)
	}
	if s, ok := r.Scenario(ScenarioCold); ok && len(s.Invocations) > 0 {
		c := SummarizeCalls(s.Invocations)
		name, limit := "(a) the two secret reads overlap", "in most invocations"
		if c.SecretPairs == 0 {
			add(name, limit, "fewer than two secret reads per invocation", true)
		} else {
			add(name, limit, fmt.Sprintf("%d of %d invocations", c.SecretOverlaps, c.SecretPairs), 2*c.SecretOverlaps > c.SecretPairs)
		}
		add(criticalName, criticalLimit,
			fmt.Sprintf("%d of %d invocations (median critical path %s, calls %s)", c.Shorter, c.Invocations, num(c.CriticalPath.Median), num(c.Calls.Median)),
			2*c.Shorter > c.Invocations)
	} else {
		missing("(a) the two secret reads overlap", "in most invocations")
		missing(criticalName, criticalLimit)
	}
	if s, ok := r.Scenario(ScenarioReplay); ok && len(s.Invocations) > 0 {
		c := SummarizeCalls(s.Invocations)
		add("(c) round trips per invocation", fmt.Sprintf("≤ %d (every invocation)", b.ReplayCalls),
			fmt.Sprintf("max %d", c.Calls.Max), c.Calls.Max <= b.ReplayCalls)
	} else {
		missing("(c) round trips per invocation", fmt.Sprintf("≤ %d (every invocation)", b.ReplayCalls))
	}
	if r.Zip.Bytes > 0 {
		add("zipped artefact", "≤ "+mibString(b.ZipBytes), mibString(r.Zip.Bytes), r.Zip.Bytes <= b.ZipBytes)
	} else {
		missing("zipped artefact", "≤ "+mibString(b.ZipBytes))
	}
	if rss := r.PeakRSS(); rss > 0 {
		add("peak RSS of bootstrap (VmHWM, all scenarios)", "≤ "+mibString(b.PeakRSSBytes), mibString(rss), rss <= b.PeakRSSBytes)
	} else {
		missing("peak RSS of bootstrap (VmHWM, all scenarios)", "≤ "+mibString(b.PeakRSSBytes))
	}
	return checks
}

// The critical-path budget: independent calls overlap, so the critical path
// is shorter than the call count, in most cold starts (not in a lucky half).
const (
	criticalName  = "(a) critical path shorter than the call count (independent calls overlap)"
	criticalLimit = "in most invocations"
)

// Failed returns the checks that did not pass.
func Failed(checks []Check) []Check {
	var out []Check
	for _, c := range checks {
		if !c.Pass {
			out = append(out, c)
		}
	}
	return out
}

func msString(d time.Duration) string {
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}

func mibString(n int64) string {
	return fmt.Sprintf("%.2f MiB", float64(n)/MiB)
}

// num prints a count that may be a half (a median of two).
func num(f float64) string {
	if f == float64(int64(f)) {
		return fmt.Sprintf("%d", int64(f))
	}
	return fmt.Sprintf("%.1f", f)
}
