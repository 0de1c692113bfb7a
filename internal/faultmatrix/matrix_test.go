package faultmatrix

import (
	"net/http"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/adobeemu"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/awsfault"
)

// TestMatrixHasOneCellPerDependencyAndFault: the table is complete, and
// every cell says either why it does not apply or what it injects and
// expects.
func TestMatrixHasOneCellPerDependencyAndFault(t *testing.T) {
	t.Parallel()
	cells := Matrix()
	seen := map[string]int{}
	for _, c := range cells {
		seen[c.Name()]++
	}
	for _, d := range Dependencies() {
		for _, k := range FaultKinds() {
			name := Cell{Dependency: d, Fault: k}.Name()
			if seen[name] != 1 {
				t.Errorf("cells named %s = %d, want 1", name, seen[name])
			}
		}
	}
	if want := len(Dependencies()) * len(FaultKinds()); len(cells) != want {
		t.Errorf("len(Matrix()) = %d, want %d", len(cells), want)
	}
	for _, c := range cells {
		if c.NotApplicable != "" {
			if len(c.Inject.AWS)+len(c.Inject.Adobe) != 0 || len(c.Expect.Outcomes) != 0 {
				t.Errorf("%s is not applicable (%s) but injects or expects something", c.Name(), c.NotApplicable)
			}
			continue
		}
		if len(c.Inject.AWS)+len(c.Inject.Adobe) == 0 {
			t.Errorf("%s injects nothing", c.Name())
		}
		if n := len(c.Expect.Outcomes); n == 0 || n > MaxInvocations {
			t.Errorf("%s expects %d invocations, want 1 to %d", c.Name(), n, MaxInvocations)
		}
		if c.Expect.Why == "" {
			t.Errorf("%s does not say why it expects %s", c.Name(), c.Expect)
		}
		// A hang is what the timeout column is about, and only it: hang
		// cells get a short function timeout.
		if got, want := c.Inject.hangs(), c.Fault == Timeout; got != want {
			t.Errorf("%s hangs = %v, want %v", c.Name(), got, want)
		}
		if c.Fault == PartialFailure && c.Dependency != PutEvents {
			t.Errorf("%s: only PutEvents answers partially", c.Name())
		}
	}
}

// TestExpectedOutcomesEndWell: every applicable cell expects success once
// Lambda's retries are counted, after clean errors only.
func TestExpectedOutcomesEndWell(t *testing.T) {
	t.Parallel()
	for _, c := range Matrix() {
		if c.NotApplicable != "" {
			continue
		}
		o := c.Expect.Outcomes
		if o[len(o)-1] != OK {
			t.Errorf("%s expects %s, want it to end ok", c.Name(), c.Expect)
		}
		if slices.ContainsFunc(o[:len(o)-1], func(x Outcome) bool { return !x.clean() }) {
			t.Errorf("%s expects %s: an expectation never allows an unclean failure", c.Name(), c.Expect)
		}
	}
}

func TestInjectionString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   Injection
		want string
	}{
		{name: "aws transient", in: Injection{AWS: []awsfault.Fault{{Operation: "x.Y", Kind: awsfault.ServerError, Times: 2}}}, want: "ServerError ×2"},
		{name: "aws once after effect", in: Injection{AWS: []awsfault.Fault{{Kind: awsfault.Reset, After: true}}}, want: "Reset ×1 after it took effect"},
		{name: "aws status", in: Injection{AWS: []awsfault.Fault{{Kind: awsfault.Status, Status: 503, Times: 3}}}, want: "status 503 ×3"},
		{name: "aws outage", in: Injection{AWS: []awsfault.Fault{{Kind: awsfault.PartialFailure, Times: -1}}, ClearAfter: 1},
			want: "PartialFailure until cleared after invocation 1"},
		{name: "adobe hang", in: Injection{Adobe: []adobeemu.Fault{{Hang: true, After: true}}}, want: "hang ×1 after it took effect"},
		{name: "adobe throttle", in: Injection{Adobe: []adobeemu.Fault{{Status: 429, Header: http.Header{"Retry-After": {"1"}}}}}, want: "429 Retry-After 1 ×1"},
		{name: "adobe body", in: Injection{Adobe: []adobeemu.Fault{{Body: "{", Times: 2}}}, want: `2xx body "{" ×2`},
		{name: "both", in: Injection{
			AWS:        []awsfault.Fault{{Kind: awsfault.Hang}},
			Adobe:      []adobeemu.Fault{{Status: 503, Times: forever}},
			ClearAfter: 1,
		}, want: "Hang ×1; 503 until cleared after invocation 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.in.String(); got != tt.want {
				t.Errorf("Injection.String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSelect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern string
		want    []string // nil: an error
	}{
		{pattern: "^ddb-lock/(5xx|reset)$", want: []string{"ddb-lock/5xx", "ddb-lock/reset"}},
		{pattern: "putevents/partial", want: []string{"putevents/partial"}},
		{pattern: "no-such-cell"},
		{pattern: "("},
	}
	for _, tt := range tests {
		got, err := Select(Matrix(), tt.pattern)
		var names []string
		for _, c := range got {
			names = append(names, c.Name())
		}
		switch {
		case tt.want == nil && err == nil:
			t.Errorf("Select(%q) = %v, want an error", tt.pattern, names)
		case tt.want != nil && err != nil:
			t.Errorf("Select(%q) error = %v", tt.pattern, err)
		case tt.want != nil:
			if diff := cmp.Diff(tt.want, names); diff != "" {
				t.Errorf("Select(%q) mismatch (-want +got):\n%s", tt.pattern, diff)
			}
		}
	}
	if all, err := Select(Matrix(), ""); err != nil || len(all) != len(Matrix()) {
		t.Errorf(`Select("") = %d cells, %v; want all %d`, len(all), err, len(Matrix()))
	}
}

func TestNamesOfUnknownValues(t *testing.T) {
	t.Parallel()
	for _, got := range []string{Dependency(99).String(), Dependency(-1).Slug(), FaultKind(42).String(), FaultKind(42).Slug()} {
		if got == "" {
			t.Errorf("the name of an unknown value is empty")
		}
	}
}
