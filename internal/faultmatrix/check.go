package faultmatrix

import (
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/adobeemu"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/awsfault"
)

// Invocation is one invoke of a cell's event.
type Invocation struct {
	Outcome Outcome
	// ErrorType and Message are the function error's (Message also
	// explains TimedOut and Other), with secret values masked.
	ErrorType, Message string
	// Container numbers the function container (1 for the first) the
	// invocation ran in.
	Container int
	// Duration is informational: it is never asserted.
	Duration time.Duration
}

// describe is the outcome, with the error type when it says more.
func (a Invocation) describe() string {
	if a.ErrorType == "" || a.Outcome.clean() {
		return string(a.Outcome)
	}
	return string(a.Outcome) + " " + a.ErrorType
}

// Event is a published event, read back from the stack's event sink.
type Event struct {
	DetailType         string
	ConnectionID       string
	SourceConnectionID string
	Created            bool
}

// Result is what running a cell observed.
type Result struct {
	Cell        Cell
	Invocations []Invocation
	// ConnectionID is what the successful invocation reported, if any.
	ConnectionID string
	// Connections are the ids of the base connections Flow Service holds
	// afterwards; SourceConnections counts the source connections.
	Connections       []string
	SourceConnections int
	// ConnectionPOSTs and SourcePOSTs count the creates that reached Flow
	// Service (informational: a re-sent create is fine when it made
	// nothing twice).
	ConnectionPOSTs, SourcePOSTs int
	// Events are every event published to the bus.
	Events []Event
	// StruckAWS and StruckAdobe count the requests the injected faults were
	// applied to, in front of moto and in the emulator.
	StruckAWS, StruckAdobe int
	// Leaks name every secret value found in logs, results or events (by
	// position and encoding, never by value).
	Leaks []string
	// Logs are the logs of every container, secret values masked.
	Logs string
	// Err is a failure of the harness itself: the cell proves nothing.
	Err error
}

// Outcomes are the invocations' outcomes in order.
func (r Result) Outcomes() []Outcome {
	out := make([]Outcome, len(r.Invocations))
	for i, a := range r.Invocations {
		out[i] = a.Outcome
	}
	return out
}

// Final is the outcome of the last invocation ("" when none ran).
func (r Result) Final() Outcome {
	if len(r.Invocations) == 0 {
		return ""
	}
	return r.Invocations[len(r.Invocations)-1].Outcome
}

// ProvisionedEvents are the published "Kinesis Connection Provisioned"
// events.
func (r Result) ProvisionedEvents() []Event {
	var out []Event
	for _, e := range r.Events {
		if e.DetailType == DetailTypeProvisioned {
			out = append(out, e)
		}
	}
	return out
}

// panicLine matches what a Go panic or a fatal runtime error prints.
var panicLine = regexp.MustCompile(`(?m)^(panic: |fatal error: |goroutine \d+ \[)`)

// Misses lists every way the result departs from the cell's expectation or
// breaks an invariant; none means the cell holds. A not applicable cell
// never misses.
func (r Result) Misses() []string {
	c := r.Cell
	if c.NotApplicable != "" {
		return nil
	}
	var m []string
	miss := func(format string, args ...any) { m = append(m, fmt.Sprintf(format, args...)) }
	if r.Err != nil {
		miss("the harness failed: %v", r.Err)
	}
	if got := r.Outcomes(); !slices.Equal(got, c.Expect.Outcomes) {
		miss("invocations = %s, want %s", outcomesString(got), c.Expect)
	}
	// The fault happened as declared, or the cell tests something else.
	awsWant, awsExact := wantStrikes(c.Inject.AWS, func(f awsfault.Fault) (int, bool) { return f.Times, f.Times >= 0 })
	adobeWant, adobeExact := wantStrikes(c.Inject.Adobe, func(f adobeemu.Fault) (int, bool) { return f.Times, f.Times != forever })
	for _, s := range []struct {
		where     string
		got, want int
		exact     bool
	}{{"in front of moto", r.StruckAWS, awsWant, awsExact}, {"in the Adobe emulator", r.StruckAdobe, adobeWant, adobeExact}} {
		if (s.exact && s.got != s.want) || (!s.exact && s.got < s.want) {
			miss("the faults injected %s struck %d request(s), want %d: the cell does not test what it declares", s.where, s.got, s.want)
		}
	}

	// 0 duplicates.
	if n := len(r.Connections); n > 1 {
		miss("duplicate: %d base connections in Flow Service, want at most 1", n)
	}
	if r.SourceConnections > 1 {
		miss("duplicate: %d source connections in Flow Service, want at most 1", r.SourceConnections)
	}

	// 0 lost publications: a success is announced, with the connection
	// Flow Service holds; no event names a connection that is not there.
	provisioned := r.ProvisionedEvents()
	if r.Final() == OK {
		switch {
		case r.ConnectionID == "":
			miss("lost: the successful invocation reported no connection id")
		case len(r.Connections) == 1 && r.Connections[0] != r.ConnectionID:
			miss("the successful invocation reported connection %s, Flow Service holds %s", r.ConnectionID, r.Connections[0])
		case len(r.Connections) == 0:
			miss("the successful invocation reported connection %s, Flow Service holds none", r.ConnectionID)
		}
		if !slices.ContainsFunc(provisioned, func(e Event) bool { return e.ConnectionID == r.ConnectionID && e.ConnectionID != "" }) {
			miss("lost publication: the invocation succeeded with connection %q but no %q event names it", r.ConnectionID, DetailTypeProvisioned)
		}
	}
	for _, e := range provisioned {
		if !slices.Contains(r.Connections, e.ConnectionID) {
			miss("a published event names connection %q, which Flow Service does not hold", e.ConnectionID)
		}
	}

	// Clean failures: the function's own error, which Lambda retries and
	// finally sends to the failure destination.
	for i, a := range r.Invocations {
		if a.Outcome != OK && !a.Outcome.clean() {
			miss("invocation %d ended unclean (%s): %s", i+1, a.describe(), a.Message)
		}
		if a.Outcome.clean() && a.Message == "" {
			miss("invocation %d failed with a %s without a message", i+1, a.ErrorType)
		}
	}
	if panicLine.MatchString(r.Logs) {
		miss("the logs show a panic or a fatal runtime error")
	}
	for _, l := range r.Leaks {
		miss("secret leak: %s", l)
	}
	return m
}

// wantStrikes is how many requests faults must strike: exactly the sum of
// their Times (0 meaning 1), or, when one lasts until it is cleared
// (limited reports false), at least one each.
func wantStrikes[F any](faults []F, times func(F) (n int, limited bool)) (want int, exact bool) {
	exact = true
	for _, f := range faults {
		n, limited := times(f)
		if !limited {
			exact = false
			want++
			continue
		}
		want += max(n, 1)
	}
	return want, exact
}

// Holds reports whether the cell has no miss.
func (r Result) Holds() bool { return len(r.Misses()) == 0 }

// Missed returns the names of the results that do not hold, in order.
func Missed(results []Result) []string {
	var out []string
	for _, r := range results {
		if !r.Holds() {
			out = append(out, r.Cell.Name())
		}
	}
	return out
}
