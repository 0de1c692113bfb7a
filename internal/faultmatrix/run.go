package faultmatrix

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/ledger"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/localenv"
)

const (
	// MaxInvocations is Lambda's first invocation of an asynchronous event
	// and its retries (MaximumRetryAttempts 2).
	MaxInvocations = 3
	// DefaultFunctionTimeout is the function timeout of a cell without a
	// hang: long enough that no invocation runs out of time on a busy
	// 2-core machine, so a cell's outcome is the fault's alone.
	DefaultFunctionTimeout = 10 * time.Second
	// DefaultHangTimeout is the function timeout of a cell with a hang,
	// which takes all of it but DEADLINE_MARGIN: short, to keep the cell
	// quick, and long enough for the retry that follows.
	DefaultHangTimeout = 4 * time.Second
	// EventFile is the event every cell sends, relative to the module root.
	EventFile = "events/cloudtrail-createstream-provisioned.json"
	// WarmUpFile is the event a fresh container is initialised with: a
	// failed CreateStream, which the function skips without a call.
	WarmUpFile = "events/cloudtrail-createstream-failed.json"
	// EventAccount is the account EventFile provisions.
	EventAccount = "111122223333"
	// EventRegion is the region EventFile provisions.
	EventRegion = "eu-west-1"
	// Sandbox is the sandbox EventFile provisions (the default one).
	Sandbox = "prod"

	// DetailTypeProvisioned is the detail type of the event the function
	// publishes for a provisioned connection.
	DetailTypeProvisioned = "Kinesis Connection Provisioned"

	// retrySlack is added to the expiry of a lock the previous invocation
	// left before a retry, so that it has expired by every clock.
	retrySlack = 250 * time.Millisecond
	// invokeGrace bounds an invoke beyond the function timeout (a cold
	// start, the RIE's own answer).
	invokeGrace = 15 * time.Second
	// drainWait is how long published events are waited for after the last
	// invocation (moto delivers them to the queue within PutEvents).
	drainWait = 500 * time.Millisecond
)

// functionEnv are the function settings of every cell: a short SDK backoff
// keeps the AWS cells fast (the SDK's retries still happen).
var functionEnv = map[string]string{"SDK_MAX_BACKOFF": "5ms"}

// RunnerOptions configure StartRunner.
type RunnerOptions struct {
	// Bootstrap is the function binary; empty builds it with the SAM
	// target's flags into a temporary directory.
	Bootstrap string
	// FunctionTimeout is the function timeout of cells without a hang,
	// HangTimeout of cells with one; zero means DefaultFunctionTimeout and
	// DefaultHangTimeout.
	FunctionTimeout, HangTimeout time.Duration
}

// Runner runs cells. It owns a moto shared by all cells (each cell gets its
// own resources on it) and, when it built one, the bootstrap. It is safe for
// concurrent use.
type Runner struct {
	moto      *localenv.Moto
	rie       string
	bootstrap string
	event     []byte
	warmUp    []byte
	timeout   time.Duration
	hangTime  time.Duration
	dir       string // a temporary directory to remove, or ""
}

// StartRunner finds the module root, builds the bootstrap unless
// opts.Bootstrap names one, finds the RIE and moto_server, starts moto and
// reads EventFile. Close stops what it started.
func StartRunner(ctx context.Context, opts RunnerOptions) (r *Runner, err error) {
	if opts.FunctionTimeout < 0 || opts.HangTimeout < 0 {
		return nil, fmt.Errorf("faultmatrix: negative function timeout %v or %v", opts.FunctionTimeout, opts.HangTimeout)
	}
	r = &Runner{bootstrap: opts.Bootstrap, timeout: cmp.Or(opts.FunctionTimeout, DefaultFunctionTimeout), hangTime: cmp.Or(opts.HangTimeout, DefaultHangTimeout)}
	defer func() {
		if err != nil {
			_ = r.Close()
			r = nil
		}
	}()
	root, err := localenv.ModuleRoot()
	if err != nil {
		return r, fmt.Errorf("faultmatrix: %w", err)
	}
	if r.event, r.warmUp, err = readEvents(root); err != nil {
		return r, err
	}
	if r.bootstrap == "" {
		if r.dir, err = os.MkdirTemp("", "faultmatrix-"); err != nil {
			return r, fmt.Errorf("faultmatrix: %w", err)
		}
		if r.bootstrap, err = localenv.BuildBootstrap(ctx, root, r.dir); err != nil {
			return r, fmt.Errorf("faultmatrix: %w", err)
		}
	}
	if r.rie, err = localenv.RIEPath(ctx, root); err != nil {
		return r, fmt.Errorf("faultmatrix: %w", err)
	}
	motoBin, err := localenv.FindMoto(root)
	if err != nil {
		return r, fmt.Errorf("faultmatrix: %w", err)
	}
	if r.moto, err = localenv.StartMoto(ctx, localenv.MotoOptions{Bin: motoBin}); err != nil {
		return r, fmt.Errorf("faultmatrix: %w", err)
	}
	return r, nil
}

// readEvents reads EventFile and WarmUpFile from the module at root.
func readEvents(root string) (event, warmUp []byte, err error) {
	dir, err := os.OpenRoot(root)
	if err != nil {
		return nil, nil, fmt.Errorf("faultmatrix: %w", err)
	}
	defer dir.Close()
	if event, err = dir.ReadFile(EventFile); err != nil {
		return nil, nil, fmt.Errorf("faultmatrix: read the event: %w", err)
	}
	if warmUp, err = dir.ReadFile(WarmUpFile); err != nil {
		return nil, nil, fmt.Errorf("faultmatrix: read the warm-up event: %w", err)
	}
	return event, warmUp, nil
}

// Close stops moto and removes a bootstrap the Runner built. It is
// idempotent.
func (r *Runner) Close() error {
	var errs []error
	if r.moto != nil {
		errs = append(errs, r.moto.Close())
		r.moto = nil
	}
	if r.dir != "" {
		errs = append(errs, os.RemoveAll(r.dir))
		r.dir = ""
	}
	return errors.Join(errs...)
}

// RunAll runs cells, at most parallel at a time (at least one), and returns
// their results in the order of cells.
func (r *Runner) RunAll(ctx context.Context, cells []Cell, parallel int) []Result {
	results := make([]Result, len(cells))
	sem := make(chan struct{}, max(parallel, 1))
	var wg sync.WaitGroup
	for i, c := range cells {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = r.Run(ctx, c)
		})
	}
	wg.Wait()
	return results
}

// Run runs one cell: a fresh stack, the cell's faults, and the event
// invoked as Lambda invokes an asynchronous event: again after every
// function error, up to MaxInvocations in all, with the same request id.
//
// Lambda waits about a minute before a retry; here a retry waits only until
// the locks the previous invocation left in the ledger have expired (at
// that invocation's deadline), which is all of that minute the function
// depends on. After a fault that hangs, each retry runs in a fresh
// container: work the timed-out invocation left in flight (a shared secret
// read, an IMS token request) would have ended within Lambda's minute.
// Otherwise the retry reuses the warm container, with its caches.
//
// The RIE counts a cold start's initialisation against the first
// invocation's timeout; Lambda does not (initialisation has a budget of its
// own). Every fresh container is therefore initialised first with
// WarmUpFile, an event the function skips without a call, so that each
// invocation of the cell has its whole timeout however busy the machine.
//
// A failure of the harness itself (moto, the RIE) is in Result.Err.
func (r *Runner) Run(ctx context.Context, c Cell) Result {
	res := Result{Cell: c}
	if c.NotApplicable != "" {
		return res
	}
	st, err := localenv.StartStack(ctx, localenv.StackOptions{Moto: r.moto})
	if err != nil {
		res.Err = fmt.Errorf("start stack: %w", err)
		return res
	}
	defer st.Close()
	for _, f := range c.Inject.AWS {
		st.Faults().Inject(f)
	}
	for _, f := range c.Inject.Adobe {
		st.Emulator().Inject(f)
	}

	var (
		fns       []*localenv.Function
		fn        *localenv.Function
		payloads  []string
		requestID = localenv.NewRequestID()
		timeout   = r.timeout
	)
	if c.Inject.hangs() {
		timeout = r.hangTime
	}
	table, err := ledger.New(dynamodb.NewFromConfig(st.AWS), st.Env()["CONNECTIONS_TABLE"])
	if err != nil {
		res.Err = fmt.Errorf("read the ledger: %w", err)
		return res
	}
	defer func() {
		for _, f := range fns {
			_ = f.Close()
		}
	}()
	for n := 1; n <= MaxInvocations; n++ {
		if n > 1 {
			if c.Inject.ClearAfter == n-1 {
				st.Faults().ClearFaults()
				st.Emulator().ClearFaults()
			}
			if err := waitForLocks(ctx, table); err != nil {
				res.Err = err
				break
			}
		}
		if fn == nil || c.Inject.hangs() {
			env := maps.Clone(functionEnv)
			if fn, err = st.StartFunction(ctx, localenv.FunctionOptions{RIE: r.rie, Bootstrap: r.bootstrap, Timeout: timeout}, env); err != nil {
				res.Err = fmt.Errorf("start function: %w", err)
				break
			}
			fns = append(fns, fn)
			if err := r.warm(ctx, fn, timeout); err != nil {
				res.Err = err
				break
			}
		}
		start := time.Now()
		ictx, cancel := context.WithTimeout(ctx, timeout+invokeGrace)
		inv, err := fn.Invoke(ictx, r.event, localenv.WithRequestID(requestID))
		cancel()
		a := attempt(inv, err)
		a.Container, a.Duration = len(fns), time.Since(start)
		res.Invocations = append(res.Invocations, a)
		if inv != nil {
			payloads = append(payloads, string(inv.Payload))
		}
		if a.Outcome == OK {
			res.ConnectionID = reportedConnection(inv.Payload)
			break
		}
	}
	r.observe(ctx, st, fns, payloads, &res)
	return res
}

// warm initialises a fresh container with the warm-up event, which must
// succeed.
func (r *Runner) warm(ctx context.Context, fn *localenv.Function, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout+invokeGrace)
	defer cancel()
	inv, err := fn.Invoke(ctx, r.warmUp)
	switch {
	case err != nil:
		return fmt.Errorf("warm up a container: %w", err)
	case inv.Err != nil || inv.TimedOut:
		return fmt.Errorf("warm up a container: %s", inv.Payload)
	}
	return nil
}

// observe reads what the cell left: connections, requests, published
// events, and every secret that leaked.
func (r *Runner) observe(ctx context.Context, st *localenv.Stack, fns []*localenv.Function, payloads []string, res *Result) {
	emu := st.Emulator()
	res.StruckAWS, res.StruckAdobe = st.Faults().Faulted(), emu.Faulted()
	for _, c := range emu.Connections(Sandbox) {
		res.Connections = append(res.Connections, c.ID)
	}
	res.SourceConnections = len(emu.SourceConnections(Sandbox))
	res.ConnectionPOSTs = emu.Count("POST", pathConnections)
	res.SourcePOSTs = emu.Count("POST", pathSources)

	raw, err := st.Sink.Drain(ctx, drainWait)
	if err != nil && res.Err == nil {
		res.Err = fmt.Errorf("read published events: %w", err)
	}
	var texts []string
	for _, m := range raw {
		texts = append(texts, string(m))
		var e struct {
			DetailType string `json:"detail-type"`
			Detail     struct {
				ConnectionID       string `json:"connectionId"`
				SourceConnectionID string `json:"sourceConnectionId"`
				Created            bool   `json:"created"`
			} `json:"detail"`
		}
		if err := json.Unmarshal(m, &e); err != nil {
			res.Events = append(res.Events, Event{DetailType: "(unreadable)"})
			continue
		}
		res.Events = append(res.Events, Event{
			DetailType: e.DetailType, ConnectionID: e.Detail.ConnectionID,
			SourceConnectionID: e.Detail.SourceConnectionID, Created: e.Detail.Created,
		})
	}

	secrets := append(localenv.DemoSecrets(), localenv.IssuedTokens(emu)...)
	var logs strings.Builder
	for i, fn := range fns {
		fmt.Fprintf(&logs, "--- container %d ---\n%s", i+1, fn.Logs())
	}
	for what, text := range map[string]string{
		"function logs":      logs.String(),
		"invocation results": strings.Join(payloads, "\n"),
		"published events":   strings.Join(texts, "\n"),
	} {
		for _, f := range localenv.FindSecrets(text, secrets...) {
			res.Leaks = append(res.Leaks, what+": "+f)
		}
	}
	res.Logs = localenv.MaskSecrets(logs.String(), secrets...)
	for i := range res.Invocations {
		res.Invocations[i].Message = localenv.MaskSecrets(res.Invocations[i].Message, secrets...)
	}
}

// attempt classifies one invoke.
func attempt(inv *localenv.Invocation, err error) Invocation {
	switch {
	case err != nil:
		return Invocation{Outcome: Other, Message: "no answer from the RIE: " + err.Error()}
	case inv.TimedOut:
		return Invocation{Outcome: TimedOut, Message: string(inv.Payload)}
	case inv.Err == nil:
		return Invocation{Outcome: OK}
	}
	a := Invocation{Outcome: Other, ErrorType: inv.Err.ErrorType, Message: inv.Err.ErrorMessage}
	switch inv.Err.ErrorType {
	case "RetryableError":
		a.Outcome = Retryable
	case "ProvisioningError":
		a.Outcome = Final
	}
	return a
}

// reportedConnection is the connection id in a direct or EventBridge
// invocation's result: {"status":"provisioned","result":{"connectionId":…}},
// or the result itself.
func reportedConnection(payload []byte) string {
	var out struct {
		ConnectionID string `json:"connectionId"`
		Result       *struct {
			ConnectionID string `json:"connectionId"`
		} `json:"result"`
	}
	if json.Unmarshal(payload, &out) != nil {
		return ""
	}
	if out.Result != nil {
		return out.Result.ConnectionID
	}
	return out.ConnectionID
}

// waitForLocks waits until every lock in the ledger of the event's account
// and region has expired.
func waitForLocks(ctx context.Context, table *ledger.Table) error {
	recs, err := table.Region(ctx, EventAccount, EventRegion)
	if err != nil {
		return fmt.Errorf("read the ledger: %w", err)
	}
	var until time.Time
	for _, rec := range recs {
		if rec.State == ledger.Pending && rec.LockUntil.After(until) {
			until = rec.LockUntil
		}
	}
	d := time.Until(until.Add(retrySlack))
	if until.IsZero() || d <= 0 {
		return nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("waiting to retry: %w", ctx.Err())
	case <-timer.C:
		return nil
	}
}
