package provision_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/adobeemu"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/eventbus/eventbustest"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/ledger"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/provision"
)

func streamReq(stream, correlation string) provision.Request {
	r := baseReq
	r.StreamName, r.CorrelationID = stream, correlation
	return r
}

func TestTwoStreamsOneBaseTwoSources(t *testing.T) {
	t.Parallel()
	f := newFixture(t, provision.Config{DataType: provision.DataTypeXDM, Reset: provision.ResetEarliest})
	a, err := f.svc.Provision(t.Context(), streamReq("orders", "evt-a"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.svc.Provision(t.Context(), streamReq("payments.v2", "evt-b"))
	if err != nil {
		t.Fatal(err)
	}
	if a.ConnectionID != b.ConnectionID || !a.Created || b.Created || !a.SourceCreated || !b.SourceCreated || a.SourceConnectionID == b.SourceConnectionID {
		t.Errorf("results = %+v / %+v; want one base created once and two source connections", a, b)
	}
	if b.ConnectionTest != provision.TestSkipped || a.ConnectionTest != provision.TestPassed {
		t.Errorf("connection tests = %q, %q; want passed then skipped", a.ConnectionTest, b.ConnectionTest)
	}
	// Replays create nothing.
	for _, r := range []provision.Request{streamReq("orders", "evt-a"), streamReq("payments.v2", "evt-b")} {
		res, err := f.svc.Provision(t.Context(), r)
		if err != nil || res.Created || res.SourceCreated {
			t.Errorf("replay of %s = %+v, %v; want nothing created", r.StreamName, res, err)
		}
	}
	if len(f.emu.Connections("prod")) != 1 {
		t.Errorf("base connections = %d, want 1", len(f.emu.Connections("prod")))
	}
	srcs := f.emu.SourceConnections("prod")
	if len(srcs) != 2 {
		t.Fatalf("source connections = %d, want 2", len(srcs))
	}
	for _, s := range srcs {
		if s.BaseConnectionID != a.ConnectionID || s.Params["dataType"] != "xdm" || s.Params["reset"] != "earliest" || s.Data.Format != "json" {
			t.Errorf("source connection %+v, want on %s with xdm/earliest/json", s, a.ConnectionID)
		}
		if !strings.Contains(s.Name, s.Params["stream"]) {
			t.Errorf("source connection name %q does not name its stream", s.Name)
		}
	}
}

func TestNoStreamOrSourcesOffMeansBaseOnly(t *testing.T) {
	t.Parallel()
	f := newFixture(t, provision.Config{})
	req := baseReq
	req.StreamName = ""
	res, err := f.svc.Provision(t.Context(), req)
	if err != nil || res.SourceConnectionID != "" || len(f.emu.SourceConnections("prod")) != 0 {
		t.Errorf("without a stream: %+v, %v, %d sources; want the base only", res, err, len(f.emu.SourceConnections("prod")))
	}
	off := newFixture(t, provision.Config{NoSourceConnections: true})
	res, err = off.svc.Provision(t.Context(), baseReq)
	if err != nil || res.SourceConnectionID != "" || len(off.emu.SourceConnections("prod")) != 0 {
		t.Errorf("sources off: %+v, %v; want the base only", res, err)
	}
}

func TestAuthSpecNameFromTheConnectionSpec(t *testing.T) {
	t.Parallel()
	const oldName = "Basic Authentication for Kinesis"
	tests := []struct {
		name       string
		listed     []string
		configured string
		fault      *adobeemu.Fault
		wantSpec   string
		wantWarn   string
		wantErr    bool
	}{
		{name: "configured is listed", listed: []string{adobeemu.DefaultAuthSpecName}, configured: adobeemu.DefaultAuthSpecName, wantSpec: adobeemu.DefaultAuthSpecName},
		{name: "only the old name is listed", listed: []string{oldName}, configured: adobeemu.DefaultAuthSpecName, wantSpec: oldName, wantWarn: "is not listed"},
		{name: "only the new name is listed", listed: []string{adobeemu.DefaultAuthSpecName}, configured: oldName, wantSpec: adobeemu.DefaultAuthSpecName, wantWarn: "is not listed"},
		{name: "lookup fails", listed: []string{adobeemu.DefaultAuthSpecName}, configured: adobeemu.DefaultAuthSpecName,
			fault: &adobeemu.Fault{Method: "GET", Path: "/connectionSpecs/*", Status: 500}, wantSpec: adobeemu.DefaultAuthSpecName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixtureWith(t, provision.Config{AuthSpecName: tt.configured}, adobeemu.Options{AuthSpecNames: tt.listed})
			if tt.fault != nil {
				f.emu.Inject(*tt.fault)
			}
			res, err := f.svc.Provision(t.Context(), baseReq)
			if err != nil {
				t.Fatalf("Provision() error = %v", err)
			}
			if got := f.emu.Connections("prod")[0].Auth.SpecName; got != tt.wantSpec {
				t.Errorf("auth.specName = %q, want %q", got, tt.wantSpec)
			}
			warned := strings.Contains(strings.Join(res.Warnings, "|"), tt.wantWarn)
			if tt.wantWarn != "" && !warned || tt.wantWarn == "" && len(res.Warnings) > 0 {
				t.Errorf("Warnings = %q, want %q", res.Warnings, tt.wantWarn)
			}
		})
	}
}

func TestFailedConnectionTestIsReported(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		fault    adobeemu.Fault
		wantTest string
		wantWarn string
	}{
		"failed twice": {adobeemu.Fault{Method: "GET", Path: "/connections/*/test", Status: 200, Body: `{"result":false}`, Times: 2}, provision.TestFailed, "credentials rejected"},
		"failed once":  {adobeemu.Fault{Method: "GET", Path: "/connections/*/test", Status: 200, Body: `{"result":false}`}, provision.TestPassed, "test of it failed"},
		"cannot run":   {adobeemu.Fault{Method: "GET", Path: "/connections/*/test", Status: 400}, provision.TestSkipped, "could not run"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, provision.Config{})
			f.emu.Inject(tt.fault)
			res, err := f.svc.Provision(t.Context(), baseReq)
			if err != nil {
				t.Fatal(err)
			}
			if res.ConnectionTest != tt.wantTest || !strings.Contains(strings.Join(res.Warnings, "|"), tt.wantWarn) {
				t.Errorf("ConnectionTest = %q, warnings %q; want %q and a warning about %q", res.ConnectionTest, res.Warnings, tt.wantTest, tt.wantWarn)
			}
			if len(f.emu.Connections("prod")) != 1 || res.SourceConnectionID == "" {
				t.Error("a failed test rolled something back")
			}
			var d struct{ ConnectionTest string }
			if err := json.Unmarshal(f.pub.Events()[0].Detail, &d); err != nil || d.ConnectionTest != tt.wantTest {
				t.Errorf("published connectionTest = %q, want %q", d.ConnectionTest, tt.wantTest)
			}
			if rec, _ := f.ledger.Record(baseKey); rec.Test != tt.wantTest {
				t.Errorf("recorded test = %q, want %q", rec.Test, tt.wantTest)
			}
		})
	}
}

func TestNoAuthSpecTakesAccessKeys(t *testing.T) {
	t.Parallel()
	f := newFixtureWith(t, provision.Config{}, adobeemu.Options{AuthSpecNames: []string{"Some other auth"}})
	f.emu.Inject(adobeemu.Fault{Method: "GET", Path: "/connectionSpecs/*", Status: 200,
		Body: `{"items":[{"id":"86043421-563b-46ec-8e6c-e23184711bf6","authSpec":[{"name":"Role","spec":{"properties":{"roleArn":{}}}}]}]}`})
	_, err := f.svc.Provision(t.Context(), baseReq)
	var specErr *provision.AuthSpecError
	if !errors.As(err, &specErr) || !strings.Contains(err.Error(), "no auth spec that takes access keys") {
		t.Errorf("Provision() error = %v, want an AuthSpecError that says so", err)
	}
	if f.posts() != 0 {
		t.Error("a connection was created without a usable auth spec")
	}
}

func TestSourceIsRemadeWhenTheBaseIsReplaced(t *testing.T) {
	t.Parallel()
	f := newFixture(t, provision.Config{VerifyAfter: time.Hour})
	first, err := f.svc.Provision(t.Context(), baseReq)
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := f.ledger.Record(baseKey)
	rec.VerifiedAt = time.Now().Add(-2 * time.Hour)
	f.ledger.Put(rec)
	f.emu.DeleteConnection("prod", first.ConnectionID)
	res, err := f.svc.Provision(t.Context(), baseReq)
	if err != nil {
		t.Fatal(err)
	}
	if res.ConnectionID == first.ConnectionID || res.SourceConnectionID == first.SourceConnectionID || !res.SourceCreated {
		t.Errorf("after the base was replaced: %+v; want a new base and a new source on it", res)
	}
}

func TestDeprovision(t *testing.T) {
	t.Parallel()
	del := func(sandbox string) provision.DeprovisionRequest {
		return provision.DeprovisionRequest{AccountID: account, Region: "eu-west-1", StreamName: "orders", Sandbox: sandbox, Trigger: provision.TriggerCloudTrail, CorrelationID: "del-1"}
	}
	t.Run("provisioned stream", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, provision.Config{})
		res, err := f.svc.Provision(t.Context(), baseReq)
		if err != nil {
			t.Fatal(err)
		}
		out, err := f.svc.Deprovision(t.Context(), del(""))
		if err != nil {
			t.Fatal(err)
		}
		want := []provision.Deprovisioned{{
			Status: provision.DeprovisionDeleted, SourceConnectionID: res.SourceConnectionID, BaseConnectionID: res.ConnectionID,
			AccountID: account, Region: "eu-west-1", StreamName: "orders", StreamARN: res.StreamARN, Sandbox: "prod",
			Trigger: provision.TriggerCloudTrail, CorrelationID: "del-1",
		}}
		if diff := cmp.Diff(want, out); diff != "" {
			t.Errorf("Deprovision() (-want +got):\n%s", diff)
		}
		if len(f.emu.SourceConnections("prod")) != 0 || len(f.emu.Connections("prod")) != 1 {
			t.Errorf("sources %d, bases %d; want the source gone and the base kept", len(f.emu.SourceConnections("prod")), len(f.emu.Connections("prod")))
		}
		if last := lastEvent(f.pub); last.DetailType != provision.DetailTypeSourceDeleted {
			t.Errorf("last event = %q, want %q", last.DetailType, provision.DetailTypeSourceDeleted)
		}
		// A replay finds nothing to do.
		again, err := f.svc.Deprovision(t.Context(), del(""))
		if err != nil || again[0].Status != provision.DeprovisionNotProvisioned {
			t.Errorf("replay = %+v, %v; want not-provisioned", again, err)
		}
	})
	t.Run("unknown stream", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, provision.Config{})
		out, err := f.svc.Deprovision(t.Context(), del("prod"))
		if err != nil || len(out) != 1 || out[0].Status != provision.DeprovisionNotProvisioned {
			t.Errorf("Deprovision() = %+v, %v; want one not-provisioned outcome", out, err)
		}
		if len(f.pub.Events()) != 0 || len(f.emu.Requests()) != 0 {
			t.Error("deleting an unknown stream published or called Adobe")
		}
	})
	t.Run("used by a dataflow", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, provision.Config{})
		res, err := f.svc.Provision(t.Context(), baseReq)
		if err != nil {
			t.Fatal(err)
		}
		f.emu.AttachDataflow(res.SourceConnectionID)
		out, err := f.svc.Deprovision(t.Context(), del("prod"))
		if err != nil || out[0].Status != provision.DeprovisionNeedsAttention || out[0].AdobeCode != adobeemu.CodeSourceConnectionInUse || out[0].AdobeMessage == "" {
			t.Errorf("Deprovision() = %+v, %v; want needs-attention with Adobe's code and message", out, err)
		}
		if last := lastEvent(f.pub); last.DetailType != provision.DetailTypeSourceNeedsAttention {
			t.Errorf("last event = %q, want %q", last.DetailType, provision.DetailTypeSourceNeedsAttention)
		}
		if _, ok := f.ledger.Record(ledger.Key{AccountID: account, Region: "eu-west-1", Sandbox: "prod", Stream: "orders"}); !ok {
			t.Error("the record of a source connection Adobe kept was dropped")
		}
	})
	t.Run("adobe unavailable", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, provision.Config{})
		if _, err := f.svc.Provision(t.Context(), baseReq); err != nil {
			t.Fatal(err)
		}
		f.emu.Inject(adobeemu.Fault{Method: "DELETE", Path: "/sourceConnections/*", Status: 503, Times: 10})
		_, err := f.svc.Deprovision(t.Context(), del("prod"))
		var stepErr *provision.StepError
		if !errors.As(err, &stepErr) || stepErr.Step != provision.StepDeleteSource {
			t.Errorf("Deprovision() error = %v, want a delete StepError to retry", err)
		}
	})
}

func lastEvent(r *eventbustest.Recorder) eventbustest.Published {
	events := r.Events()
	if len(events) == 0 {
		return eventbustest.Published{}
	}
	return events[len(events)-1]
}

func TestStatus(t *testing.T) {
	t.Parallel()
	f := newFixture(t, provision.Config{})
	if _, err := f.svc.Status(t.Context(), account, "eu-west-1", "prod"); !errors.Is(err, provision.ErrNotProvisioned) {
		t.Errorf("Status() before provisioning error = %v, want ErrNotProvisioned", err)
	}
	a, _ := f.svc.Provision(t.Context(), streamReq("orders", "e1"))
	b, _ := f.svc.Provision(t.Context(), streamReq("clicks", "e2"))
	st, err := f.svc.Status(t.Context(), account, "eu-west-1", "prod")
	if err != nil {
		t.Fatal(err)
	}
	if st.ConnectionID != a.ConnectionID || st.ConnectionTest != provision.TestPassed || st.VerifiedAt == nil || len(st.Sources) != 2 ||
		st.Sources[0].StreamName != "clicks" || st.Sources[0].SourceConnectionID != b.SourceConnectionID {
		t.Errorf("Status() = %+v", st)
	}
	if _, err := f.svc.Status(t.Context(), account, "eu-west-1", "dev"); !errors.Is(err, provision.ErrNotProvisioned) {
		t.Errorf("Status() of another sandbox error = %v, want ErrNotProvisioned", err)
	}
}
