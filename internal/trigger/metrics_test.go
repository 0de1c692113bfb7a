package trigger

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/flowservice"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/metrics"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/metrics/metricstest"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/provision"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/provision/provisiontest"
)

func TestMetricsPerInvocation(t *testing.T) {
	t.Parallel()
	rec := &metricstest.Recorder{}
	cfg := testConfig
	cfg.Metrics = rec
	fake := &provisiontest.Recorder{ConnectionID: "c-1", Created: true, Deprovisioned: []provision.Deprovisioned{{Status: provision.DeprovisionDeleted}}}
	d, ctx, _ := setup(t, cfg, fake)

	handle := func(payload json.RawMessage) {
		t.Helper()
		_, _ = d.Handle(ctx, payload)
	}
	handle(caseEvent(t, "custom-provision-request.json"))
	fake.Created = false
	handle(caseEvent(t, "custom-provision-request.json"))
	handle(caseEvent(t, "cloudtrail-createstream-failed.json"))
	handle(deleteStreamEvent(t, map[string]any{"streamName": "orders"}, ""))
	fake.Err = &provision.StepError{Step: provision.StepCreateConnection, Err: &flowservice.Error{StatusCode: 503}}
	handle(caseEvent(t, "custom-provision-request.json"))

	want := []metrics.Invocation{
		{ColdStart: true, ConnectionsCreated: 1},
		{ConnectionsReused: 1},
		{Skipped: true},
		{SourceConnectionsDeleted: 1},
		{FailureKind: "AdobeUnavailable"},
	}
	if diff := cmp.Diff(want, rec.Invocations()); diff != "" {
		t.Errorf("recorded metrics (-want +got):\n%s", diff)
	}
}
