package localenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	// DefaultFunctionTimeout is the function timeout when
	// FunctionOptions.Timeout is zero.
	DefaultFunctionTimeout = 30 * time.Second

	// invokePath is the RIE's (and Lambda's) invoke API.
	invokePath = "/2015-03-31/functions/function/invocations"
	// maxResponse caps a read invoke response (Lambda's own limit is 6 MB).
	maxResponse = 16 << 20
	// timedOutPrefix starts the body the RIE answers (with status 200) when
	// the function exceeds its timeout.
	timedOutPrefix = "Task timed out after "
	// defaultFunctionName is the RIE's AWS_LAMBDA_FUNCTION_NAME default.
	defaultFunctionName = "test_function"
	// reportWait bounds how long Invoke waits for the RIE's REPORT line.
	reportWait = 5 * time.Second
)

// FunctionOptions configures StartFunction.
type FunctionOptions struct {
	// RIE is the aws-lambda-rie binary (see RIEPath) and Bootstrap the
	// function binary (see BuildBootstrap). Both are required.
	RIE, Bootstrap string
	// Env is the function's entire environment besides the caller's PATH,
	// HOME and TMPDIR (which Env may override) and the two variables below
	// (which Env may not); nothing else of the caller's environment (no
	// AWS_* variable, no secret) is passed. See AWSEnv. Note that the RIE
	// always defines AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
	// AWS_SESSION_TOKEN for the function, empty unless Env sets them.
	Env map[string]string
	// Timeout becomes AWS_LAMBDA_FUNCTION_TIMEOUT, rounded up to whole
	// seconds; zero means DefaultFunctionTimeout.
	Timeout time.Duration
	// Name becomes AWS_LAMBDA_FUNCTION_NAME; "" leaves the RIE default
	// "test_function". The invoked ARN is always
	// arn:aws:lambda:us-east-1:012345678912:function:<name>.
	Name string
	// Output, if set, receives everything the RIE and the function write.
	Output io.Writer
}

// Function is one simulated Lambda execution environment: an RIE process
// (with the bootstrap as its child) in its own process group, serving on two
// fresh loopback ports. Like a Lambda container it handles one invocation at
// a time: concurrent Invoke calls on one Function queue up (a second
// concurrent request makes this RIE version crash with a nil dereference).
// Start several Functions to simulate concurrency. After a timeout the RIE
// SIGKILLs the runtime and the next invoke starts a fresh one (a cold start),
// as Lambda does.
type Function struct {
	name      string
	url       string
	bootstrap string // absolute path, to find the runtime process
	proc      *group
	logs      *logSink
	client    *http.Client
	turn      chan struct{} // one token: the right to invoke
}

// StartFunction starts the RIE running opts.Bootstrap with a clean
// environment and returns once the RIE accepts TCP connections. ctx bounds
// only the start (60s when it has no deadline); the function runs until Close
// or Kill. When the RIE exits during start-up (typically because one of its
// ports was taken meanwhile) it retries with new ports.
func StartFunction(ctx context.Context, opts FunctionOptions) (*Function, error) {
	if opts.RIE == "" || opts.Bootstrap == "" {
		return nil, errors.New("start function: RIE and Bootstrap are required")
	}
	bootstrap, err := filepath.Abs(opts.Bootstrap)
	if err != nil {
		return nil, fmt.Errorf("start function: %w", err)
	}
	for _, p := range []string{opts.RIE, bootstrap} {
		if err := checkExecutable(p); err != nil {
			return nil, fmt.Errorf("start function: %w", err)
		}
	}
	env, err := functionEnv(opts)
	if err != nil {
		return nil, fmt.Errorf("start function: %w", err)
	}
	ctx, cancel := withDefaultTimeout(ctx, defaultStartTimeout)
	defer cancel()

	var lastErr error
	for range startAttempts {
		f, err := startFunctionOnce(ctx, opts, bootstrap, env)
		if err == nil {
			return f, nil
		}
		lastErr = err
		if !errors.Is(err, errExitedEarly) {
			break
		}
	}
	return nil, fmt.Errorf("start function %q: %w", opts.Name, lastErr)
}

// functionEnv builds the RIE's (and so the function's) environment.
func functionEnv(opts FunctionOptions) ([]string, error) {
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = DefaultFunctionTimeout
	}
	if timeout < 0 {
		return nil, fmt.Errorf("negative timeout %v", timeout)
	}
	vars := map[string]string{}
	for _, k := range []string{"PATH", "HOME", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			vars[k] = v
		}
	}
	for k, v := range opts.Env {
		if k == "" || strings.ContainsAny(k, "=\x00") || strings.ContainsRune(v, 0) {
			return nil, fmt.Errorf("invalid environment variable %q: empty name, or '=' or NUL in it", k)
		}
		vars[k] = v
	}
	vars["AWS_LAMBDA_FUNCTION_TIMEOUT"] = strconv.FormatInt(int64(math.Ceil(timeout.Seconds())), 10)
	if opts.Name != "" {
		vars["AWS_LAMBDA_FUNCTION_NAME"] = opts.Name
	}
	env := make([]string, 0, len(vars))
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		env = append(env, k+"="+vars[k])
	}
	return env, nil
}

func startFunctionOnce(ctx context.Context, opts FunctionOptions, bootstrap string, env []string) (*Function, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	logs := &logSink{out: opts.Output}
	cmd := exec.Command(opts.RIE,
		"--runtime-interface-emulator-address", loopback(ports[0]),
		"--runtime-api-address", loopback(ports[1]),
		bootstrap)
	cmd.Dir = filepath.Dir(bootstrap) // the RIE's working directory is the task root
	cmd.Env = env
	cmd.Stdout = logs
	cmd.Stderr = logs
	proc, err := startGroup(cmd)
	if err != nil {
		return nil, err
	}
	name := opts.Name
	if name == "" {
		name = defaultFunctionName
	}
	f := &Function{
		name:      name,
		url:       "http://" + loopback(ports[0]) + invokePath,
		bootstrap: bootstrap,
		proc:      proc,
		logs:      logs,
		// No proxy and no client timeout: ctx bounds each invoke.
		client: &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 1}},
		turn:   make(chan struct{}, 1),
	}
	f.turn <- struct{}{}
	if err := waitTCP(ctx, loopback(ports[0]), proc); err != nil {
		_ = proc.stop(0)
		return nil, fmt.Errorf("rie on ports %d/%d: %w; output: %q", ports[0], ports[1], err, logs.tail(1024))
	}
	return f, nil
}

// waitTCP waits until addr accepts a TCP connection, the process exits
// (errExitedEarly) or ctx ends.
func waitTCP(ctx context.Context, addr string, proc *group) error {
	var d net.Dialer
	tick := time.NewTicker(pollInterval / 2)
	defer tick.Stop()
	for {
		if proc.exited() {
			return errExitedEarly
		}
		dctx, cancel := context.WithTimeout(ctx, time.Second)
		conn, err := d.DialContext(dctx, "tcp", addr)
		cancel()
		if err == nil {
			_ = conn.Close()
			if proc.exited() {
				return errExitedEarly
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not accepting connections: %w", ctx.Err())
		case <-proc.done:
		case <-tick.C:
		}
	}
}

// URL is the function's invoke endpoint
// (POST http://127.0.0.1:<port>/2015-03-31/functions/function/invocations).
func (f *Function) URL() string { return f.url }

// Invocation is the outcome of one invoke that reached the function.
type Invocation struct {
	// Payload is the response body: the handler's result, the error
	// envelope, or the timeout message.
	Payload []byte
	// Err is the handler's error when Payload is an
	// {"errorMessage":..,"errorType":..} envelope.
	Err *FunctionError
	// TimedOut is true when the function ran past its timeout (the RIE
	// answers "Task timed out after N.00 seconds").
	TimedOut bool
	// Status is the RIE's HTTP status (200 for results, handler errors and
	// timeouts alike; 502 when init failed).
	Status int
	// RequestID is the request id the function saw (X-Amzn-RequestId).
	RequestID string
	// Latency is the time from sending the invoke request to having read
	// the response body: what a caller of the function waits for. It does
	// not include waiting for the function's log lines.
	Latency time.Duration
}

// FunctionError is a handler error as the Lambda runtime reports it.
type FunctionError struct {
	ErrorType    string `json:"errorType"`
	ErrorMessage string `json:"errorMessage"`
}

func (e *FunctionError) Error() string {
	return fmt.Sprintf("function error %s: %s", e.ErrorType, e.ErrorMessage)
}

// StatusError is returned by Invoke when the RIE refuses or fails an invoke
// without a function result (for example 400 when it is already serving one).
type StatusError struct {
	Status int
	Body   string // at most 512 bytes
}

func (e *StatusError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("rie answered status %d", e.Status)
	}
	return fmt.Sprintf("rie answered status %d: %s", e.Status, e.Body)
}

// InvokeOption configures one Invoke.
type InvokeOption func(*invokeOptions)

type invokeOptions struct {
	requestID string
}

// WithRequestID sets the invocation's request id (as Lambda reuses it for the
// retries of an asynchronous invoke); by default every invoke gets a new one.
func WithRequestID(id string) InvokeOption {
	return func(o *invokeOptions) { o.requestID = id }
}

// Invoke sends payload to the function and waits for the outcome. It waits
// its turn while another Invoke on f is in flight. Handler errors and
// timeouts are reported in the Invocation, not as an error; the error is for
// transport failures (including a killed function), ctx ending, and
// *StatusError.
//
// When Invoke returns an Invocation, Logs holds everything the function wrote
// during it: the function and the RIE share one output pipe, and Invoke waits
// (up to 5s) for the RIE's "REPORT RequestId: <id>" line, which the RIE
// prints after the function answered.
func (f *Function) Invoke(ctx context.Context, payload []byte, opts ...InvokeOption) (*Invocation, error) {
	o := invokeOptions{}
	for _, opt := range opts {
		opt(&o)
	}
	if o.requestID == "" {
		o.requestID = NewRequestID()
	}
	select {
	case <-f.turn:
		defer func() { f.turn <- struct{}{} }()
	case <-ctx.Done():
		return nil, fmt.Errorf("invoke %s: waiting for the previous invoke: %w", f.name, ctx.Err())
	}

	logStart := f.logs.len()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.url, bytes.NewReader(payload))
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w", f.name, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Amzn-RequestId", o.requestID)
	start := time.Now()
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w", f.name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, fmt.Errorf("invoke %s: read response: %w", f.name, err)
	}
	inv := &Invocation{Payload: body, Status: resp.StatusCode, RequestID: o.requestID, Latency: time.Since(start)}
	switch {
	case bytes.HasPrefix(body, []byte(timedOutPrefix)):
		inv.TimedOut = true
	default:
		inv.Err = parseFunctionError(body)
	}
	if inv.Err == nil && !inv.TimedOut && resp.StatusCode != http.StatusOK {
		if len(body) > 512 {
			body = body[:512]
		}
		return nil, fmt.Errorf("invoke %s: %w", f.name, &StatusError{Status: resp.StatusCode, Body: string(body)})
	}
	if resp.StatusCode == http.StatusOK {
		wctx, cancel := context.WithTimeout(ctx, reportWait)
		defer cancel()
		// Best effort: without the line (another RIE version) Logs may lag.
		_ = f.logs.waitFor(wctx, "REPORT RequestId: "+o.requestID, logStart)
	}
	return inv, nil
}

// parseFunctionError returns the error envelope in body, or nil when body is
// not one (a JSON object with a non-empty string "errorType").
func parseFunctionError(body []byte) *FunctionError {
	if !bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) {
		return nil
	}
	var e struct {
		ErrorType    *string `json:"errorType"`
		ErrorMessage *string `json:"errorMessage"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.ErrorType == nil || *e.ErrorType == "" || e.ErrorMessage == nil {
		return nil
	}
	return &FunctionError{ErrorType: *e.ErrorType, ErrorMessage: *e.ErrorMessage}
}

// NewRequestID returns a random id in the UUID (version 4) form Lambda
// gives request ids and EventBridge gives event ids.
func NewRequestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Logs returns everything the RIE and the function have written so far.
func (f *Function) Logs() string { return f.logs.String() }

// WaitLog waits until Logs contains substr (for example a line the function
// prints before a step a test wants to interrupt), or ctx ends.
func (f *Function) WaitLog(ctx context.Context, substr string) error {
	if err := f.logs.waitFor(ctx, substr, 0); err != nil {
		return fmt.Errorf("wait for %q in the logs of %s: %w", substr, f.name, err)
	}
	return nil
}

// PeakRSS returns the peak resident set size (VmHWM), in bytes, of the
// function's runtime process: the bootstrap, which the RIE starts (as its
// child, in a process group of its own) on the first invoke. The RIE's own
// memory is not included. It fails before the first invoke, after the
// function stopped, and where /proc is missing (anything but Linux).
func (f *Function) PeakRSS() (int64, error) {
	if f.proc.exited() {
		return 0, fmt.Errorf("peak rss of %s: the function has stopped", f.name)
	}
	rss, err := peakRSS(f.proc.pgid, f.bootstrap)
	if err != nil {
		return 0, fmt.Errorf("peak rss of %s: %w", f.name, err)
	}
	return rss, nil
}

// Kill SIGKILLs the whole process group at once, as Lambda does with a
// container that timed out; an invoke in flight fails. It is idempotent, and
// Close after Kill does nothing.
func (f *Function) Kill() error {
	defer f.client.CloseIdleConnections()
	if err := f.proc.stop(0); err != nil {
		return fmt.Errorf("kill function %s: %w", f.name, err)
	}
	return nil
}

// Close stops the function: SIGTERM to the process group, SIGKILL after two
// seconds, and waits. It is idempotent.
func (f *Function) Close() error {
	defer f.client.CloseIdleConnections()
	if err := f.proc.stop(stopGrace); err != nil {
		return fmt.Errorf("close function %s: %w", f.name, err)
	}
	return nil
}
