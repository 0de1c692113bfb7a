package faultmatrix

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/adobeemu"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/awsfault"
)

// retryCell expects a retryable error, then success, from one AWS fault.
var retryCell = Cell{
	Dependency: PutEvents, Fault: MalformedBody,
	Inject: Injection{AWS: []awsfault.Fault{{Operation: awsfault.PutEventsOperation, Kind: awsfault.Malformed}}},
	Expect: Expectation{Outcomes: []Outcome{Retryable, OK}, Why: "test"},
}

// goodResult is what retryCell observes when all is well.
func goodResult() Result {
	return Result{
		Cell: retryCell,
		Invocations: []Invocation{
			{Outcome: Retryable, ErrorType: "RetryableError", Message: "a dependency of the function failed; retry later"},
			{Outcome: OK},
		},
		ConnectionID:      "c-1",
		Connections:       []string{"c-1"},
		SourceConnections: 1,
		ConnectionPOSTs:   1,
		SourcePOSTs:       1,
		Events:            []Event{{DetailType: DetailTypeProvisioned, ConnectionID: "c-1", Created: true}},
		StruckAWS:         1,
		Logs:              `{"level":"INFO","message":"invocation"}`,
	}
}

func TestMisses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(*Result)
		want   []string // each miss must contain the matching text
	}{
		{name: "holds", change: func(*Result) {}},
		{name: "other outcomes", change: func(r *Result) { r.Invocations = r.Invocations[1:] },
			want: []string{"invocations = ok, want retryable → ok"}},
		{name: "duplicate connection", change: func(r *Result) { r.Connections = []string{"c-1", "c-2"} },
			want: []string{"duplicate: 2 base connections"}},
		{name: "duplicate source connection", change: func(r *Result) { r.SourceConnections = 2 },
			want: []string{"duplicate: 2 source connections"}},
		{name: "success without its event", change: func(r *Result) { r.Events = nil },
			want: []string{"lost publication"}},
		{name: "success with an event about another connection", change: func(r *Result) { r.Events[0].ConnectionID = "c-9" },
			want: []string{"lost publication", `names connection "c-9"`}},
		{name: "success reporting no connection", change: func(r *Result) { r.ConnectionID = "" },
			want: []string{"reported no connection id", "lost publication"}},
		{name: "success reporting another connection", change: func(r *Result) { r.ConnectionID = "c-2"; r.Events[0].ConnectionID = "c-2" },
			want: []string{"reported connection c-2, Flow Service holds c-1", `names connection "c-2"`}},
		{name: "the RIE's timeout", change: func(r *Result) {
			r.Invocations[0] = Invocation{Outcome: TimedOut, Message: "Task timed out after 4.00 seconds"}
		}, want: []string{"invocations = rie-timeout → ok", "invocation 1 ended unclean (rie-timeout"}},
		{name: "an error without a message", change: func(r *Result) { r.Invocations[0].Message = "" },
			want: []string{"without a message"}},
		{name: "a panic in the logs", change: func(r *Result) { r.Logs += "\npanic: runtime error: nil map\n\ngoroutine 1 [running]:\n" },
			want: []string{"panic"}},
		{name: "a leak", change: func(r *Result) { r.Leaks = []string{"function logs: secret 0 (raw)"} },
			want: []string{"secret leak: function logs: secret 0 (raw)"}},
		{name: "harness failure", change: func(r *Result) { r.Err = errors.New("moto is gone") },
			want: []string{"the harness failed: moto is gone"}},
		{name: "fault never struck", change: func(r *Result) { r.StruckAWS = 0 },
			want: []string{"in front of moto struck 0 request(s), want 1"}},
		{name: "unexpected emulator fault", change: func(r *Result) { r.StruckAdobe = 1 },
			want: []string{"in the Adobe emulator struck 1 request(s), want 0"}},
		{name: "final failure, nothing published, is clean", change: func(r *Result) {
			r.Cell.Expect.Outcomes = []Outcome{Retryable, Retryable, Final}
			r.Invocations = []Invocation{r.Invocations[0], r.Invocations[0], {Outcome: Final, ErrorType: "ProvisioningError", Message: "refused"}}
			r.ConnectionID, r.Events = "", nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := goodResult()
			r.Events = append([]Event(nil), r.Events...)
			r.Invocations = append([]Invocation(nil), r.Invocations...)
			tt.change(&r)
			got := r.Misses()
			if len(got) != len(tt.want) {
				t.Fatalf("Misses() = %q, want %d miss(es) like %q", got, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("Misses()[%d] = %q, want it to contain %q", i, got[i], w)
				}
			}
			if r.Holds() != (len(tt.want) == 0) {
				t.Errorf("Holds() = %v with misses %q", r.Holds(), got)
			}
		})
	}
}

func TestNotApplicableNeverMisses(t *testing.T) {
	t.Parallel()
	r := Result{Cell: Cell{Dependency: IMSToken, Fault: PartialFailure, NotApplicable: "nothing partial"}, Err: errors.New("ignored")}
	if got := r.Misses(); len(got) != 0 {
		t.Errorf("Misses() of a not applicable cell = %q, want none", got)
	}
}

func TestWantStrikes(t *testing.T) {
	t.Parallel()
	awsTimes := func(f awsfault.Fault) (int, bool) { return f.Times, f.Times >= 0 }
	adobeTimes := func(f adobeemu.Fault) (int, bool) { return f.Times, f.Times != forever }
	type want struct {
		N     int
		Exact bool
	}
	check := func(name string, n int, exact bool, w want) {
		t.Helper()
		if diff := cmp.Diff(w, want{n, exact}); diff != "" {
			t.Errorf("wantStrikes(%s) mismatch (-want +got):\n%s", name, diff)
		}
	}
	n, exact := wantStrikes([]awsfault.Fault{{Times: 0}, {Times: 2}}, awsTimes)
	check("once and twice", n, exact, want{3, true})
	n, exact = wantStrikes([]awsfault.Fault{{Times: -1}}, awsTimes)
	check("until cleared", n, exact, want{1, false})
	n, exact = wantStrikes([]adobeemu.Fault{{Times: forever}, {Times: 1}}, adobeTimes)
	check("adobe outage and once", n, exact, want{2, false})
	n, exact = wantStrikes[adobeemu.Fault](nil, adobeTimes)
	check("none", n, exact, want{0, true})
}

func TestMissed(t *testing.T) {
	t.Parallel()
	bad := goodResult()
	bad.SourceConnections = 3
	got := Missed([]Result{goodResult(), bad, {Cell: Cell{Dependency: IMSToken, Fault: PartialFailure, NotApplicable: "n/a"}}})
	if diff := cmp.Diff([]string{"putevents/malformed"}, got); diff != "" {
		t.Errorf("Missed() mismatch (-want +got):\n%s", diff)
	}
}
