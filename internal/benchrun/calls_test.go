package benchrun

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var t0 = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// call is a call to op from start to end, in milliseconds after t0.
func call(op string, start, end float64) Call {
	at := func(ms float64) time.Time { return t0.Add(time.Duration(ms * float64(time.Millisecond))) }
	return Call{Endpoint: EndpointAWS, Op: op, Start: at(start), End: at(end), Status: 200}
}

func TestCriticalPathAndSteps(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		calls     []Call
		wantPath  int
		wantSteps [][]string
	}{
		{name: "none", calls: nil, wantPath: 0, wantSteps: nil},
		{name: "one", calls: []Call{call("a", 0, 1)}, wantPath: 1, wantSteps: [][]string{{"a"}}},
		{
			name:      "sequential",
			calls:     []Call{call("a", 0, 1), call("b", 2, 3), call("c", 4, 5)},
			wantPath:  3,
			wantSteps: [][]string{{"a"}, {"b"}, {"c"}},
		},
		{
			name:      "touching calls are sequential",
			calls:     []Call{call("a", 0, 1), call("b", 1, 2)},
			wantPath:  2,
			wantSteps: [][]string{{"a"}, {"b"}},
		},
		{
			name:      "two parallel reads between sequential calls",
			calls:     []Call{call("get", 0, 1), call("s1", 2, 5), call("s2", 2.5, 4), call("post", 6, 7)},
			wantPath:  3,
			wantSteps: [][]string{{"get"}, {"s1", "s2"}, {"post"}},
		},
		{
			name: "a long call spanning two sequential ones",
			// B then C is a chain of two although all three merge into one step.
			calls:     []Call{call("A", 0, 10), call("B", 1, 2), call("C", 3, 4)},
			wantPath:  2,
			wantSteps: [][]string{{"A", "B", "C"}},
		},
		{
			name:      "overlap through a third call merges steps",
			calls:     []Call{call("a", 0, 2), call("b", 1, 4), call("c", 3, 5), call("d", 6, 7)},
			wantPath:  3, // a, c, d
			wantSteps: [][]string{{"a", "b", "c"}, {"d"}},
		},
		{
			name:      "unsorted input",
			calls:     []Call{call("post", 6, 7), call("s2", 2.5, 4), call("get", 0, 1), call("s1", 2, 5)},
			wantPath:  3,
			wantSteps: [][]string{{"get"}, {"s1", "s2"}, {"post"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := CriticalPath(tt.calls); got != tt.wantPath {
				t.Errorf("CriticalPath(%s) = %d, want %d", describe(tt.calls), got, tt.wantPath)
			}
			got := opNames(Steps(tt.calls))
			if diff := cmp.Diff(tt.wantSteps, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Steps(%s) mismatch (-want +got):\n%s", describe(tt.calls), diff)
			}
		})
	}
}

func TestSummarizeCalls(t *testing.T) {
	t.Parallel()
	const kinesis, adobe = "secretsmanager.GetSecretValue (Kinesis keys)", "secretsmanager.GetSecretValue (Adobe credentials)"
	parallel := []Call{call("get", 0, 1), call(adobe, 2, 5), call(kinesis, 2.5, 4), call("post", 6, 7)}
	serial := []Call{call("get", 0, 1), call(adobe, 2, 3), call(kinesis, 4, 5), call("post", 6, 7)}
	replay := []Call{call("get", 0, 1), call("put", 2, 3)}
	got := SummarizeCalls([][]Call{parallel, serial, parallel, replay})
	want := CallStats{
		Invocations: 4,
		PerOp: []OpCount{
			{Op: "get", Mean: 1, Min: 1, Max: 1},
			{Op: adobe, Mean: 0.75, Min: 0, Max: 1},
			{Op: kinesis, Mean: 0.75, Min: 0, Max: 1},
			{Op: "post", Mean: 0.75, Min: 0, Max: 1},
			{Op: "put", Mean: 0.25, Min: 0, Max: 1},
		},
		Calls:                IntSummary{Median: 4, Min: 2, Max: 4},
		CriticalPath:         IntSummary{Median: 3, Min: 2, Max: 4},
		Steps:                IntSummary{Median: 3, Min: 2, Max: 4},
		Shorter:              2,
		Sequence:             [][]string{{"get"}, {adobe, kinesis}, {"post"}},
		SequenceCalls:        4,
		SequenceCriticalPath: 3,
		SecretPairs:          3,
		SecretOverlaps:       2,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SummarizeCalls() mismatch (-want +got):\n%s", diff)
	}
	if got := SummarizeCalls(nil); got.Invocations != 0 || got.PerOp != nil {
		t.Errorf("SummarizeCalls(nil) = %+v, want zero stats", got)
	}
}

func TestTypical(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		calls, crit []int
		want        int
	}{
		{name: "first of the most common pair", calls: []int{9, 10, 10, 9, 9}, crit: []int{9, 8, 8, 9, 9}, want: 0},
		{name: "a later pair wins by count", calls: []int{9, 10, 10}, crit: []int{9, 8, 8}, want: 1},
		{name: "same calls, different paths", calls: []int{4, 4, 4}, crit: []int{4, 3, 3}, want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := typical(tt.calls, tt.crit); got != tt.want {
				t.Errorf("typical(%v, %v) = %d, want %d", tt.calls, tt.crit, got, tt.want)
			}
		})
	}
}

func TestSameCalls(t *testing.T) {
	t.Parallel()
	fn := []Call{call("get", 0, 1), call("put", 2, 3)}
	tests := []struct {
		name  string
		floor []Call
		same  bool
	}{
		{name: "same ops and statuses, other times", floor: []Call{call("get", 10, 11), call("put", 12, 13)}, same: true},
		{name: "missing call", floor: []Call{call("get", 10, 11)}},
		{name: "other order", floor: []Call{call("put", 10, 11), call("get", 12, 13)}},
		{name: "other status", floor: func() []Call { c := []Call{call("get", 0, 1), call("put", 2, 3)}; c[1].Status = 400; return c }()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			why := sameCalls(fn, tt.floor)
			if (why == "") != tt.same {
				t.Errorf("sameCalls(%s, %s) = %q, want same %v", describe(fn), describe(tt.floor), why, tt.same)
			}
		})
	}
}
