package benchrun

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fixtureReport is a small report: (a) with 3 cold starts whose secret reads
// overlap, (b) and (c) warm, and the no-op scenario.
func fixtureReport() *Report {
	const kinesis, adobe = "secretsmanager.GetSecretValue (Kinesis keys)", "secretsmanager.GetSecretValue (Adobe credentials)"
	coldCalls := []Call{call("dynamodb.GetItem", 0, 1), call(adobe, 2, 5), call(kinesis, 2.5, 4), call("flow POST /connections", 6, 7), call("events.PutEvents", 8, 9)}
	warmCalls := []Call{call("dynamodb.GetItem", 0, 1), call("events.PutEvents", 2, 3)}
	return &Report{
		Date:    time.Date(2026, 12, 1, 10, 30, 0, 0, time.UTC),
		Machine: Machine{CPU: "Test CPU", Cores: 2, OS: "Test OS, linux/amd64", GoVersion: "go1.26.8"},
		Command: "go run ./cmd/bench -cold 3 -warm 4",
		Cold:    3, Warm: 4, WarmUp: 1,
		LoadBefore: 0.5, LoadAfter: 2.5,
		Scenarios: []ScenarioResult{
			{
				ID: ScenarioCold, Title: "cold", Cold: true, Functions: 3, PeakRSS: 20 * MiB,
				Latency:     ms2d(100, 110, 130),
				Floor:       ms2d(90, 95, 100),
				Invocations: [][]Call{coldCalls, coldCalls, coldCalls},
			},
			{
				ID: ScenarioNewStream, Title: "new stream", Functions: 1, PeakRSS: 22 * MiB,
				Latency:     ms2d(10, 11, 12, 13),
				Floor:       ms2d(10, 10, 10, 10),
				Invocations: [][]Call{warmCalls, warmCalls, warmCalls, warmCalls},
			},
			{
				ID: ScenarioReplay, Title: "replay", Functions: 1, PeakRSS: 21 * MiB,
				Latency:     ms2d(12, 12, 12, 12),
				Floor:       ms2d(10, 10, 10, 10),
				Invocations: [][]Call{warmCalls, warmCalls, warmCalls, warmCalls},
			},
			{
				ID: ScenarioNoop, Title: "noop", Functions: 1, PeakRSS: 15 * MiB,
				Latency:     ms2d(0.5, 0.6, 0.7, 0.8),
				Floor:       ms2d(0, 0, 0, 0),
				Invocations: [][]Call{nil, nil, nil, nil},
			},
		},
		Zip:     Artifact{Path: ".build/provisioner-arm64.zip", Bytes: 3626997, BootstrapBytes: 9765026},
		GoBench: []GoBenchmark{{Package: "example.com/m/internal/trigger", Name: "Handle/cloudtrail", Procs: 2, N: 1000, NsPerOp: 64941, BytesPerOp: 9704, AllocsPerOp: 99}},
		Budgets: DefaultBudgets(),
	}
}

func TestEvaluate(t *testing.T) {
	t.Parallel()
	r := fixtureReport()
	got := Evaluate(r)
	want := []Check{
		{Name: "(a) cold-start overhead, median of latency − floor", Limit: "≤ 20.00 ms", Measured: "15.00 ms", Pass: true},
		{Name: "(b) warm p50 / floor p50", Limit: "≤ 1.15", Measured: "1.150 (11.50 ms / 10.00 ms)", Pass: true},
		{Name: "(c) warm p50 / floor p50", Limit: "≤ 1.15", Measured: "1.200 (12.00 ms / 10.00 ms)", Pass: false},
		{Name: "(a) the two secret reads overlap", Limit: "in most invocations", Measured: "3 of 3 invocations", Pass: true},
		{Name: "(a) critical path shorter than the call count (independent calls overlap)", Limit: "in most invocations", Measured: "3 of 3 invocations (median critical path 4, calls 5)", Pass: true},
		{Name: "(c) round trips per invocation", Limit: "≤ 2 (every invocation)", Measured: "max 2", Pass: true},
		{Name: "zipped artefact", Limit: "≤ 8.00 MiB", Measured: "3.46 MiB", Pass: true},
		{Name: "peak RSS of bootstrap (VmHWM, all scenarios)", Limit: "≤ 40.00 MiB", Measured: "22.00 MiB", Pass: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Evaluate() mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want[2:3], Failed(got)); diff != "" {
		t.Errorf("Failed(Evaluate()) mismatch (-want +got):\n%s", diff)
	}
}

func TestEvaluateFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(*Report)
		failed string // the check that must fail
	}{
		{
			name:   "cold overhead over budget",
			change: func(r *Report) { r.Scenarios[0].Latency = ms2d(200, 200, 200) },
			failed: "(a) cold-start overhead",
		},
		{
			name: "secret reads in sequence",
			change: func(r *Report) {
				seq := []Call{call("secretsmanager.GetSecretValue (Adobe credentials)", 0, 1), call("secretsmanager.GetSecretValue (Kinesis keys)", 2, 3)}
				r.Scenarios[0].Invocations = [][]Call{seq, seq, seq}
			},
			failed: "(a) the two secret reads overlap",
		},
		{
			name: "overlap in a minority of invocations",
			change: func(r *Report) {
				seq := []Call{call("x", 0, 1), call("y", 2, 3)}
				r.Scenarios[0].Invocations = [][]Call{seq, seq, r.Scenarios[0].Invocations[0]}
			},
			failed: "(a) critical path shorter",
		},
		{
			name: "no overlap at all",
			change: func(r *Report) {
				seq := []Call{call("x", 0, 1), call("y", 2, 3)}
				r.Scenarios[0].Invocations = [][]Call{seq, seq, seq}
			},
			failed: "(a) critical path shorter",
		},
		{
			name: "one replay with three round trips",
			change: func(r *Report) {
				r.Scenarios[2].Invocations[3] = []Call{call("a", 0, 1), call("b", 2, 3), call("c", 4, 5)}
			},
			failed: "(c) round trips per invocation",
		},
		{name: "zip too big", change: func(r *Report) { r.Zip.Bytes = 8*MiB + 1 }, failed: "zipped artefact"},
		{name: "zip not measured", change: func(r *Report) { r.Zip = Artifact{} }, failed: "zipped artefact"},
		{name: "rss too big", change: func(r *Report) { r.Scenarios[3].PeakRSS = 41 * MiB }, failed: "peak RSS"},
		{name: "scenario missing", change: func(r *Report) { r.Scenarios = r.Scenarios[:1] }, failed: "(b) warm p50"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := fixtureReport()
			tt.change(r)
			found := false
			for _, c := range Failed(Evaluate(r)) {
				if strings.HasPrefix(c.Name, tt.failed) {
					found = true
				}
			}
			if !found {
				t.Errorf("Failed(Evaluate()) = %+v, want a failed %q check", Failed(Evaluate(r)), tt.failed)
			}
		})
	}
}

func TestScenarioStats(t *testing.T) {
	t.Parallel()
	st := fixtureReport().Scenarios[0].Stats()
	if st.Latency.P50 != 110*time.Millisecond || st.Floor.P50 != 95*time.Millisecond {
		t.Errorf("Stats() latency p50 %v, floor p50 %v; want 110ms and 95ms", st.Latency.P50, st.Floor.P50)
	}
	// Overhead is per invocation: 10, 15, 30 -> median 15 (not 110 - 95 by chance: check p95 too).
	if st.Overhead.P50 != 15*time.Millisecond || st.Overhead.P95 != 28500*time.Microsecond {
		t.Errorf("Stats().Overhead = %+v, want p50 15ms, p95 28.5ms", st.Overhead)
	}
	if want := 110.0 / 95.0; st.Ratio != want {
		t.Errorf("Stats().Ratio = %v, want %v", st.Ratio, want)
	}
}
