package benchrun

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Endpoints a Call can go to.
const (
	EndpointAWS   = "aws"   // moto, through the awsfault proxy
	EndpointAdobe = "adobe" // the Adobe IMS + Flow Service emulator
)

// Call is one HTTP round trip the Recorder saw.
type Call struct {
	// Endpoint is EndpointAWS or EndpointAdobe.
	Endpoint string
	// Op names the operation: "dynamodb.GetItem",
	// "secretsmanager.GetSecretValue (Kinesis keys)", "events.PutEvents",
	// "ims POST /ims/token/v3", "flow GET /connections",
	// "flow GET /connections/{id}"; see opName.
	Op string
	// Start is when the request reached the handler (its header read), End
	// when the handler returned (its answer written); End is zero while
	// the call is in flight.
	Start, End time.Time
	// Status is the HTTP status answered (200 when the handler wrote a body
	// without a status; 0 when it answered nothing).
	Status int

	req *request // what the floor replays; nil once stripped
}

// request is what Replayer needs of a recorded call. It holds secrets
// (tokens, keys in bodies) and is never printed.
type request struct {
	method   string
	path     string
	rawQuery string
	header   http.Header
	body     []byte
	target   string // X-Amz-Target
}

// Duration is End - Start (0 for a call in flight).
func (c Call) Duration() time.Duration {
	if c.End.IsZero() {
		return 0
	}
	return c.End.Sub(c.Start)
}

// strip drops the recorded request (secrets, memory) from calls.
func strip(calls []Call) []Call {
	out := slices.Clone(calls)
	for i := range out {
		out[i].req = nil
	}
	return out
}

// overlap reports whether a and b were in flight at the same time. Calls
// that only touch (one ends as the other starts) do not overlap.
func overlap(a, b Call) bool {
	return a.Start.Before(b.End) && b.Start.Before(a.End)
}

// CriticalPath returns the number of calls on the longest chain of calls in
// which every call starts at or after the end of the one before: the round
// trips the invocation waited for one after the other. Calls that overlap in
// time are never on one chain, so an invocation whose independent calls
// overlap has a critical path shorter than its call count.
//
// Algorithm: calls that do not overlap are totally ordered in time, so a
// chain is a set of pairwise non-overlapping intervals and the longest chain
// is a maximum such set. The greedy interval-scheduling choice finds one:
// sort by end time and take every call that starts at or after the end of
// the last call taken (exchange argument: the call that ends first can
// always replace the first call of any chain). O(n log n).
//
// It can be longer than the number of Steps: for A=[0,10], B=[1,2],
// C=[3,4], the steps are one ({A,B,C} overlap through A) but B then C is a
// chain of two, and the invocation did wait for B and C in turn.
func CriticalPath(calls []Call) int {
	s := slices.Clone(calls)
	slices.SortStableFunc(s, func(a, b Call) int { return a.End.Compare(b.End) })
	n := 0
	var last time.Time
	for i, c := range s {
		if i == 0 || !c.Start.Before(last) {
			n++
			last = c.End
		}
	}
	return n
}

// Steps groups calls into the steps an observer sees: calls are sorted by
// start, and a call that starts before every call of the current group has
// ended joins that group (overlapping calls merge, also through a third
// call); otherwise it starts the next step.
func Steps(calls []Call) [][]Call {
	s := slices.Clone(calls)
	slices.SortStableFunc(s, func(a, b Call) int { return a.Start.Compare(b.Start) })
	var (
		steps [][]Call
		end   time.Time
	)
	for _, c := range s {
		if len(steps) > 0 && c.Start.Before(end) {
			steps[len(steps)-1] = append(steps[len(steps)-1], c)
			if c.End.After(end) {
				end = c.End
			}
			continue
		}
		steps = append(steps, []Call{c})
		end = c.End
	}
	return steps
}

// OpCount is how often an operation was called per invocation.
type OpCount struct {
	Op string
	// Mean is the number of calls per invocation, averaged over all
	// invocations of the scenario (including those without the call).
	Mean     float64
	Min, Max int
}

// CallStats describes the round trips of a scenario's invocations.
type CallStats struct {
	Invocations int
	// PerOp lists the operations in the order they first appeared.
	PerOp []OpCount
	// Calls, CriticalPath and Steps summarise each invocation's call count,
	// CriticalPath and len(Steps).
	Calls, CriticalPath, Steps IntSummary
	// Shorter counts the invocations whose critical path is shorter than
	// their call count (some calls overlapped).
	Shorter int
	// Sequence is the Steps (operation names) of a typical invocation: the
	// first one with the most common (calls, critical path) pair, which
	// are SequenceCalls and SequenceCriticalPath.
	Sequence                            [][]string
	SequenceCalls, SequenceCriticalPath int
	// SecretPairs counts the invocations with two or more secret reads,
	// SecretOverlaps those among them in which the reads overlapped (every
	// read overlapped another one).
	SecretPairs, SecretOverlaps int
}

// secretReadPrefix starts the Op of every Secrets Manager read.
const secretReadPrefix = "secretsmanager.GetSecretValue"

// SummarizeCalls computes the CallStats of invocations (the calls of each).
func SummarizeCalls(invocations [][]Call) CallStats {
	st := CallStats{Invocations: len(invocations)}
	if len(invocations) == 0 {
		return st
	}
	var order []string
	perOp := map[string][]int{} // op -> count per invocation
	calls := make([]int, len(invocations))
	crit := make([]int, len(invocations))
	steps := make([]int, len(invocations))
	for i, inv := range invocations {
		calls[i], crit[i], steps[i] = len(inv), CriticalPath(inv), len(Steps(inv))
		if crit[i] < calls[i] {
			st.Shorter++
		}
		for _, c := range inv {
			if _, ok := perOp[c.Op]; !ok {
				order = append(order, c.Op)
				perOp[c.Op] = make([]int, len(invocations))
			}
			perOp[c.Op][i]++
		}
		if reads := secretReads(inv); len(reads) >= 2 {
			st.SecretPairs++
			if allOverlap(reads) {
				st.SecretOverlaps++
			}
		}
	}
	for _, op := range order {
		counts := perOp[op]
		sum := 0
		for _, n := range counts {
			sum += n
		}
		st.PerOp = append(st.PerOp, OpCount{Op: op, Mean: float64(sum) / float64(len(invocations)), Min: slices.Min(counts), Max: slices.Max(counts)})
	}
	st.Calls, st.CriticalPath, st.Steps = SummarizeInts(calls), SummarizeInts(crit), SummarizeInts(steps)
	t := typical(calls, crit)
	st.Sequence, st.SequenceCalls, st.SequenceCriticalPath = opNames(Steps(invocations[t])), calls[t], crit[t]
	return st
}

// typical returns the index of the first invocation with the most common
// (calls, critical path) pair.
func typical(calls, crit []int) int {
	type pair struct{ calls, crit int }
	count := map[pair]int{}
	top := 0
	for i := range calls {
		p := pair{calls[i], crit[i]}
		count[p]++
		top = max(top, count[p])
	}
	for i := range calls {
		if count[pair{calls[i], crit[i]}] == top {
			return i
		}
	}
	return 0
}

func secretReads(calls []Call) []Call {
	var out []Call
	for _, c := range calls {
		if strings.HasPrefix(c.Op, secretReadPrefix) {
			out = append(out, c)
		}
	}
	return out
}

// allOverlap reports whether every call overlaps at least one other.
func allOverlap(calls []Call) bool {
	for i, a := range calls {
		ok := false
		for j, b := range calls {
			if i != j && overlap(a, b) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func opNames(steps [][]Call) [][]string {
	out := make([][]string, len(steps))
	for i, step := range steps {
		for _, c := range step {
			out[i] = append(out[i], c.Op)
		}
		slices.SortStableFunc(out[i], cmp.Compare)
	}
	return out
}
