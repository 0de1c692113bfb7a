package provision_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/contracts"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/adobeemu"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/eventbus"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/ledger"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/provision"
)

var (
	baseReq = provision.Request{AccountID: account, Region: "eu-west-1", StreamName: "orders", Sandbox: "prod", Trigger: provision.TriggerCloudTrail, CorrelationID: "evt-1"}
	baseKey = ledger.Key{AccountID: account, Region: "eu-west-1", Sandbox: "prod"}
	name    = "Amazon Kinesis 111122223333 eu-west-1"
)

func (f *fixture) posts() int { return f.emu.Count("POST", "/connections") }

func (f *fixture) createdFlags(t *testing.T) []bool {
	t.Helper()
	var out []bool
	for _, e := range f.pub.Events() {
		var d struct{ Created bool }
		if err := json.Unmarshal(e.Detail, &d); err != nil {
			t.Fatal(err)
		}
		out = append(out, d.Created)
	}
	return out
}

func TestReplayReusesTheConnection(t *testing.T) {
	t.Parallel()
	f := newFixture(t, provision.Config{})
	var ids []string
	for i := range 3 {
		res, err := f.svc.Provision(t.Context(), baseReq)
		if err != nil {
			t.Fatalf("Provision #%d error = %v", i+1, err)
		}
		if res.Created != (i == 0) {
			t.Errorf("Provision #%d Created = %v, want %v", i+1, res.Created, i == 0)
		}
		ids = append(ids, res.ConnectionID)
	}
	if ids[0] != ids[1] || ids[1] != ids[2] {
		t.Errorf("connection ids = %v, want one id", ids)
	}
	if f.posts() != 1 {
		t.Errorf("POST /connections = %d, want 1", f.posts())
	}
	if got := fmt.Sprint(f.createdFlags(t)); got != "[true false false]" {
		t.Errorf("published created flags = %s, want [true false false]", got)
	}
	if f.keys.Reads("kinesis/"+account) != 1 {
		t.Errorf("Kinesis secret reads = %d, want 1 (replays need no keys)", f.keys.Reads("kinesis/"+account))
	}
	// IMS token, the auth spec, the name look-up, the POST, the test, the
	// source look-up and POST; replays touch Adobe not at all.
	var got []string
	for _, r := range f.emu.Requests() {
		got = append(got, r.Method+" "+strings.TrimPrefix(r.Path, adobeemu.FlowBasePath))
	}
	want := []string{
		"POST /ims/token/v3", "GET /connectionSpecs/" + contracts.KinesisConnectionSpecID, "GET /connections", "POST /connections",
		"GET /connections/" + ids[0] + "/test", "GET /sourceConnections", "POST /sourceConnections",
	}
	if diff := cmp.Diff(want, got, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("Adobe requests (-want +got):\n%s", diff)
	}
}

func TestPublishFailureIsRetriedWithoutASecondConnection(t *testing.T) {
	t.Parallel()
	f := newFixture(t, provision.Config{})
	f.pub.FailNext(&eventbus.EntryError{Code: "InternalFailure"})
	_, err := f.svc.Provision(t.Context(), baseReq)
	var stepErr *provision.StepError
	if !errors.As(err, &stepErr) || stepErr.Step != provision.StepPublish || stepErr.ConnectionID == "" {
		t.Fatalf("first Provision error = %v, want a publish StepError naming the connection", err)
	}
	// Lambda retries the same event.
	res, err := f.svc.Provision(t.Context(), baseReq)
	if err != nil {
		t.Fatal(err)
	}
	if res.ConnectionID != stepErr.ConnectionID || !res.Created || res.ConnectionTest != provision.TestPassed {
		t.Errorf("retry = %s created %v test %q, want %s created true with the creation's test result (the creation is announced now)", res.ConnectionID, res.Created, res.ConnectionTest, stepErr.ConnectionID)
	}
	// A different request later: not the creator.
	other := baseReq
	other.CorrelationID = "evt-2"
	res, err = f.svc.Provision(t.Context(), other)
	if err != nil || res.Created {
		t.Errorf("later request = created %v, %v; want created false", res.Created, err)
	}
	// And the creator's event replayed after it was announced.
	res, err = f.svc.Provision(t.Context(), baseReq)
	if err != nil || res.Created {
		t.Errorf("replay after announcement = created %v, %v; want created false", res.Created, err)
	}
	if f.posts() != 1 {
		t.Errorf("POST /connections = %d, want 1", f.posts())
	}
	if got := fmt.Sprint(f.createdFlags(t)); got != "[true false false]" {
		t.Errorf("published created flags = %s, want [true false false]", got)
	}
}

func TestConcurrentRequestsCreateOneConnection(t *testing.T) {
	t.Parallel()
	f := newFixture(t, provision.Config{PollInterval: 5 * time.Millisecond})
	var wg sync.WaitGroup
	ids := make([]string, 20)
	created := make([]bool, 20)
	for i := range ids {
		wg.Go(func() {
			req := baseReq
			req.CorrelationID = fmt.Sprintf("evt-%d", i)
			res, err := f.svc.Provision(t.Context(), req)
			if err != nil {
				t.Errorf("Provision error = %v", err)
			}
			ids[i], created[i] = res.ConnectionID, res.Created
		})
	}
	wg.Wait()
	n := 0
	for i, id := range ids {
		if id != ids[0] {
			t.Errorf("invocation %d got connection %q, want %q", i, id, ids[0])
		}
		if created[i] {
			n++
		}
	}
	if f.posts() != 1 || len(f.emu.Connections("prod")) != 1 {
		t.Errorf("POST /connections = %d, connections = %d; want 1 and 1", f.posts(), len(f.emu.Connections("prod")))
	}
	if n != 1 {
		t.Errorf("%d results say created, want 1", n)
	}
}

func TestExistingConnectionIsAdoptedFromAnyPage(t *testing.T) {
	t.Parallel()
	f := newFixtureWith(t, provision.Config{}, adobeemu.Options{PageSize: 2})
	spec := adobeemu.SpecRef{ID: contracts.KinesisConnectionSpecID, Version: "1.0"}
	for i := range 4 {
		// Connections that must not be adopted: other names, a disabled twin.
		f.emu.SeedConnection("prod", adobeemu.Connection{Name: fmt.Sprintf("Amazon Kinesis %d", i), ConnectionSpec: spec, State: "enabled"})
	}
	f.emu.SeedConnection("prod", adobeemu.Connection{Name: name, ConnectionSpec: spec, State: "disabled", CreatedAt: 1})
	want := f.emu.SeedConnection("prod", adobeemu.Connection{Name: name, ConnectionSpec: spec, State: "enabled", CreatedAt: 1000})
	f.emu.SeedConnection("prod", adobeemu.Connection{Name: name, ConnectionSpec: spec, State: "enabled", CreatedAt: 2000})

	res, err := f.svc.Provision(t.Context(), baseReq)
	if err != nil {
		t.Fatal(err)
	}
	if res.ConnectionID != want.ID || res.Created {
		t.Errorf("Provision() = %s created %v, want the oldest enabled %s adopted", res.ConnectionID, res.Created, want.ID)
	}
	if f.posts() != 0 {
		t.Errorf("POST /connections = %d, want 0", f.posts())
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "2 enabled Flow Service connections") {
		t.Errorf("Warnings = %q, want one about the two candidates", res.Warnings)
	}

}

func TestStaleRecordIsVerified(t *testing.T) {
	t.Parallel()
	f := newFixture(t, provision.Config{VerifyAfter: time.Hour})
	first, err := f.svc.Provision(t.Context(), baseReq)
	if err != nil {
		t.Fatal(err)
	}
	age := func() {
		rec, _ := f.ledger.Record(baseKey)
		rec.VerifiedAt = time.Now().Add(-2 * time.Hour)
		f.ledger.Put(rec)
	}

	age()
	res, err := f.svc.Provision(t.Context(), baseReq)
	if err != nil || res.ConnectionID != first.ConnectionID {
		t.Fatalf("Provision() = %v, %v; want the verified connection", res.ConnectionID, err)
	}
	if rec, _ := f.ledger.Record(baseKey); time.Since(rec.VerifiedAt) > time.Minute {
		t.Errorf("VerifiedAt = %v, want refreshed", rec.VerifiedAt)
	}
	if got := f.emu.Count("GET", "/connections/"+first.ConnectionID); got != 1 {
		t.Errorf("GET /connections/{id} = %d, want 1", got)
	}

	age()
	f.emu.DeleteConnection("prod", first.ConnectionID)
	res, err = f.svc.Provision(t.Context(), baseReq)
	if err != nil {
		t.Fatal(err)
	}
	if res.ConnectionID == first.ConnectionID || f.posts() != 2 || len(f.emu.Connections("prod")) != 1 {
		t.Errorf("after the connection vanished: id %s (old %s), POSTs %d, connections %d; want a new one", res.ConnectionID, first.ConnectionID, f.posts(), len(f.emu.Connections("prod")))
	}
	if rec, _ := f.ledger.Record(baseKey); rec.ConnectionID != res.ConnectionID {
		t.Errorf("ledger holds %s, want %s", rec.ConnectionID, res.ConnectionID)
	}
	if len(res.Warnings) == 0 || !strings.Contains(res.Warnings[0], "no longer exists") {
		t.Errorf("Warnings = %q, want one about the vanished connection", res.Warnings)
	}
}

func TestHeldLock(t *testing.T) {
	t.Parallel()
	t.Run("times out with a retryable error", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, provision.Config{LockWait: 50 * time.Millisecond, PollInterval: 10 * time.Millisecond})
		f.ledger.Put(ledger.Record{Key: baseKey, State: ledger.Pending, LockOwner: "other", LockUntil: time.Now().Add(30 * time.Second)})
		_, err := f.svc.Provision(t.Context(), baseReq)
		var held *provision.LockHeldError
		if !errors.As(err, &held) || held.RetryAfter < 20*time.Second {
			t.Errorf("Provision() error = %v, want LockHeldError with the lock's remaining time", err)
		}
		if f.posts() != 0 || len(f.pub.Events()) != 0 {
			t.Errorf("POSTs %d, events %d; want none while the lock is held", f.posts(), len(f.pub.Events()))
		}
	})
	t.Run("waits for the winner's id", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, provision.Config{LockWait: 5 * time.Second, PollInterval: 10 * time.Millisecond})
		f.ledger.Put(ledger.Record{Key: baseKey, State: ledger.Pending, LockOwner: "winner", LockUntil: time.Now().Add(30 * time.Second)})
		go func() {
			time.Sleep(50 * time.Millisecond)
			_ = f.ledger.Complete(t.Context(), baseKey, "winner", ledger.Completion{ConnectionID: "c-winner", Name: name, CreatedBy: "evt-0"})
		}()
		req := baseReq
		req.StreamName = ""
		res, err := f.svc.Provision(t.Context(), req)
		if err != nil || res.ConnectionID != "c-winner" || res.Created {
			t.Errorf("Provision() = %s created %v, %v; want c-winner, not created", res.ConnectionID, res.Created, err)
		}
	})
	t.Run("an expired lock is taken over", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, provision.Config{})
		f.ledger.Put(ledger.Record{Key: baseKey, State: ledger.Pending, LockOwner: "dead", LockUntil: time.Now().Add(-time.Second)})
		res, err := f.svc.Provision(t.Context(), baseReq)
		if err != nil || !res.Created || f.posts() != 1 {
			t.Errorf("Provision() = created %v, %v, POSTs %d; want a new connection", res.Created, err, f.posts())
		}
	})
}

func TestAmbiguousCreateIsLookedUpBeforeRetrying(t *testing.T) {
	t.Parallel()
	f := newFixture(t, provision.Config{})
	// The connection is made, but the answer is lost.
	f.emu.Inject(adobeemu.Fault{Method: "POST", Path: "/connections", Status: 502, After: true})
	res, err := f.svc.Provision(t.Context(), baseReq)
	if err != nil {
		t.Fatalf("Provision() error = %v", err)
	}
	conns := f.emu.Connections("prod")
	if len(conns) != 1 || res.ConnectionID != conns[0].ID || f.posts() != 1 {
		t.Errorf("connections %d, POSTs %d, id %s; want the lost one found by name, no second POST", len(conns), f.posts(), res.ConnectionID)
	}
	// It is this call's creation: announced and tested as such.
	if !res.Created || res.ConnectionTest != provision.TestPassed {
		t.Errorf("created %v, test %q; want the creation announced and tested", res.Created, res.ConnectionTest)
	}
	if got := f.emu.Count("GET", "/connections"); got != 2 {
		t.Errorf("name look-ups = %d, want 2 (before the POST and after its ambiguous failure)", got)
	}
}

func TestAmbiguousCreateTwiceKeepsTheLock(t *testing.T) {
	t.Parallel()
	f := newFixture(t, provision.Config{LockWait: 20 * time.Millisecond, PollInterval: 5 * time.Millisecond})
	f.emu.Inject(adobeemu.Fault{Method: "POST", Path: "/connections", Status: 502, Times: 2})
	_, err := f.svc.Provision(t.Context(), baseReq)
	var stepErr *provision.StepError
	if !errors.As(err, &stepErr) || stepErr.Step != provision.StepCreateConnection {
		t.Fatalf("Provision() error = %v, want a create StepError", err)
	}
	if f.posts() != 2 {
		t.Errorf("POSTs = %d, want 2 (one retry after a look-up)", f.posts())
	}
	rec, _ := f.ledger.Record(baseKey)
	if rec.State != ledger.Pending {
		t.Fatalf("record = %+v, want the lock kept after an ambiguous failure", rec)
	}
	if _, err := f.svc.Provision(t.Context(), baseReq); !errors.As(err, new(*provision.LockHeldError)) {
		t.Errorf("retry before the lock expires error = %v, want LockHeldError", err)
	}
	rec.LockUntil = time.Now().Add(-time.Millisecond)
	f.ledger.Put(rec)
	if _, err := f.svc.Provision(t.Context(), baseReq); err != nil || len(f.emu.Connections("prod")) != 1 {
		t.Errorf("after the lock expired: %v, %d connections; want one", err, len(f.emu.Connections("prod")))
	}
}

func TestDefiniteCreateFailureReleasesTheLock(t *testing.T) {
	t.Parallel()
	f := newFixture(t, provision.Config{})
	f.emu.Inject(adobeemu.Fault{Method: "POST", Path: "/connections", Status: 403})
	if _, err := f.svc.Provision(t.Context(), baseReq); err == nil {
		t.Fatal("Provision() error = nil, want the 403")
	}
	if _, ok := f.ledger.Record(baseKey); ok {
		t.Error("the lock was kept after Adobe refused the create")
	}
	if _, err := f.svc.Provision(t.Context(), baseReq); err != nil {
		t.Errorf("next Provision() error = %v, want success without waiting", err)
	}
}

func TestLedgerFailureIsAStepError(t *testing.T) {
	t.Parallel()
	f := newFixture(t, provision.Config{})
	f.ledger.Err = errors.New("ProvisionedThroughputExceededException")
	_, err := f.svc.Provision(t.Context(), baseReq)
	var stepErr *provision.StepError
	if !errors.As(err, &stepErr) || stepErr.Step != provision.StepLedger {
		t.Errorf("Provision() error = %v, want a ledger StepError", err)
	}
	if f.posts() != 0 {
		t.Error("a connection was created without the ledger")
	}
}
