package provision_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/adobeemu"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/ledger"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/provision"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/secrets"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/streams"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/streams/streamstest"
)

// newFleetFixture is a fixture whose service can reconcile streams.
func newFleetFixture(t *testing.T, cfg provision.Config, list []streams.Stream) *fixture {
	t.Helper()
	f := newFixture(t, cfg)
	svc, err := provision.NewService(withDefaults(cfg), provision.Deps{Keys: f.keys, Flow: f.flow, Ledger: f.ledger, Publisher: f.pub, Streams: &streamstest.Static{Streams: list}})
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	return f
}

func withDefaults(cfg provision.Config) provision.Config {
	if cfg.KinesisSecretID == "" {
		cfg.KinesisSecretID = "kinesis/{accountId}"
	}
	if cfg.AuthSpecName == "" {
		cfg.AuthSpecName = adobeemu.DefaultAuthSpecName
	}
	return cfg
}

func TestSelectionOnProvision(t *testing.T) {
	t.Parallel()
	f := newFixture(t, provision.Config{Selection: provision.Selection{Exclude: []string{"*-test"}, OptTag: "aep-provision", SandboxTag: "aep-sandbox"}})
	_, err := f.svc.Provision(t.Context(), streamReq("orders-test", "e1"))
	var notSel *provision.NotSelectedError
	if !errors.As(err, &notSel) || f.posts() != 0 {
		t.Errorf("excluded stream: %v, %d POSTs; want NotSelectedError and nothing made", err, f.posts())
	}
	req := streamReq("orders", "e2")
	req.Tags = map[string]string{"aep-sandbox": "dev"}
	res, err := f.svc.Provision(t.Context(), req)
	if err != nil || res.Sandbox != "dev" || len(f.emu.Connections("dev")) != 1 {
		t.Errorf("sandbox tag: %+v, %v; want the connection made in dev", res, err)
	}
	req.Tags = map[string]string{"aep-sandbox": "Not A Sandbox"}
	if _, err := f.svc.Provision(t.Context(), req); !errors.Is(err, provision.ErrInvalidRequest) {
		t.Errorf("invalid sandbox tag: %v, want an invalid request", err)
	}
}

func thirtyStreams() []streams.Stream {
	var list []streams.Stream
	for i := range 30 {
		s := streams.Stream{Name: fmt.Sprintf("stream-%02d", i), Tags: map[string]string{}}
		switch {
		case i%5 == 0:
			s.Tags["aep-provision"] = "false"
		case i%7 == 0:
			s.Name = fmt.Sprintf("scratch-%02d", i)
		}
		list = append(list, s)
	}
	return list
}

func TestReconcile(t *testing.T) {
	t.Parallel()
	cfg := provision.Config{Selection: provision.Selection{Include: []string{"stream-*"}, OptTag: "aep-provision"}}
	f := newFleetFixture(t, cfg, thirtyStreams())
	req := provision.ReconcileRequest{AccountID: account, Region: "eu-west-1", Sandbox: "prod", Trigger: provision.TriggerReconcile, CorrelationID: "rec-1"}
	sum, err := f.svc.Reconcile(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	// 30 streams: 6 opted out (0, 5, ... 25) and 4 named scratch-* (7, 14,
	// 21, 28), so 20 selected.
	want := provision.ReconcileSummary{AccountID: account, Region: "eu-west-1", Sandbox: "prod", Seen: 30, Selected: 20, Created: 20, Trigger: provision.TriggerReconcile, CorrelationID: "rec-1"}
	sum.ConnectionID = ""
	if fmt.Sprint(sum) != fmt.Sprint(want) {
		t.Errorf("first run = %+v, want %+v", sum, want)
	}
	if n := len(f.emu.SourceConnections("prod")); n != 20 {
		t.Errorf("source connections = %d, want 20", n)
	}
	again, err := f.svc.Reconcile(t.Context(), req)
	if err != nil || again.Created != 0 || again.AlreadyPresent != 20 || again.Failed != 0 {
		t.Errorf("second run = %+v, %v; want nothing new", again, err)
	}
	if n := f.emu.Count("POST", "/sourceConnections"); n != 20 {
		t.Errorf("POST /sourceConnections = %d, want 20", n)
	}
	// One summary event per run, plus one event per connection created
	// (the base connection and each stream's).
	counts := map[string]int{}
	for _, e := range f.pub.Events() {
		counts[e.DetailType]++
	}
	if counts[provision.DetailTypeReconciled] != 2 || counts[provision.DetailTypeProvisioned] != 21 {
		t.Errorf("published %v, want 2 summaries and 21 provisioned", counts)
	}
}

func TestReconcileRemakesAConnectionAdobeLost(t *testing.T) {
	t.Parallel()
	f := newFleetFixture(t, provision.Config{}, []streams.Stream{{Name: "orders"}})
	req := provision.ReconcileRequest{AccountID: account, Region: "eu-west-1", Sandbox: "prod", Trigger: provision.TriggerReconcile}
	first, err := f.svc.Reconcile(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	f.emu.DeleteConnection("prod", first.ConnectionID)
	second, err := f.svc.Reconcile(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if second.ConnectionID == first.ConnectionID || second.Created != 1 || len(f.emu.Connections("prod")) != 1 {
		t.Errorf("second run = %+v; want a new base connection (and the stream's source connection on it)", second)
	}
}

func TestReconcileReportsFailures(t *testing.T) {
	t.Parallel()
	f := newFleetFixture(t, provision.Config{}, []streams.Stream{{Name: "a"}, {Name: "b"}})
	f.emu.Inject(adobeemu.Fault{Method: "POST", Path: "/sourceConnections", Status: 403, Times: 1})
	sum, err := f.svc.Reconcile(t.Context(), provision.ReconcileRequest{AccountID: account, Region: "eu-west-1", Sandbox: "prod", Trigger: provision.TriggerReconcile})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Failed != 1 || sum.Created != 1 || len(sum.Failures) != 1 {
		t.Errorf("summary = %+v, want one failure and one created", sum)
	}
}

func TestRotateKeys(t *testing.T) {
	t.Parallel()
	// One secret per region, shared by the accounts: rotating eu-west-1's
	// updates both accounts' eu-west-1 connections, not us-east-2's.
	f := newFixture(t, provision.Config{KinesisSecretID: "kinesis/{region}"})
	old := secrets.KinesisKeys{AccessKeyID: keyID, SecretKey: secretKey}
	f.keys.Set("kinesis/eu-west-1", old)
	f.keys.Set("kinesis/us-east-2", old)
	other := "444455556666"
	for _, r := range []provision.Request{
		{AccountID: account, Region: "eu-west-1", Sandbox: "prod"},
		{AccountID: other, Region: "eu-west-1", Sandbox: "prod"},
		{AccountID: account, Region: "us-east-2", Sandbox: "prod"},
	} {
		if _, err := f.svc.Provision(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	f.keys.Rotate("kinesis/eu-west-1", rotated)
	out, err := f.svc.RotateKeys(t.Context(), provision.RotationRequest{
		SecretID: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:kinesis/eu-west-1-AbCdEf", Trigger: provision.TriggerRotation, CorrelationID: "rot-1",
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 {
		t.Fatalf("updated %d connections, want 2: %+v", len(out), out)
	}
	for _, u := range out {
		if u.Status != provision.CredentialsUpdated || u.Region != "eu-west-1" || u.ConnectionTest != provision.TestPassed || u.SecretID != "kinesis/eu-west-1" {
			t.Errorf("update = %+v", u)
		}
	}
	for _, c := range f.emu.Connections("prod") {
		wantKey := rotated.AccessKeyID
		if c.Auth.Params["region"] == "us-east-2" {
			wantKey = keyID
		}
		if c.Auth.Params["accessKeyId"] != wantKey {
			t.Errorf("connection in %s has key %s, want %s", c.Auth.Params["region"], c.Auth.Params["accessKeyId"], wantKey)
		}
		if rec, _ := f.ledger.Record(ledger.Key{AccountID: accountOf(t, f, c.ID), Region: c.Auth.Params["region"], Sandbox: "prod"}); rec.ETag != c.ETag {
			t.Errorf("ledger etag %s, connection etag %s", rec.ETag, c.ETag)
		}
	}
	if _, err := f.svc.RotateKeys(t.Context(), provision.RotationRequest{SecretID: "some/other/secret"}); !errors.Is(err, provision.ErrSecretNotOurs) {
		t.Errorf("another secret: %v, want ErrSecretNotOurs", err)
	}
}

// accountOf finds which account's record holds connection id.
func accountOf(t *testing.T, f *fixture, id string) string {
	t.Helper()
	for _, acct := range []string{account, "444455556666"} {
		for _, region := range []string{"eu-west-1", "us-east-2"} {
			if rec, ok := f.ledger.Record(ledger.Key{AccountID: acct, Region: region, Sandbox: "prod"}); ok && rec.ConnectionID == id {
				return acct
			}
		}
	}
	return ""
}

func TestRotateKeysWithAStaleETag(t *testing.T) {
	t.Parallel()
	f := newFixture(t, provision.Config{})
	req := baseReq
	req.StreamName = ""
	res, err := f.svc.Provision(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	// Someone edits the connection in the AEP UI: the recorded etag is stale.
	rec, _ := f.ledger.Record(baseKey)
	rec.ETag = `"stale"`
	f.ledger.Put(rec)
	f.keys.Rotate(secretID, rotated)
	out, err := f.svc.RotateKeys(t.Context(), provision.RotationRequest{SecretID: secretID, Trigger: provision.TriggerRotation})
	if err != nil || len(out) != 1 || out[0].Status != provision.CredentialsUpdated {
		t.Fatalf("RotateKeys() = %+v, %v; want one update", out, err)
	}
	if got := f.emu.Count("PATCH", "/connections/"+res.ConnectionID); got != 2 {
		t.Errorf("PATCHes = %d, want 2 (412, then with the current etag)", got)
	}
	if c := f.emu.Connections("prod")[0]; c.Auth.Params["accessKeyId"] != rotated.AccessKeyID {
		t.Errorf("connection key = %s, want the rotated one", c.Auth.Params["accessKeyId"])
	}
}
