package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/localenv"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/schemas"
)

// The end-to-end tests run the real bootstrap under the Runtime Interface
// Emulator against moto_server and the Adobe emulator, as `sam local invoke`
// would run it. They share one moto per test binary; every test gets its own
// emulator, resource names and function processes.
var e2e struct {
	moto      *localenv.Moto
	rie       string
	bootstrap string
	err       error
}

func TestMain(m *testing.M) {
	flag.Parse()
	cleanup := func() {}
	if !testing.Short() {
		cleanup = setupE2E()
	}
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// setupE2E finds or builds what the end-to-end tests need. Failures are kept
// in e2e.err and reported by each test, so a missing moto_server fails the
// tests with the reason instead of skipping them.
func setupE2E() func() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	root, err := localenv.ModuleRoot()
	if err != nil {
		e2e.err = err
		return func() {}
	}
	var dir string
	if e2e.bootstrap = os.Getenv("PROVISIONER_BOOTSTRAP"); e2e.bootstrap == "" {
		if dir, err = os.MkdirTemp("", "provisioner-e2e-"); err != nil {
			e2e.err = err
			return func() {}
		}
		if e2e.bootstrap, err = localenv.BuildBootstrap(ctx, root, dir); err != nil {
			e2e.err = err
			return func() { os.RemoveAll(dir) }
		}
	}
	if e2e.rie, err = localenv.RIEPath(ctx, root); err != nil {
		e2e.err = err
		return func() { os.RemoveAll(dir) }
	}
	motoBin, err := localenv.FindMoto(root)
	if err != nil {
		e2e.err = err
		return func() { os.RemoveAll(dir) }
	}
	if e2e.moto, err = localenv.StartMoto(ctx, localenv.MotoOptions{Bin: motoBin}); err != nil {
		e2e.err = err
	}
	return func() {
		if e2e.moto != nil {
			_ = e2e.moto.Close()
		}
		if dir != "" {
			_ = os.RemoveAll(dir)
		}
	}
}

// newStack returns a fresh stack on the shared moto.
func newStack(t *testing.T, opts localenv.StackOptions) *localenv.Stack {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: needs moto_server and the RIE")
	}
	if e2e.err != nil {
		t.Fatalf("end-to-end set-up failed: %v", e2e.err)
	}
	opts.Moto = e2e.moto
	st, err := localenv.StartStack(t.Context(), opts)
	if err != nil {
		t.Fatalf("StartStack() error = %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// startFunction starts one simulated Lambda container on the stack.
func startFunction(t *testing.T, st *localenv.Stack, env map[string]string) *localenv.Function {
	t.Helper()
	fn, err := st.StartFunction(t.Context(), localenv.FunctionOptions{RIE: e2e.rie, Bootstrap: e2e.bootstrap, Timeout: 20 * time.Second}, env)
	if err != nil {
		t.Fatalf("StartFunction() error = %v", err)
	}
	t.Cleanup(func() {
		_ = fn.Close()
		// Every end-to-end test proves no secret reached a log line.
		checkNoSecretsIn(t, "function logs", fn.Logs(), issuedTokens(st)...)
		if t.Failed() {
			t.Logf("function logs:\n%s", fn.Logs())
		}
	})
	return fn
}

func invoke(t *testing.T, fn *localenv.Function, payload []byte) *localenv.Invocation {
	t.Helper()
	inv, err := fn.Invoke(t.Context(), payload)
	if err != nil {
		t.Fatalf("Invoke() error = %v", err)
	}
	if inv.TimedOut {
		t.Fatalf("the invocation timed out: %s", inv.Payload)
	}
	// Responses and error messages never carry a secret.
	checkNoSecretsIn(t, "invocation result", string(inv.Payload))
	return inv
}

func readEvent(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// caseOutcome is what a file in events/ must produce (see the cases table
// in the README and ../shared/cases/README.md).
type caseOutcome struct {
	api        bool   // an API Gateway payload: the answer is an HTTP response
	skipReason string // skipped events: part of the logged reason
	// deletes: a DeleteStream of the stream that `before` provisioned.
	deletes bool
	// reconciles: a scheduled reconciliation of every served account.
	reconciles bool
	before     string
	account    string
	region     string
	sandbox    string
	stream     string
}

var caseOutcomes = map[string]caseOutcome{
	"cloudtrail-createstream-provisioned.json": {account: "111122223333", region: "eu-west-1", sandbox: "prod", stream: "orders-clickstream"},
	"cloudtrail-createstream-ondemand.json":    {account: "444455556666", region: "us-east-2", sandbox: "prod", stream: "iot-telemetry.v2"},
	"cloudtrail-createstream-failed.json":      {skipReason: "CreateStream failed with ResourceInUseException"},
	"custom-provision-request.json":            {account: "111122223333", region: "eu-west-1", sandbox: "prod", stream: "payments-events"},
	// API requests without accountId are for the function's own account.
	"apigw-rest-v1-post.json":        {api: true, account: localenv.FunctionAccountID, region: "eu-west-1", sandbox: "prod", stream: "orders-clickstream"},
	"apigw-http-v2-post-base64.json": {api: true, account: localenv.FunctionAccountID, region: "us-east-2", sandbox: "dev-sandbox", stream: "iot-telemetry.v2"},
	"apigw-http-v2-post.json":        {api: true, account: localenv.FunctionAccountID, region: "us-east-2", sandbox: "dev-sandbox", stream: "iot-telemetry.v2"},
	"direct-invocation.json":         {account: "111122223333", region: "eu-west-1", sandbox: "prod", stream: "orders-clickstream"},
	"scheduled-reconcile.json":       {reconciles: true},
	// The stack's secrets have names of their own: the sample's (which env.json
	// names, for sam local invoke) is not the Kinesis keys' secret here.
	"secretsmanager-rotation-succeeded.json": {skipReason: "is not the Kinesis keys' secret"},
	"cloudtrail-deletestream.json": {deletes: true, before: "cloudtrail-createstream-provisioned.json",
		account: "111122223333", region: "eu-west-1", sandbox: "prod", stream: "orders-clickstream"},
}

// TestEveryEventFileHasAnOutcome keeps events/ and the table in step.
func TestEveryEventFileHasAnOutcome(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("..", "..", "events", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
		if _, ok := caseOutcomes[filepath.Base(f)]; !ok {
			t.Errorf("events/%s has no expected outcome in caseOutcomes", filepath.Base(f))
		}
	}
	for name := range caseOutcomes {
		if !slices.Contains(names, name) {
			t.Errorf("caseOutcomes names %s, which is not in events/", name)
		}
	}
}

// TestEventFiles runs every file in events/ through the real bootstrap and
// checks its outcome; then replays it, which must reuse the connection (the
// replay line of the handed cases).
func TestEventFiles(t *testing.T) {
	t.Parallel()
	for name, want := range caseOutcomes {
		t.Run(strings.TrimSuffix(name, ".json"), func(t *testing.T) {
			t.Parallel()
			st := newStack(t, localenv.StackOptions{})
			fn := startFunction(t, st, nil)
			if want.deletes {
				checkDeleteStream(t, st, fn, name, want)
				return
			}
			if want.reconciles {
				checkScheduledReconcile(t, st, fn, name)
				return
			}
			inv := invoke(t, fn, readEvent(t, name))
			if inv.Err != nil {
				t.Fatalf("invocation failed: %v", inv.Err)
			}
			if want.skipReason != "" {
				checkSkipped(t, st, fn, inv, want.skipReason)
				return
			}
			first := checkProvisioned(t, st, inv, want)
			if !first.created {
				t.Errorf("first run says created=false")
			}

			replay := invoke(t, fn, readEvent(t, name))
			if replay.Err != nil {
				t.Fatalf("replay failed: %v", replay.Err)
			}
			again := checkProvisioned(t, st, replay, want)
			if again.id != first.id || again.created {
				t.Errorf("replay = %s created %v, want %s created false", again.id, again.created, first.id)
			}
			checkNoSecretsIn(t, "function logs", fn.Logs())
		})
	}
}

// functionAnswer is the connection id and created flag from any kind of
// result, after checking the shape the trigger promises.
func functionAnswer(t *testing.T, inv *localenv.Invocation, api bool) (id string, created bool) {
	t.Helper()
	var res struct {
		ConnectionID string `json:"connectionId"`
		Created      bool   `json:"created"`
		Status       string `json:"status"`
		Result       *struct {
			ConnectionID string `json:"connectionId"`
			Created      bool   `json:"created"`
		} `json:"result"`
	}
	body := inv.Payload
	if api {
		var resp events.APIGatewayProxyResponse // same JSON for v2's statusCode, headers and body
		if err := json.Unmarshal(inv.Payload, &resp); err != nil {
			t.Fatalf("API answer %s: %v", inv.Payload, err)
		}
		if resp.StatusCode != 201 && resp.StatusCode != 200 {
			t.Fatalf("API status = %d, want 201 or 200: %s", resp.StatusCode, resp.Body)
		}
		if resp.Headers["Content-Type"] != "application/json" {
			t.Errorf("API Content-Type = %q", resp.Headers["Content-Type"])
		}
		body = []byte(resp.Body)
		if err := json.Unmarshal(body, &res); err != nil {
			t.Fatalf("API body %s: %v", body, err)
		}
		set, err := compiledSchemas()
		if err != nil {
			t.Fatal(err)
		}
		if err := set.Validate(schemas.ConnectionProvisioned, body); err != nil {
			t.Errorf("API answer does not match its schema: %v", err)
		}
		if (resp.StatusCode == 201) != res.Created {
			t.Errorf("API status %d with created=%v", resp.StatusCode, res.Created)
		}
		return res.ConnectionID, res.Created
	}
	if err := json.Unmarshal(body, &res); err != nil {
		t.Fatalf("result %s: %v", body, err)
	}
	if res.Result != nil {
		if res.Status != "provisioned" {
			t.Fatalf("status = %q, want provisioned: %s", res.Status, body)
		}
		return res.Result.ConnectionID, res.Result.Created
	}
	return res.ConnectionID, res.Created
}

// createdFlag reads the created field of any published detail: a boolean in
// "Kinesis Connection Provisioned", a count in a reconciliation summary
// (true when non-zero).
type createdFlag bool

func (f *createdFlag) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case bool:
		*f = createdFlag(x)
	case float64:
		*f = x != 0
	}
	return nil
}

type publishedEvent struct {
	DetailType string   `json:"detail-type"`
	Source     string   `json:"source"`
	Resources  []string `json:"resources"`
	Detail     struct {
		ConnectionID       string      `json:"connectionId"`
		ConnectionTest     string      `json:"connectionTest"`
		SourceConnectionID string      `json:"sourceConnectionId"`
		SourceCreated      bool        `json:"sourceConnectionCreated"`
		Status             string      `json:"status"`
		AdobeCode          string      `json:"adobeCode"`
		AdobeMessage       string      `json:"adobeMessage"`
		ETag               string      `json:"etag"`
		Created            createdFlag `json:"created"`
		AccountID          string      `json:"accountId"`
		Region             string      `json:"region"`
		StreamName         string      `json:"streamName"`
		StreamARN          string      `json:"streamArn"`
		Sandbox            string      `json:"sandbox"`
		ConnectionSpecID   string      `json:"connectionSpecId"`
		Trigger            string      `json:"trigger"`
		CorrelationID      string      `json:"correlationId"`
	} `json:"detail"`
}

// receive reads n published events, then makes sure no more arrive.
func receive(t *testing.T, st *localenv.Stack, n int) []publishedEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	raw, err := st.Sink.Receive(ctx, n)
	if err != nil {
		t.Fatalf("receive %d published events: %v (got %d)", n, err, len(raw))
	}
	extra, err := st.Sink.Drain(t.Context(), 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if len(extra) != 0 {
		t.Errorf("%d more events than the %d expected were published: %s", len(extra), n, extra)
	}
	out := make([]publishedEvent, len(raw))
	for i, r := range raw {
		checkNoSecretsIn(t, "published event", string(r))
		if err := json.Unmarshal(r, &out[i]); err != nil {
			t.Fatalf("published event %s: %v", r, err)
		}
		checkSchema(t, r)
	}
	return out
}

var compiledSchemas = sync.OnceValues(schemas.Compile)

// checkSchema validates a published event's detail against the schema of
// its detail type (the contract consumers generate bindings from).
func checkSchema(t *testing.T, envelope []byte) {
	t.Helper()
	var e struct {
		DetailType string          `json:"detail-type"`
		Detail     json.RawMessage `json:"detail"`
	}
	if err := json.Unmarshal(envelope, &e); err != nil {
		t.Fatal(err)
	}
	name, ok := schemas.ByDetailType[e.DetailType]
	if !ok {
		t.Errorf("published detail type %q has no schema", e.DetailType)
		return
	}
	set, err := compiledSchemas()
	if err != nil {
		t.Fatal(err)
	}
	if err := set.Validate(name, e.Detail); err != nil {
		t.Errorf("published %q does not match its schema: %v", e.DetailType, err)
	}
}

// answer is what one invocation reported.
type answer struct {
	id      string
	created bool
}

// checkProvisioned checks one successful invocation: its answer, the one
// connection in Flow Service, and the one event it published.
func checkProvisioned(t *testing.T, st *localenv.Stack, inv *localenv.Invocation, want caseOutcome) answer {
	t.Helper()
	id, created := functionAnswer(t, inv, want.api)
	emu := st.Emulator()
	if got := emu.Count("POST", "/connections"); got != 1 {
		t.Errorf("POST /connections calls = %d, want 1", got)
	}
	conns := emu.Connections(want.sandbox)
	if len(conns) != 1 {
		t.Fatalf("connections in sandbox %s = %d, want 1", want.sandbox, len(conns))
	}
	c := conns[0]
	if c.ID != id {
		t.Errorf("the function answered connection %q, Flow Service holds %q", id, c.ID)
	}
	if c.Auth.Params["region"] != want.region || !strings.Contains(c.Name, want.account) || !strings.Contains(c.Name, want.region) {
		t.Errorf("connection %q has region %q, want a connection named for %s/%s in %s", c.Name, c.Auth.Params["region"], want.account, want.region, want.region)
	}
	for _, r := range emu.Requests() {
		if r.Method == "POST" && strings.HasSuffix(r.Path, "/connections") && r.Header.Get("x-sandbox-name") != want.sandbox {
			t.Errorf("POST /connections carried x-sandbox-name %q, want %q", r.Header.Get("x-sandbox-name"), want.sandbox)
		}
	}
	events := receive(t, st, 1)
	e := events[0]
	arn := fmt.Sprintf("arn:aws:kinesis:%s:%s:stream/%s", want.region, want.account, want.stream)
	if e.DetailType != "Kinesis Connection Provisioned" || e.Source != "aep.kinesis.provisioner" {
		t.Errorf("published %q from %q", e.DetailType, e.Source)
	}
	d := e.Detail
	if d.ConnectionID != id || d.AccountID != want.account || d.Region != want.region || d.Sandbox != want.sandbox ||
		d.StreamName != want.stream || d.StreamARN != arn || d.ConnectionSpecID != "86043421-563b-46ec-8e6c-e23184711bf6" || d.CorrelationID == "" {
		t.Errorf("published detail = %+v, want connection %s for %s", d, id, arn)
	}
	if !slices.Contains(e.Resources, arn) {
		t.Errorf("resources = %v, want %s", e.Resources, arn)
	}
	if bool(d.Created) != created {
		t.Errorf("published created=%v, the function answered created=%v", d.Created, created)
	}
	srcs := emu.SourceConnections(want.sandbox)
	if len(srcs) != 1 || srcs[0].BaseConnectionID != id || srcs[0].Params["stream"] != want.stream || d.SourceConnectionID != srcs[0].ID {
		t.Errorf("source connections %+v, published %q; want one for %s on %s", srcs, d.SourceConnectionID, want.stream, id)
	}
	wantTest := "skipped"
	if created {
		wantTest = "passed"
	}
	if d.ConnectionTest != wantTest {
		t.Errorf("published connectionTest %q, want %q", d.ConnectionTest, wantTest)
	}
	return answer{id: id, created: created}
}

// checkScheduledReconcile: the schedule reconciles every served account in
// the function's region (no streams there: every summary counts none) and
// publishes one summary each.
func checkScheduledReconcile(t *testing.T, st *localenv.Stack, fn *localenv.Function, name string) {
	t.Helper()
	inv := invoke(t, fn, readEvent(t, name))
	var out struct {
		Status     string
		Reconciled []struct {
			AccountID, Region string
			Seen, Failed      int
		}
	}
	if inv.Err != nil || json.Unmarshal(inv.Payload, &out) != nil || out.Status != "reconciled" || len(out.Reconciled) != len(localenv.DemoAccounts) {
		t.Fatalf("result = %s, want one reconciliation per served account", inv.Payload)
	}
	for _, r := range out.Reconciled {
		if r.Region != localenv.StackRegion || r.Failed != 0 {
			t.Errorf("reconciliation %+v, want the function's region, no failure", r)
		}
	}
	for _, e := range receive(t, st, len(localenv.DemoAccounts)) {
		if e.DetailType != "Kinesis Reconciliation Completed" {
			t.Errorf("published %q, want the reconciliation summaries", e.DetailType)
		}
	}
}

// checkDeleteStream provisions with want.before, then deletes with name:
// the source connection goes, the base stays, one event says so; a replay is
// a no-op.
func checkDeleteStream(t *testing.T, st *localenv.Stack, fn *localenv.Function, name string, want caseOutcome) {
	t.Helper()
	if inv := invoke(t, fn, readEvent(t, want.before)); inv.Err != nil {
		t.Fatalf("provisioning before the delete failed: %v", inv.Err)
	}
	receive(t, st, 1)
	emu := st.Emulator()
	src := emu.SourceConnections(want.sandbox)
	if len(src) != 1 {
		t.Fatalf("source connections before the delete = %d, want 1", len(src))
	}
	inv := invoke(t, fn, readEvent(t, name))
	var out struct {
		Status        string
		Deprovisioned []struct{ Status, SourceConnectionID string }
	}
	if inv.Err != nil || json.Unmarshal(inv.Payload, &out) != nil || out.Status != "deprovisioned" ||
		len(out.Deprovisioned) != 1 || out.Deprovisioned[0].Status != "deleted" || out.Deprovisioned[0].SourceConnectionID != src[0].ID {
		t.Fatalf("DeleteStream result = %s, want the source connection deleted", inv.Payload)
	}
	if got := len(emu.SourceConnections(want.sandbox)); got != 0 {
		t.Errorf("source connections after the delete = %d, want 0", got)
	}
	if got := len(emu.Connections(want.sandbox)); got != 1 {
		t.Errorf("base connections after the delete = %d, want 1 (never deleted automatically)", got)
	}
	e := receive(t, st, 1)[0]
	if e.DetailType != "Kinesis Source Connection Deleted" || e.Detail.SourceConnectionID != src[0].ID || e.Detail.StreamName != want.stream {
		t.Errorf("published %q %+v, want the deletion of %s", e.DetailType, e.Detail, src[0].ID)
	}
	replay := invoke(t, fn, readEvent(t, name))
	if replay.Err != nil || !strings.Contains(string(replay.Payload), "not-provisioned") {
		t.Errorf("replayed DeleteStream = %s, want a not-provisioned no-op", replay.Payload)
	}
	if extra, _ := st.Sink.Drain(t.Context(), 200*time.Millisecond); len(extra) != 0 {
		t.Errorf("the replay published %d events", len(extra))
	}
}

func checkSkipped(t *testing.T, st *localenv.Stack, fn *localenv.Function, inv *localenv.Invocation, reason string) {
	t.Helper()
	var out struct{ Status, Reason string }
	if err := json.Unmarshal(inv.Payload, &out); err != nil || out.Status != "skipped" {
		t.Errorf("result = %s, want status skipped", inv.Payload)
	}
	if got := st.Faults().Calls("secretsmanager.GetSecretValue"); got != 0 {
		t.Errorf("secret reads = %d, want 0", got)
	}
	if got := len(st.Emulator().Requests()); got != 0 {
		t.Errorf("Adobe requests = %d, want 0", got)
	}
	published, err := st.Sink.Drain(t.Context(), 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if len(published) != 0 {
		t.Errorf("published %d events for a skipped event", len(published))
	}
	if n := strings.Count(fn.Logs(), reason); n != 1 {
		t.Errorf("log lines giving the reason %q = %d, want 1:\n%s", reason, n, fn.Logs())
	}
}

// checkNoSecretsIn fails when s holds any of the stack's secret values or
// of extra (e.g. IMS access tokens), as is or encoded (localenv.SecretForms).
func checkNoSecretsIn(t *testing.T, what, s string, extra ...string) {
	t.Helper()
	for _, found := range localenv.FindSecrets(s, append(localenv.DemoSecrets(), extra...)...) {
		t.Errorf("%s contains a secret value: %s", what, found)
	}
}

// issuedTokens are the IMS access tokens the emulator handed out: secrets
// too.
func issuedTokens(st *localenv.Stack) []string { return localenv.IssuedTokens(st.Emulator()) }
