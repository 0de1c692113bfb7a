package faultmatrix

import (
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strings"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/adobeemu"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/awsfault"
)

// Dependency is one row of the matrix: a call of the function to a service.
type Dependency int

// The rows. DynamoDB has five: the ledger's calls fail differently. The
// first read (BatchGetItem of the base and stream records) is what every
// invocation does first; the lock (a conditional PutItem) decides who may
// create; the record (the UpdateItem that completes a record with the new
// connection's id) is the step between "created in Flow Service" and "known
// to the ledger", where a lost answer could lead to a duplicate; the mark
// (the UpdateItem that records the announcement) comes after the
// publication, when failing the invocation would announce again; the
// release (DeleteItem, giving a lock up after a failed look-up) is made when
// the invocation's deadline may have passed. GetItem (read again only after
// a lost lock race, through the same code as BatchGetItem) and Query
// (DeleteStream only) add nothing the five rows do not cover.
const (
	SecretsManager Dependency = iota
	IMSToken
	FlowLookup
	FlowCreate
	FlowSourceLookup
	FlowSourceCreate
	LedgerRead
	LedgerLock
	LedgerRecord
	LedgerMark
	LedgerRelease
	PutEvents
)

var dependencyInfo = [...]struct{ name, slug string }{
	SecretsManager:   {"Secrets Manager GetSecretValue (Adobe credentials)", "secretsmanager"},
	IMSToken:         {"IMS token POST /ims/token/v3", "ims"},
	FlowLookup:       {"Flow lookup GET /connections", "flow-lookup"},
	FlowCreate:       {"Flow create POST /connections", "flow-create"},
	FlowSourceLookup: {"Flow source lookup GET /sourceConnections", "flow-source-lookup"},
	FlowSourceCreate: {"Flow source create POST /sourceConnections", "flow-source-create"},
	LedgerRead:       {"DynamoDB ledger read BatchGetItem", "ddb-read"},
	LedgerLock:       {"DynamoDB ledger lock PutItem", "ddb-lock"},
	LedgerRecord:     {"DynamoDB ledger record UpdateItem (the new connection's id)", "ddb-record"},
	LedgerMark:       {"DynamoDB ledger mark UpdateItem (after the publication)", "ddb-mark"},
	LedgerRelease:    {"DynamoDB ledger release DeleteItem (after a failed look-up)", "ddb-release"},
	PutEvents:        {"EventBridge PutEvents", "putevents"},
}

// Dependencies returns every row in table order.
func Dependencies() []Dependency {
	out := make([]Dependency, len(dependencyInfo))
	for i := range out {
		out[i] = Dependency(i)
	}
	return out
}

func (d Dependency) String() string {
	if d >= 0 && int(d) < len(dependencyInfo) {
		return dependencyInfo[d].name
	}
	return fmt.Sprintf("Dependency(%d)", int(d))
}

// Slug is a short name for test names and flags, e.g. "ddb-lock".
func (d Dependency) Slug() string {
	if d >= 0 && int(d) < len(dependencyInfo) {
		return dependencyInfo[d].slug
	}
	return fmt.Sprintf("dependency-%d", int(d))
}

// FaultKind is one column of the matrix.
type FaultKind int

// The columns.
const (
	// Timeout: the call never answers (a hang), so only the invocation's
	// deadline ends it.
	Timeout FaultKind = iota
	// ServerError: a 5xx answer.
	ServerError
	// Throttling: a 429 (Adobe) or the service's throttling error (AWS).
	Throttling
	// MalformedBody: a 2xx answer whose body cannot be read.
	MalformedBody
	// ConnectionReset: the connection is closed without an answer.
	ConnectionReset
	// PartialFailure: the call succeeds but some of its items fail
	// (PutEvents entries).
	PartialFailure
)

var faultInfo = [...]struct{ name, slug string }{
	Timeout:         {"timeout (hang)", "timeout"},
	ServerError:     {"5xx", "5xx"},
	Throttling:      {"429 / throttling", "throttling"},
	MalformedBody:   {"malformed body", "malformed"},
	ConnectionReset: {"connection reset", "reset"},
	PartialFailure:  {"partial failure", "partial"},
}

// FaultKinds returns every column in table order.
func FaultKinds() []FaultKind {
	out := make([]FaultKind, len(faultInfo))
	for i := range out {
		out[i] = FaultKind(i)
	}
	return out
}

func (k FaultKind) String() string {
	if k >= 0 && int(k) < len(faultInfo) {
		return faultInfo[k].name
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// Slug is a short name for test names and flags, e.g. "throttling".
func (k FaultKind) Slug() string {
	if k >= 0 && int(k) < len(faultInfo) {
		return faultInfo[k].slug
	}
	return fmt.Sprintf("fault-%d", int(k))
}

// Outcome is how one invocation ended, as Lambda sees it.
type Outcome string

// Outcomes.
const (
	// OK: the invocation returned a result.
	OK Outcome = "ok"
	// Retryable: the function returned its RetryableError.
	Retryable Outcome = "retryable"
	// Final: the function returned its ProvisioningError.
	Final Outcome = "final"
	// TimedOut: the RIE answered "Task timed out": the function did not
	// answer before its deadline.
	TimedOut Outcome = "rie-timeout"
	// Other: any other error type (a panic, a runtime error), or no answer
	// at all from the RIE.
	Other Outcome = "other"
)

// clean reports whether an invocation that failed did so the way the
// function promises: with its own error, which Lambda retries and finally
// sends to the failure destination.
func (o Outcome) clean() bool { return o == Retryable || o == Final }

// Injection is how a cell's fault is made.
type Injection struct {
	// AWS faults are injected into the proxy in front of moto, Adobe faults
	// into the emulator, before the first invocation.
	AWS   []awsfault.Fault
	Adobe []adobeemu.Fault
	// ClearAfter, when positive, makes the fault an outage: whatever is left
	// of it is cleared before invocation ClearAfter+1. Zero leaves the fault
	// to its Times: a transient fault that fails a few calls, then recovers.
	ClearAfter int
}

// forever is the Times of an Adobe fault that lasts until it is cleared.
const forever = math.MaxInt32

// hangs reports whether a fault of the injection never answers: the
// invocation it meets runs out of time.
func (in Injection) hangs() bool {
	for _, f := range in.AWS {
		if f.Kind == awsfault.Hang {
			return true
		}
	}
	for _, f := range in.Adobe {
		if f.Hang {
			return true
		}
	}
	return false
}

// String describes the injection, e.g. "ServerError ×2" or "hang ×1, after
// the request took effect".
func (in Injection) String() string {
	var parts []string
	for _, f := range in.AWS {
		s := f.Kind.String()
		if f.Kind == awsfault.Status {
			s = fmt.Sprintf("status %d", f.Status)
		}
		if f.BodyContains != "" {
			s += " (body has " + f.BodyContains + ")"
		}
		parts = append(parts, s+times(f.Times, f.Times < 0)+after(f.After))
	}
	for _, f := range in.Adobe {
		var s string
		switch {
		case f.Hang:
			s = "hang"
		case f.Reset:
			s = "reset"
		case f.Status != 0:
			s = fmt.Sprintf("%d", f.Status)
		case f.Body != "":
			s = fmt.Sprintf("2xx body %q", f.Body)
		default:
			s = "delay " + f.Delay.String()
		}
		if ra := f.Header.Get("Retry-After"); ra != "" {
			s += " Retry-After " + ra
		}
		parts = append(parts, s+times(f.Times, f.Times == forever)+after(f.After))
	}
	s := strings.Join(parts, "; ")
	if in.ClearAfter > 0 {
		s += fmt.Sprintf(" until cleared after invocation %d", in.ClearAfter)
	}
	return s
}

func times(n int, always bool) string {
	switch {
	case always:
		return ""
	case n <= 1:
		return " ×1"
	}
	return fmt.Sprintf(" ×%d", n)
}

func after(a bool) string {
	if a {
		return " after it took effect"
	}
	return ""
}

// Expectation is what a cell must observe.
type Expectation struct {
	// Outcomes are the outcomes of the invocations in order: the first,
	// then Lambda's retries of the same event after each error (at most
	// MaxInvocations in all).
	Outcomes []Outcome
	// Why names the mechanism that gives these outcomes.
	Why string
}

// String is the outcomes joined by arrows, e.g. "retryable → ok".
func (e Expectation) String() string { return outcomesString(e.Outcomes) }

func outcomesString(outcomes []Outcome) string {
	if len(outcomes) == 0 {
		return "(none)"
	}
	s := make([]string, len(outcomes))
	for i, o := range outcomes {
		s[i] = string(o)
	}
	return strings.Join(s, " → ")
}

// Cell is one dependency under one kind of fault.
type Cell struct {
	Dependency Dependency
	Fault      FaultKind
	// NotApplicable, when set, says why the fault cannot happen to the
	// dependency; such a cell is not run.
	NotApplicable string
	Inject        Injection
	Expect        Expectation
}

// Name is "<dependency>/<fault>" in slugs, e.g. "ddb-lock/5xx".
func (c Cell) Name() string { return c.Dependency.Slug() + "/" + c.Fault.Slug() }

// AWS operations and Adobe paths of the rows.
const (
	opGetSecretValue = "secretsmanager.GetSecretValue"
	// adobeSecret ends the id of the Adobe credentials' secret of a
	// localenv.Stack ("<prefix>/adobe") in a GetSecretValue request body.
	adobeSecret    = `/adobe"`
	opBatchGetItem = "DynamoDB_20120810.BatchGetItem"
	opPutItem      = "DynamoDB_20120810.PutItem"
	opUpdateItem   = "DynamoDB_20120810.UpdateItem"
	opDeleteItem   = "DynamoDB_20120810.DeleteItem"
	// Fragments of the UpdateExpressions that complete a record and that
	// mark its announcement: they tell the two UpdateItems apart.
	completeUpdate  = "#state = :ready"
	markUpdate      = "#announced = :true"
	pathIMSToken    = adobeemu.IMSTokenPath
	pathConnections = "/connections"
	pathSources     = "/sourceConnections"
)

// Why texts of the expectations.
const (
	whySDKRetries = "success, no Lambda retry needed: the AWS SDK's own retries (SDK_MAX_ATTEMPTS 3) absorb it"
	whyAdobeRetry = "success, no Lambda retry needed: the Adobe client retries 429, 5xx and resets (4 attempts, honouring Retry-After)"
	whyOwnTimeout = "success after one Lambda retry: the function answers its own RetryableError (\"ran out of time\") " +
		"DEADLINE_MARGIN before the deadline, never the RIE's timeout; the retry finds what the first invocation left"
	whyUnreadable = "success after one Lambda retry: an unreadable answer is not retried in the invocation; " +
		"it fails with a RetryableError and Lambda's retry succeeds"
	whyAmbiguousCreate = "success, no Lambda retry needed: the create may have happened, so the function looks it up " +
		"by name before creating again and adopts the one the lost answer made"
	whyThrottledCreate = "success, no Lambda retry needed: a 429 certainly had no effect, so the create is re-sent after Retry-After"
	whyOwnWrite        = "success, no Lambda retry needed: the write reached the table but its answer was lost; the SDK's retry " +
		"then fails its own condition, and the function recognises its own lock (or record) and goes on"
	whyLostWrite = "success after one Lambda retry: the write reached the table but its answer was lost; the invocation " +
		"fails with a RetryableError, and Lambda's retry (after the lock's expiry) finds the record and creates nothing more"
	whyMark = "success, no Lambda retry needed: the event is out; recording its announcement is bookkeeping " +
		"whose failure is a warning (a later retry may announce again), and it must not hold the answer past the deadline"
	whyRelease = "success after one Lambda retry: the look-up fails (Flow Service answers 503 throughout the first " +
		"invocation), the function gives its lock up and returns its RetryableError; a failed release is only a warning " +
		"(the lock expires at the invocation's deadline), and it must not hold the answer past the deadline"
	whyRejectedEntries = "success after one Lambda retry: entries PutEvents did not accept are re-sent twice, then the " +
		"invocation fails with a RetryableError; the retry publishes the same connection, created=true"
	naPartial = "a single-item call: it succeeds or fails as a whole (BatchGetItem's UnprocessedKeys is the only other " +
		"partial answer, and the ledger re-reads them; not injected)"
)

// Matrix returns every cell, row by row in Dependencies order, column by
// column in FaultKinds order.
func Matrix() []Cell {
	var cells []Cell
	add := func(d Dependency, k FaultKind, in Injection, why string, want ...Outcome) {
		cells = append(cells, Cell{Dependency: d, Fault: k, Inject: in, Expect: Expectation{Outcomes: want, Why: why}})
	}
	na := func(d Dependency, k FaultKind, why string) {
		cells = append(cells, Cell{Dependency: d, Fault: k, NotApplicable: why})
	}
	sdk := func(op string, kind awsfault.Kind, n int, after bool) Injection {
		return Injection{AWS: []awsfault.Fault{{Operation: op, Kind: kind, Times: n, After: after}}}
	}
	adobe := func(f adobeemu.Fault) Injection { return Injection{Adobe: []adobeemu.Fault{f}} }
	retryAfter := http.Header{"Retry-After": {"1"}}

	// Secrets Manager: the faults strike the read of the Adobe credentials,
	// which the first IMS token, and so every Flow Service call, needs. The
	// Kinesis keys are read through the same store and SDK client, but when
	// is up to the function (it may read them ahead, and read again what
	// failed), so faults on that read have no one expected outcome.
	secret := func(kind awsfault.Kind, n int) Injection {
		in := sdk(opGetSecretValue, kind, n, false)
		in.AWS[0].BodyContains = adobeSecret
		return in
	}
	add(SecretsManager, Timeout, secret(awsfault.Hang, 1), whyOwnTimeout, Retryable, OK)
	add(SecretsManager, ServerError, secret(awsfault.ServerError, 2), whySDKRetries, OK)
	add(SecretsManager, Throttling, secret(awsfault.Throttle, 2), whySDKRetries, OK)
	add(SecretsManager, MalformedBody, secret(awsfault.Malformed, 1), whyUnreadable, Retryable, OK)
	add(SecretsManager, ConnectionReset, secret(awsfault.Reset, 2), whySDKRetries, OK)
	na(SecretsManager, PartialFailure, naPartial)

	// IMS: a token request has no lasting effect, so it is retried like a
	// GET.
	add(IMSToken, Timeout, adobe(adobeemu.Fault{Path: pathIMSToken, Hang: true}), whyOwnTimeout, Retryable, OK)
	add(IMSToken, ServerError, adobe(adobeemu.Fault{Path: pathIMSToken, Status: 503, Times: 2}), whyAdobeRetry, OK)
	add(IMSToken, Throttling, adobe(adobeemu.Fault{Path: pathIMSToken, Status: 429, Header: retryAfter}), whyAdobeRetry, OK)
	add(IMSToken, MalformedBody, adobe(adobeemu.Fault{Path: pathIMSToken, Body: `{"access_token":`}), whyUnreadable, Retryable, OK)
	add(IMSToken, ConnectionReset, adobe(adobeemu.Fault{Path: pathIMSToken, Reset: true, Times: 2}), whyAdobeRetry, OK)
	na(IMSToken, PartialFailure, "one token per answer: there is nothing partial about it")

	// Flow Service look-ups (GET, safe to repeat).
	for _, row := range []struct {
		d    Dependency
		path string
	}{{FlowLookup, pathConnections}, {FlowSourceLookup, pathSources}} {
		add(row.d, Timeout, adobe(adobeemu.Fault{Method: "GET", Path: row.path, Hang: true}), whyOwnTimeout, Retryable, OK)
		add(row.d, ServerError, adobe(adobeemu.Fault{Method: "GET", Path: row.path, Status: 503, Times: 2}), whyAdobeRetry, OK)
		add(row.d, Throttling, adobe(adobeemu.Fault{Method: "GET", Path: row.path, Status: 429, Header: retryAfter}), whyAdobeRetry, OK)
		add(row.d, MalformedBody, adobe(adobeemu.Fault{Method: "GET", Path: row.path, Body: `{"items":[`}), whyUnreadable, Retryable, OK)
		add(row.d, ConnectionReset, adobe(adobeemu.Fault{Method: "GET", Path: row.path, Reset: true, Times: 2}), whyAdobeRetry, OK)
		na(row.d, PartialFailure, "a listing page is answered whole; a failed page is a failed look-up (the other columns)")
	}

	// Flow Service creates (POST): every ambiguous fault strikes after the
	// create took effect, the case that could make a duplicate.
	for _, row := range []struct {
		d    Dependency
		path string
	}{{FlowCreate, pathConnections}, {FlowSourceCreate, pathSources}} {
		add(row.d, Timeout, adobe(adobeemu.Fault{Method: "POST", Path: row.path, Hang: true, After: true}), whyOwnTimeout, Retryable, OK)
		add(row.d, ServerError, adobe(adobeemu.Fault{Method: "POST", Path: row.path, Status: 502, After: true}), whyAmbiguousCreate, OK)
		add(row.d, Throttling, adobe(adobeemu.Fault{Method: "POST", Path: row.path, Status: 429, Header: retryAfter}), whyThrottledCreate, OK)
		add(row.d, MalformedBody, adobe(adobeemu.Fault{Method: "POST", Path: row.path, Body: `{"id":`, After: true}), whyAmbiguousCreate, OK)
		add(row.d, ConnectionReset, adobe(adobeemu.Fault{Method: "POST", Path: row.path, Reset: true, After: true}), whyAmbiguousCreate, OK)
		na(row.d, PartialFailure, "one object per create: it is made or not")
	}

	// The ledger's first read.
	add(LedgerRead, Timeout, sdk(opBatchGetItem, awsfault.Hang, 1, false), whyOwnTimeout, Retryable, OK)
	add(LedgerRead, ServerError, sdk(opBatchGetItem, awsfault.ServerError, 2, false), whySDKRetries, OK)
	add(LedgerRead, Throttling, sdk(opBatchGetItem, awsfault.Throttle, 2, false), whySDKRetries, OK)
	add(LedgerRead, MalformedBody, sdk(opBatchGetItem, awsfault.Malformed, 1, false), whyUnreadable, Retryable, OK)
	add(LedgerRead, ConnectionReset, sdk(opBatchGetItem, awsfault.Reset, 2, false), whySDKRetries, OK)
	na(LedgerRead, PartialFailure, naPartial)

	// The ledger's conditional writes: every fault but throttling strikes
	// after the write reached the table (DynamoDB documents that a 500 may
	// have succeeded), the case a retried conditional write gets wrong.
	for _, row := range []struct {
		d          Dependency
		op, update string
	}{{LedgerLock, opPutItem, ""}, {LedgerRecord, opUpdateItem, completeUpdate}} {
		write := func(kind awsfault.Kind, n int, after bool) Injection {
			in := sdk(row.op, kind, n, after)
			in.AWS[0].BodyContains = row.update
			return in
		}
		add(row.d, Timeout, write(awsfault.Hang, 1, true), whyOwnTimeout, Retryable, OK)
		add(row.d, ServerError, write(awsfault.ServerError, 1, true), whyOwnWrite, OK)
		add(row.d, Throttling, write(awsfault.Throttle, 2, false), whySDKRetries, OK)
		add(row.d, MalformedBody, write(awsfault.Malformed, 1, true), whyLostWrite, Retryable, OK)
		add(row.d, ConnectionReset, write(awsfault.Reset, 1, true), whyOwnWrite, OK)
		na(row.d, PartialFailure, naPartial)
	}

	// The announcement's mark, after the publication: the faults outlast
	// the SDK's retries, so the mark fails.
	mark := func(kind awsfault.Kind, n int) Injection {
		in := sdk(opUpdateItem, kind, n, false)
		in.AWS[0].BodyContains = markUpdate
		return in
	}
	add(LedgerMark, Timeout, mark(awsfault.Hang, 1), whyMark, OK)
	add(LedgerMark, ServerError, mark(awsfault.ServerError, 3), whyMark, OK)
	add(LedgerMark, Throttling, mark(awsfault.Throttle, 3), whyMark, OK)
	add(LedgerMark, MalformedBody, mark(awsfault.Malformed, 1), whyMark, OK)
	add(LedgerMark, ConnectionReset, mark(awsfault.Reset, 3), whyMark, OK)
	na(LedgerMark, PartialFailure, naPartial)

	// The release of a lock after a failed look-up: a definite failure
	// (GET /connections 503 throughout the first invocation) makes the
	// function give its lock up early, meeting the fault.
	release := func(kind awsfault.Kind, n int) Injection {
		return Injection{
			AWS:        []awsfault.Fault{{Operation: opDeleteItem, Kind: kind, Times: n}},
			Adobe:      []adobeemu.Fault{{Method: "GET", Path: pathConnections, Status: 503, Times: forever}},
			ClearAfter: 1,
		}
	}
	add(LedgerRelease, Timeout, release(awsfault.Hang, 1), whyRelease, Retryable, OK)
	add(LedgerRelease, ServerError, release(awsfault.ServerError, 3), whyRelease, Retryable, OK)
	add(LedgerRelease, Throttling, release(awsfault.Throttle, 3), whyRelease, Retryable, OK)
	add(LedgerRelease, MalformedBody, release(awsfault.Malformed, 1), whyRelease, Retryable, OK)
	add(LedgerRelease, ConnectionReset, release(awsfault.Reset, 3), whyRelease, Retryable, OK)
	na(LedgerRelease, PartialFailure, naPartial)

	// Publication.
	add(PutEvents, Timeout, sdk(awsfault.PutEventsOperation, awsfault.Hang, 1, false), whyOwnTimeout, Retryable, OK)
	add(PutEvents, ServerError, sdk(awsfault.PutEventsOperation, awsfault.ServerError, 2, false), whySDKRetries, OK)
	add(PutEvents, Throttling, sdk(awsfault.PutEventsOperation, awsfault.Throttle, 2, false), whySDKRetries, OK)
	add(PutEvents, MalformedBody, sdk(awsfault.PutEventsOperation, awsfault.Malformed, 1, false), whyUnreadable, Retryable, OK)
	add(PutEvents, ConnectionReset, sdk(awsfault.PutEventsOperation, awsfault.Reset, 2, false), whySDKRetries, OK)
	partial := sdk(awsfault.PutEventsOperation, awsfault.PartialFailure, -1, false)
	partial.ClearAfter = 1
	add(PutEvents, PartialFailure, partial, whyRejectedEntries, Retryable, OK)
	return cells
}

// Select returns the cells whose Name matches the regular expression
// pattern ("" selects all), in order. It fails on an invalid pattern and
// when no cell matches.
func Select(cells []Cell, pattern string) ([]Cell, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("faultmatrix: select cells: %w", err)
	}
	var out []Cell
	for _, c := range cells {
		if re.MatchString(c.Name()) {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("faultmatrix: no cell matches %q", pattern)
	}
	return out, nil
}
