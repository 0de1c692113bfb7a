package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/contracts"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/adobeemu"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/awsfault"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/localenv"
)

const createStreamEvent = "cloudtrail-createstream-provisioned.json"

var createStreamOutcome = caseOutcomes[createStreamEvent]

// TestSameEventThreeTimes: EventBridge delivers at least once.
func TestSameEventThreeTimes(t *testing.T) {
	t.Parallel()
	st := newStack(t, localenv.StackOptions{})
	warm := startFunction(t, st, nil)
	event := readEvent(t, createStreamEvent)
	var answers []answer
	for _, fn := range []*localenv.Function{warm, warm, startFunction(t, st, nil)} {
		inv := invoke(t, fn, event)
		if inv.Err != nil {
			t.Fatalf("invocation failed: %v", inv.Err)
		}
		answers = append(answers, checkProvisioned(t, st, inv, createStreamOutcome))
	}
	want := []answer{{answers[0].id, true}, {answers[0].id, false}, {answers[0].id, false}}
	if fmt.Sprint(answers) != fmt.Sprint(want) {
		t.Errorf("answers = %v, want %v", answers, want)
	}
	// Each invocation wrote its EMF metrics line.
	if got := emfValues(t, warm.Logs(), "ConnectionsCreated"); fmt.Sprint(got) != "[1 0]" {
		t.Errorf("ConnectionsCreated per invocation = %v, want [1 0]", got)
	}
	if got := emfValues(t, warm.Logs(), "ColdStart"); fmt.Sprint(got) != "[1 0]" {
		t.Errorf("ColdStart per invocation = %v, want [1 0]", got)
	}
}

// TestPublishFailureThenLambdaRetry: the connection is created, PutEvents
// refuses the entry on every re-send, the invocation fails; Lambda's retry of
// the same event publishes the same id and creates nothing.
func TestPublishFailureThenLambdaRetry(t *testing.T) {
	t.Parallel()
	st := newStack(t, localenv.StackOptions{})
	fn := startFunction(t, st, nil)
	st.Faults().Inject(awsfault.Fault{Operation: awsfault.PutEventsOperation, Kind: awsfault.PartialFailure, Times: -1})
	event := readEvent(t, createStreamEvent)

	inv := invoke(t, fn, event)
	if inv.Err == nil || inv.Err.ErrorType != "RetryableError" {
		t.Fatalf("first invocation = %s, want a RetryableError so that Lambda retries", inv.Payload)
	}
	if got := st.Emulator().Count("POST", "/connections"); got != 1 {
		t.Fatalf("POST /connections = %d, want 1 before the retry", got)
	}
	st.Faults().Reset()

	retry := invoke(t, fn, event)
	if retry.Err != nil {
		t.Fatalf("retry failed: %v", retry.Err)
	}
	a := checkProvisioned(t, st, retry, createStreamOutcome)
	if !a.created {
		t.Error("the retry of the creating event must announce the creation (created=true)")
	}
}

// TestTwentyAtOnce: infrastructure as code creates many streams in one
// account at once; 20 Lambda containers run at the same time.
func TestTwentyAtOnce(t *testing.T) {
	t.Parallel()
	st := newStack(t, localenv.StackOptions{})
	fns := make([]*localenv.Function, 20)
	var start sync.WaitGroup
	for i := range fns {
		start.Go(func() { fns[i] = startFunction(t, st, map[string]string{"LOCK_WAIT": "15s"}) })
	}
	start.Wait()
	if t.Failed() {
		t.FailNow()
	}

	ids := make([]string, len(fns))
	created := make([]bool, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Go(func() {
			// Each container gets its own stream, as CreateStream events would.
			payload := customEvent(t, fmt.Sprintf("stream-%02d", i))
			for attempt := 1; ; attempt++ {
				inv, err := fn.Invoke(t.Context(), payload)
				if err != nil {
					t.Errorf("container %d: %v", i, err)
					return
				}
				if inv.Err != nil && inv.Err.ErrorType == "RetryableError" && attempt < 3 {
					continue // what Lambda's asynchronous retry would do
				}
				if inv.Err != nil || inv.TimedOut {
					t.Errorf("container %d: %s", i, inv.Payload)
					return
				}
				var out struct {
					Result struct {
						ConnectionID string
						Created      bool
					}
				}
				if err := json.Unmarshal(inv.Payload, &out); err != nil {
					t.Errorf("container %d: %v", i, err)
				}
				ids[i], created[i] = out.Result.ConnectionID, out.Result.Created
				return
			}
		})
	}
	wg.Wait()
	emu := st.Emulator()
	if got := emu.Count("POST", "/connections"); got != 1 {
		t.Errorf("POST /connections = %d, want 1", got)
	}
	if got := len(emu.Connections("prod")); got != 1 {
		t.Fatalf("connections = %d, want 1", got)
	}
	n := 0
	for i, id := range ids {
		if id != emu.Connections("prod")[0].ID {
			t.Errorf("container %d reported %q, want %q", i, id, emu.Connections("prod")[0].ID)
		}
		if created[i] {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d containers report created=true, want 1", n)
	}
	if events := receive(t, st, len(fns)); len(events) != len(fns) {
		t.Errorf("published %d events, want %d", len(events), len(fns))
	}
}

// emfValues returns the value of metric in each EMF line of logs.
func emfValues(t *testing.T, logs, metric string) []float64 {
	t.Helper()
	var out []float64
	for _, line := range strings.Split(logs, "\n") {
		if !strings.Contains(line, `"_aws"`) || strings.Contains(line, `"FailureKind"`) {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("EMF line %q: %v", line, err)
		}
		v, _ := m[metric].(float64)
		out = append(out, v)
	}
	return out
}

// customEvent is a custom provisioning event for account 111122223333.
func customEvent(t *testing.T, stream string) []byte {
	t.Helper()
	return mustJSON(t, map[string]any{
		"version": "0", "id": "evt-" + stream, "detail-type": "Provision Kinesis Connection", "source": "custom.kinesis.provisioning",
		"account": "111122223333", "time": "2026-12-02T08:00:00Z", "region": "eu-west-1", "resources": []string{},
		"detail": map[string]string{"region": "eu-west-1", "streamName": stream},
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestExistingConnectionOnPageThree: a connection made elsewhere (the AEP UI,
// an earlier version) is found by name through the listing's pages and
// adopted instead of duplicated.
func TestExistingConnectionOnPageThree(t *testing.T) {
	t.Parallel()
	st := newStack(t, localenv.StackOptions{Adobe: adobeemu.Options{PageSize: 2}})
	emu := st.Emulator()
	spec := adobeemu.SpecRef{ID: contracts.KinesisConnectionSpecID, Version: "1.0"}
	name := "Amazon Kinesis 111122223333 eu-west-1"
	// Connections of other accounts, and two pages of disabled namesakes
	// first (the emulator lists matches in creation order), so the one to
	// adopt is on page 3 of the filtered listing.
	for i := range 3 {
		emu.SeedConnection("prod", adobeemu.Connection{Name: fmt.Sprintf("Amazon Kinesis 99999999999%d eu-west-1", i), ConnectionSpec: spec, State: "enabled"})
	}
	for range 4 {
		emu.SeedConnection("prod", adobeemu.Connection{Name: name, ConnectionSpec: spec, State: "disabled"})
	}
	existing := emu.SeedConnection("prod", adobeemu.Connection{Name: name, ConnectionSpec: spec, State: "enabled"})

	fn := startFunction(t, st, nil)
	inv := invoke(t, fn, readEvent(t, createStreamEvent))
	if inv.Err != nil {
		t.Fatalf("invocation failed: %v", inv.Err)
	}
	if got := emu.Count("POST", "/connections"); got != 0 {
		t.Errorf("POST /connections = %d, want 0", got)
	}
	if got := emu.Count("GET", "/connections"); got != 3 {
		t.Errorf("GET /connections pages = %d, want 3", got)
	}
	id, created := functionAnswer(t, inv, false)
	if id != existing.ID || created {
		t.Errorf("answer = %s created %v, want the existing %s adopted", id, created, existing.ID)
	}
	if events := receive(t, st, 1); events[0].Detail.ConnectionID != existing.ID || events[0].Detail.Created {
		t.Errorf("published %+v, want the existing connection, created false", events[0].Detail)
	}
}

// TestLockOfAKilledInvocation: Lambda kills an invocation at its timeout
// while it holds the lock; the lock expires at that deadline and the next
// invocation after it proceeds.
func TestLockOfAKilledInvocation(t *testing.T) {
	t.Parallel()
	st := newStack(t, localenv.StackOptions{})
	emu := st.Emulator()
	emu.Inject(adobeemu.Fault{Method: "POST", Path: "/connections", Hang: true})
	env := map[string]string{"LOCK_WAIT": "1s"}
	const timeout = 4 * time.Second
	doomed, err := st.StartFunction(t.Context(), localenv.FunctionOptions{RIE: e2e.rie, Bootstrap: e2e.bootstrap, Timeout: timeout}, env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = doomed.Close() })
	event := readEvent(t, createStreamEvent)
	started := time.Now()
	go func() { _, _ = doomed.Invoke(t.Context(), event) }()
	for emu.Count("POST", "/connections") == 0 {
		if time.Since(started) > timeout {
			t.Fatal("the first invocation never reached POST /connections")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := doomed.Kill(); err != nil {
		t.Fatal(err)
	}

	next := startFunction(t, st, env)
	early := invoke(t, next, event)
	if early.Err == nil || early.Err.ErrorType != "RetryableError" {
		t.Errorf("invocation while the dead lock is alive = %s, want a RetryableError", early.Payload)
	}
	time.Sleep(time.Until(started.Add(timeout + time.Second)))
	inv := invoke(t, next, event)
	if inv.Err != nil {
		t.Fatalf("invocation after the deadline failed: %v", inv.Err)
	}
	id, created := functionAnswer(t, inv, false)
	conns := emu.Connections("prod")
	if len(conns) != 1 || conns[0].ID != id || !created {
		t.Errorf("connections %d, answer %s created %v; want the one connection, created by the invocation after the deadline", len(conns), id, created)
	}
	if events := receive(t, st, 1); events[0].Detail.ConnectionID != id {
		t.Errorf("published %+v, want connection %s", events[0].Detail, id)
	}
}

// TestEventsThatAreNotOurs: no Flow Service call, no publication, no error
// that would make Lambda retry.
func TestEventsThatAreNotOurs(t *testing.T) {
	t.Parallel()
	var forged map[string]any
	if err := json.Unmarshal(readEvent(t, createStreamEvent), &forged); err != nil {
		t.Fatal(err)
	}
	forged["source"] = "attacker.kinesis"
	payloads := map[string][]byte{
		"forged CloudTrail look-alike": mustJSON(t, forged),
		"our own output": mustJSON(t, map[string]any{
			"version": "0", "id": "own-1", "detail-type": "Kinesis Connection Provisioned", "source": "aep.kinesis.provisioner",
			"account": "111122223333", "time": "2026-12-02T08:00:00Z", "region": "eu-west-1", "resources": []string{},
			"detail": map[string]any{"connectionId": "c", "accountId": "111122223333", "region": "eu-west-1", "streamName": "s"},
		}),
		"CloudTrail DeleteTable": mustJSON(t, map[string]any{
			"version": "0", "id": "ddb-1", "detail-type": "AWS API Call via CloudTrail", "source": "aws.dynamodb",
			"account": "111122223333", "time": "2026-12-02T08:00:00Z", "region": "eu-west-1", "resources": []string{},
			"detail": map[string]any{"eventSource": "dynamodb.amazonaws.com", "eventName": "DeleteTable", "awsRegion": "eu-west-1",
				"recipientAccountId": "111122223333", "requestParameters": map[string]string{"tableName": "orders"}},
		}),
	}
	st := newStack(t, localenv.StackOptions{})
	fn := startFunction(t, st, nil)
	for name, payload := range payloads {
		inv := invoke(t, fn, payload)
		var out struct{ Status string }
		if inv.Err != nil || json.Unmarshal(inv.Payload, &out) != nil || out.Status != "skipped" {
			t.Errorf("%s: result %s, want a skip without error", name, inv.Payload)
		}
	}
	if n := len(st.Emulator().Requests()); n != 0 {
		t.Errorf("Adobe requests = %d, want 0", n)
	}
	if n := st.Faults().Calls("secretsmanager.GetSecretValue"); n != 0 {
		t.Errorf("secret reads = %d, want 0", n)
	}
	if published, err := st.Sink.Drain(t.Context(), 300*time.Millisecond); err != nil || len(published) != 0 {
		t.Errorf("published %d events (%v), want 0", len(published), err)
	}
}
