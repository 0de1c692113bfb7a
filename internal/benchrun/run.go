package benchrun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/adobeemu"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/localenv"
)

// Scenario identifiers.
const (
	ScenarioCold      = "a"    // cold container, new account, new stream
	ScenarioNewStream = "b"    // warm container, known account, new stream
	ScenarioReplay    = "c"    // warm container, replay of a provisioned stream
	ScenarioNoop      = "noop" // warm container, an event the function skips
)

// Defaults of Config.
const (
	DefaultCold   = 20
	DefaultWarm   = 1000
	DefaultWarmUp = 10
)

const (
	// eventRegion is the region of every benchmark stream.
	eventRegion = "eu-west-1"
	// invokeTimeout bounds one invoke (the function's own timeout is 30s).
	invokeTimeout = time.Minute
	// Accounts: 12 digits, distinct prefixes so that one never contains
	// another, and the floor's account has the same length as the
	// function's (bodies keep their size when rewritten).
	newStreamAccount = "410000000001"
	replayAccount    = "420000000001"
)

func coldAccount(i int) string  { return fmt.Sprintf("21%010d", i+1) }
func floorAccount(i int) string { return fmt.Sprintf("31%010d", i+1) }

// Config configures Run.
type Config struct {
	// RIE is the aws-lambda-rie binary (localenv.RIEPath), Bootstrap the
	// function built for this machine (localenv.BuildBootstrap). Required.
	RIE, Bootstrap string
	// MotoBin is moto_server ("" finds it: localenv.FindMoto).
	MotoBin string
	// Cold is the number of cold starts of scenario (a); Warm the number of
	// measured invocations of each warm scenario; WarmUp the unmeasured
	// warm invocations before them (after the first, provisioning, one).
	Cold, Warm, WarmUp int
	// Progress receives one line per cold start and per tenth of a warm
	// scenario; nil discards them.
	Progress io.Writer
}

// ScenarioResult is what Run measured in one scenario.
type ScenarioResult struct {
	ID, Title string
	// Cold is true when every invocation was the first of a fresh RIE.
	Cold bool
	// Latency has one entry per measured invocation: from just before the
	// invoke request to the RIE until its response was read.
	Latency []time.Duration
	// Floor has the floor of each invocation (same index): the time the
	// same round trips took when made one after the other by Replayer;
	// zero for an invocation without round trips.
	Floor []time.Duration
	// Invocations has the calls of each measured invocation, in the order
	// they started.
	Invocations [][]Call
	// PeakRSS is the largest VmHWM, in bytes, of the scenario's bootstrap
	// processes, read after their last invocation.
	PeakRSS int64
	// Functions is the number of RIE + bootstrap processes started.
	Functions int
}

// Run starts the local stack (its own moto, the Adobe emulator, the
// Recorder's servers in front of both) and measures the scenarios (a), (b),
// (c) and no-op, in that order. It fails on the first invocation that does
// not succeed, or whose floor does not make the same calls with the same
// statuses: a benchmark of failures would be worthless.
func Run(ctx context.Context, cfg Config) (_ []ScenarioResult, err error) {
	switch {
	case cfg.RIE == "" || cfg.Bootstrap == "":
		return nil, errors.New("benchrun: RIE and Bootstrap are required")
	case cfg.Cold < 1 || cfg.Warm < 1 || cfg.WarmUp < 0:
		return nil, fmt.Errorf("benchrun: need at least one cold and one warm invocation and no negative warm-up (got %d, %d, %d)", cfg.Cold, cfg.Warm, cfg.WarmUp)
	}
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	// Every cold start execs the bootstrap anew: a private copy keeps a
	// rebuild of cfg.Bootstrap during the run from changing what is measured.
	dir, err := os.MkdirTemp("", "benchrun-")
	if err != nil {
		return nil, fmt.Errorf("benchrun: %w", err)
	}
	defer func() { err = errors.Join(err, os.RemoveAll(dir)) }()
	if cfg.Bootstrap, err = copyExecutable(cfg.Bootstrap, filepath.Join(dir, "bootstrap")); err != nil {
		return nil, err
	}
	accounts := []string{newStreamAccount, replayAccount}
	for i := range cfg.Cold {
		accounts = append(accounts, coldAccount(i), floorAccount(i))
	}
	st, err := localenv.StartStack(ctx, localenv.StackOptions{MotoBin: cfg.MotoBin, Accounts: accounts})
	if err != nil {
		return nil, fmt.Errorf("benchrun: %w", err)
	}
	defer func() { err = errors.Join(err, st.Close()) }()

	env := st.Env()
	if err := removeRules(ctx, st.AWS, env["EVENT_BUS_NAME"]); err != nil {
		return nil, err
	}
	rec := NewRecorder(env["KINESIS_SECRET_ID"], env["ADOBE_SECRET_ID"])
	awsURL, closeAWS, err := serve(ctx, rec.Handler(EndpointAWS, st.Faults()))
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, closeAWS()) }()
	adobeURL, closeAdobe, err := serve(ctx, rec.Handler(EndpointAdobe, st.Emulator()))
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, closeAdobe()) }()

	b := &bench{
		cfg: cfg, st: st, rec: rec, awsURL: awsURL, adobeURL: adobeURL,
		env: map[string]string{
			"AWS_ENDPOINT_URL": awsURL,
			"FLOW_SERVICE_URL": adobeURL + adobeemu.FlowBasePath,
			"IMS_URL":          adobeURL,
		},
	}
	var results []ScenarioResult
	cold, err := b.cold(ctx)
	if err != nil {
		return nil, err
	}
	results = append(results, cold)
	for _, spec := range warmSpecs() {
		r, err := b.warm(ctx, spec)
		if err != nil {
			return nil, err
		}
		results = append(results, r)
	}
	return results, nil
}

// copyExecutable copies the executable src to dst.
func copyExecutable(src, dst string) (string, error) {
	b, err := os.ReadFile(src) //nolint:gosec // G304: the bootstrap the caller names is the file to measure
	if err != nil {
		return "", fmt.Errorf("benchrun: copy the bootstrap: %w", err)
	}
	if err := os.WriteFile(dst, b, 0o700); err != nil { //nolint:gosec // G306: the RIE must execute it
		return "", fmt.Errorf("benchrun: copy the bootstrap: %w", err)
	}
	return dst, nil
}

// serve serves h on a loopback port until the returned function is called.
func serve(ctx context.Context, h http.Handler) (string, func() error, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("benchrun: listen: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln) // http.ErrServerClosed after Close
	}()
	return "http://" + ln.Addr().String(), func() error {
		err := srv.Close()
		<-done
		return err
	}, nil
}

// bench runs the scenarios on one stack.
type bench struct {
	cfg              Config
	st               *localenv.Stack
	rec              *Recorder
	awsURL, adobeURL string
	env              map[string]string
}

func (b *bench) start(ctx context.Context) (*localenv.Function, error) {
	fn, err := b.st.StartFunction(ctx, localenv.FunctionOptions{RIE: b.cfg.RIE, Bootstrap: b.cfg.Bootstrap}, b.env)
	if err != nil {
		return nil, fmt.Errorf("benchrun: %w", err)
	}
	return fn, nil
}

// invocation is one checked invoke and the calls it made.
type invocation struct {
	latency time.Duration
	payload []byte
	calls   []Call
	next    int // Recorder mark after the invocation's calls
}

// invoke times one invoke and collects its calls. It fails when the
// invoke fails, times out, returns a function error, or a call was still in
// flight, unanswered or answered with a server error when it returned.
func (b *bench) invoke(ctx context.Context, fn *localenv.Function, payload []byte) (invocation, error) {
	mark := b.rec.Mark()
	ictx, cancel := context.WithTimeout(ctx, invokeTimeout)
	defer cancel()
	// inv.Latency ends when the answer was read; Invoke then waits for the
	// RIE's REPORT log line, which is no part of what a caller waits for.
	inv, err := fn.Invoke(ictx, payload)
	if err != nil {
		return invocation{}, fmt.Errorf("benchrun: %w", err)
	}
	switch {
	case inv.TimedOut:
		return invocation{}, fmt.Errorf("benchrun: the invocation timed out: %s; logs:\n%s", inv.Payload, tail(fn.Logs()))
	case inv.Err != nil:
		return invocation{}, fmt.Errorf("benchrun: the invocation failed: %w; logs:\n%s", inv.Err, tail(fn.Logs()))
	}
	calls := b.rec.Since(mark)
	for _, c := range calls {
		switch {
		case c.End.IsZero():
			return invocation{}, fmt.Errorf("benchrun: %s was still in flight when the function answered", c.Op)
		case c.Status == 0 || c.Status >= 500:
			return invocation{}, fmt.Errorf("benchrun: %s answered %d: the benchmark needs a healthy stack; logs:\n%s", c.Op, c.Status, tail(fn.Logs()))
		}
	}
	return invocation{latency: inv.Latency, payload: inv.Payload, calls: calls, next: mark + len(calls)}, nil
}

// floor replays inv's calls with rp and checks that they did the same.
func (b *bench) floor(ctx context.Context, rp *Replayer, inv invocation, rewrite *strings.Replacer) (time.Duration, error) {
	mark := b.rec.Mark()
	if mark != inv.next {
		return 0, fmt.Errorf("benchrun: the function made calls after it answered: %s", describe(b.rec.Since(inv.next)))
	}
	if len(inv.calls) == 0 {
		return 0, nil
	}
	d, err := rp.Replay(ctx, inv.calls, rewrite)
	if err != nil {
		return 0, fmt.Errorf("benchrun: %w", err)
	}
	if why := sameCalls(inv.calls, b.rec.Since(mark)); why != "" {
		return 0, fmt.Errorf("benchrun: the floor is not the same round trips: %s", why)
	}
	return d, nil
}

// cold measures scenario (a): for each cold start a fresh RIE, a new
// account and stream, and a floor on fresh connections for another new
// account (the floor's writes must succeed as the function's did).
func (b *bench) cold(ctx context.Context) (ScenarioResult, error) {
	res := ScenarioResult{ID: ScenarioCold, Title: "cold container, new account, new stream", Cold: true}
	for i := range b.cfg.Cold {
		lat, floor, calls, rss, err := b.coldOnce(ctx, i)
		if err != nil {
			return res, fmt.Errorf("%w (cold start %d)", err, i+1)
		}
		res.Latency = append(res.Latency, lat)
		res.Floor = append(res.Floor, floor)
		res.Invocations = append(res.Invocations, strip(calls))
		res.PeakRSS = max(res.PeakRSS, rss)
		res.Functions++
		fmt.Fprintf(b.cfg.Progress, "(a) cold start %d/%d: %s, floor %s, %d round trips\n", i+1, b.cfg.Cold, ms(lat), ms(floor), len(calls))
	}
	return res, nil
}

func (b *bench) coldOnce(ctx context.Context, i int) (lat, floor time.Duration, calls []Call, rss int64, err error) {
	fn, err := b.start(ctx)
	if err != nil {
		return 0, 0, nil, 0, err
	}
	defer func() {
		if cerr := fn.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("benchrun: %w", cerr)
		}
	}()
	acct, stream := coldAccount(i), fmt.Sprintf("bench-cold-%04d", i)
	inv, err := b.invoke(ctx, fn, provisionEvent(localenv.NewRequestID(), acct, stream))
	if err != nil {
		return 0, 0, nil, 0, err
	}
	if _, err := checkOutcome(inv.payload, expectation{status: "provisioned", account: acct, stream: stream, created: true}); err != nil {
		return 0, 0, nil, 0, err
	}
	if rss, err = fn.PeakRSS(); err != nil {
		return 0, 0, nil, 0, fmt.Errorf("benchrun: %w", err)
	}
	rp, err := NewReplayer(b.awsURL, b.adobeURL) // fresh connections
	if err != nil {
		return 0, 0, nil, 0, err
	}
	defer rp.Close()
	floor, err = b.floor(ctx, rp, inv, strings.NewReplacer(acct, floorAccount(i)))
	if err != nil {
		return 0, 0, nil, 0, err
	}
	return inv.latency, floor, inv.calls, rss, nil
}

// warmSpec describes a warm scenario.
type warmSpec struct {
	id, title string
	// event returns the payload of invocation i (i < 0: warm-up -i) and the
	// rewrite its floor needs (nil: none).
	event func(i int) ([]byte, *strings.Replacer)
	// expect is what every invocation must answer.
	expect expectation
	// sameConnection requires every answer to name the connection the
	// first invocation answered.
	sameConnection bool
}

func warmSpecs() []warmSpec {
	replayEvent := provisionEvent(localenv.NewRequestID(), replayAccount, "bench-replay")
	return []warmSpec{
		{
			id: ScenarioNewStream, title: "warm container, known account, new stream",
			event: func(i int) ([]byte, *strings.Replacer) {
				// Warm-up and measured streams, and their floors' streams,
				// all differ; a floor's stream name has the same length as
				// the function's.
				fn, fl := "fn", "fl"
				if i < 0 {
					fn, fl, i = "wu", "fw", -i
				}
				s := fmt.Sprintf("bench-new-%s-%06d", fn, i)
				return provisionEvent(localenv.NewRequestID(), newStreamAccount, s), strings.NewReplacer(s, fmt.Sprintf("bench-new-%s-%06d", fl, i))
			},
			expect: expectation{status: "provisioned", account: newStreamAccount},
		},
		{
			id: ScenarioReplay, title: "warm container, replay of a provisioned stream",
			event:          func(int) ([]byte, *strings.Replacer) { return replayEvent, nil },
			expect:         expectation{status: "provisioned", account: replayAccount, stream: "bench-replay"},
			sameConnection: true,
		},
		{
			id: ScenarioNoop, title: "warm container, an event the function skips (RIE and runtime alone)",
			event:  func(int) ([]byte, *strings.Replacer) { return noopEvent(), nil },
			expect: expectation{status: "skipped"},
		},
	}
}

// warm measures a warm scenario on one RIE: a first (provisioning, cold)
// invocation and WarmUp more, unmeasured; one unmeasured floor to open the
// floor's connections; then Warm measured invocations, each followed by its
// floor on the same warm connections.
func (b *bench) warm(ctx context.Context, spec warmSpec) (_ ScenarioResult, err error) {
	res := ScenarioResult{ID: spec.id, Title: spec.title, Functions: 1}
	fn, err := b.start(ctx)
	if err != nil {
		return res, err
	}
	defer func() {
		if cerr := fn.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("benchrun: %w", cerr)
		}
	}()
	rp, err := NewReplayer(b.awsURL, b.adobeURL)
	if err != nil {
		return res, err
	}
	defer rp.Close()

	connection := ""
	check := func(inv invocation) error {
		id, err := checkOutcome(inv.payload, spec.expect)
		if err != nil {
			return fmt.Errorf("%w (scenario %s)", err, spec.id)
		}
		if spec.sameConnection {
			if connection == "" {
				connection = id
			} else if id != connection {
				return fmt.Errorf("benchrun: scenario %s answered connection %q, earlier %q", spec.id, id, connection)
			}
		}
		return nil
	}
	for w := range b.cfg.WarmUp + 1 {
		payload, rewrite := spec.event(-w - 1)
		inv, err := b.invoke(ctx, fn, payload)
		if err != nil {
			return res, fmt.Errorf("%w (scenario %s, warm-up %d)", err, spec.id, w)
		}
		if err := check(inv); err != nil {
			return res, err
		}
		if w == b.cfg.WarmUp && w > 0 {
			if _, err := b.floor(ctx, rp, inv, rewrite); err != nil {
				return res, fmt.Errorf("%w (scenario %s, warm-up floor)", err, spec.id)
			}
		}
	}
	for i := range b.cfg.Warm {
		payload, rewrite := spec.event(i)
		inv, err := b.invoke(ctx, fn, payload)
		if err != nil {
			return res, fmt.Errorf("%w (scenario %s, invocation %d)", err, spec.id, i+1)
		}
		if err := check(inv); err != nil {
			return res, err
		}
		floor, err := b.floor(ctx, rp, inv, rewrite)
		if err != nil {
			return res, fmt.Errorf("%w (scenario %s, invocation %d)", err, spec.id, i+1)
		}
		res.Latency = append(res.Latency, inv.latency)
		res.Floor = append(res.Floor, floor)
		res.Invocations = append(res.Invocations, strip(inv.calls))
		if n := i + 1; n%max(1, b.cfg.Warm/10) == 0 || n == b.cfg.Warm {
			s, f := Summarize(res.Latency), Summarize(res.Floor)
			fmt.Fprintf(b.cfg.Progress, "(%s) %d/%d warm invocations: p50 %s, floor p50 %s\n", spec.id, n, b.cfg.Warm, ms(s.P50), ms(f.P50))
		}
	}
	if res.PeakRSS, err = fn.PeakRSS(); err != nil {
		return res, fmt.Errorf("benchrun: %w", err)
	}
	return res, nil
}

// provisionEvent is a custom EventBridge provisioning event for a stream
// of account in eventRegion.
// event is an EventBridge event.
type event struct {
	Version    string            `json:"version"`
	ID         string            `json:"id"`
	DetailType string            `json:"detail-type"`
	Source     string            `json:"source"`
	Account    string            `json:"account"`
	Time       string            `json:"time"`
	Region     string            `json:"region"`
	Resources  []string          `json:"resources"`
	Detail     map[string]string `json:"detail"`
}

func (e event) payload() []byte {
	b, _ := json.Marshal(e) // strings only: cannot fail
	return b
}

// provisionEvent is a custom EventBridge provisioning event for a stream
// of account in eventRegion.
func provisionEvent(id, account, stream string) []byte {
	return event{
		Version: "0", ID: id, DetailType: "Provision Kinesis Connection", Source: "custom.kinesis.provisioning",
		Account: account, Time: "2026-12-01T00:00:00Z", Region: eventRegion, Resources: []string{},
		Detail: map[string]string{"region": eventRegion, "streamName": stream, "accountId": account},
	}.payload()
}

// noopEvent is an EventBridge event no trigger handles: the function skips
// it with one log line and no round trip.
func noopEvent() []byte {
	return event{
		Version: "0", ID: localenv.NewRequestID(), DetailType: "Benchmark No-op", Source: "benchmark.noop",
		Account: localenv.FunctionAccountID, Time: "2026-12-01T00:00:00Z", Region: eventRegion,
		Resources: []string{}, Detail: map[string]string{},
	}.payload()
}

// expectation is what an invocation must answer.
type expectation struct {
	status  string // "provisioned" or "skipped"
	account string // result.accountId, when set
	stream  string // result.streamName, when set
	created bool   // result.created must be true
}

// checkOutcome checks an EventBridge invocation's answer
// ({"status":..,"result":{..}}) and returns its connection id.
func checkOutcome(payload []byte, want expectation) (string, error) {
	var out struct {
		Status string `json:"status"`
		Reason string `json:"reason"`
		Result *struct {
			ConnectionID string `json:"connectionId"`
			Created      bool   `json:"created"`
			AccountID    string `json:"accountId"`
			StreamName   string `json:"streamName"`
		} `json:"result"`
	}
	if err := json.Unmarshal(payload, &out); err != nil {
		return "", fmt.Errorf("benchrun: the function answered %.200q, not an outcome: %w", payload, err)
	}
	if out.Status != want.status {
		return "", fmt.Errorf("benchrun: the function answered status %q (reason %q), want %q", out.Status, out.Reason, want.status)
	}
	if want.status != "provisioned" {
		return "", nil
	}
	r := out.Result
	switch {
	case r == nil || r.ConnectionID == "":
		return "", fmt.Errorf("benchrun: the function answered %.200q: no connection id", payload)
	case want.account != "" && r.AccountID != want.account:
		return "", fmt.Errorf("benchrun: the function answered account %q, want %q", r.AccountID, want.account)
	case want.stream != "" && r.StreamName != want.stream:
		return "", fmt.Errorf("benchrun: the function answered stream %q, want %q", r.StreamName, want.stream)
	case want.created && !r.Created:
		return "", errors.New("benchrun: the function answered created=false for a new account: it did not create the connection")
	}
	return r.ConnectionID, nil
}

// tail returns the end of a function's logs for an error message (the
// function never logs secrets).
func tail(logs string) string {
	const n = 2048
	if len(logs) > n {
		return "…" + logs[len(logs)-n:]
	}
	return logs
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }
