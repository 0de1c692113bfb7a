package provision_test

import (
	"testing"
	"time"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/eventbus/eventbustest"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/flowservice"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/ledger"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/ledger/ledgertest"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/provision"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/secrets/secretstest"
)

// BenchmarkProvision_replay is the use case's in-process cost for a stream
// it has provisioned before (scenario (c) of make bench): validate, read the
// ledger (in memory), build the result and the published event's payload
// (the fake publisher encodes the detail as the real one does). Flow Service
// is never called on this path. The fake publisher keeps every event: its
// log's amortised growth is in B/op, not in allocs/op.
func BenchmarkProvision_replay(b *testing.B) {
	const baseID, sourceID = "61e584f2-a848-47b4-9fd6-2741720b772d", "7a1b2c3d-0000-4000-8000-000000000001"
	mem := &ledgertest.Memory{}
	key := ledger.Key{AccountID: account, Region: "eu-west-1", Sandbox: "prod"}
	streamKey := key
	streamKey.Stream = "orders-clickstream"
	now := time.Now()
	mem.Put(ledger.Record{Key: key, State: ledger.Ready, ConnectionID: baseID, ETag: `"e1"`, Announced: true, VerifiedAt: now})
	mem.Put(ledger.Record{Key: streamKey, State: ledger.Ready, ConnectionID: sourceID, ETag: `"e2"`, BaseConnectionID: baseID, Announced: true, VerifiedAt: now})
	svc, err := provision.NewService(provision.Config{KinesisSecretID: "kinesis/{accountId}", AuthSpecName: "Aws Kinesis authentication credentials"},
		provision.Deps{Keys: &secretstest.Static{}, Flow: &flowservice.Client{}, Ledger: mem, Publisher: &eventbustest.Recorder{}})
	if err != nil {
		b.Fatal(err)
	}
	req := provision.Request{AccountID: account, Region: "eu-west-1", StreamName: "orders-clickstream", Sandbox: "prod", Trigger: provision.TriggerEvent, CorrelationID: "5e4d3c2b-1a09-4f8e-8d7c-6b5a4f3e2d1c"}
	ctx := b.Context()
	if res, err := svc.Provision(ctx, req); err != nil || res.ConnectionID != baseID || res.Created {
		b.Fatalf("Provision(%+v) = %+v, %v; want connection %s, not created", req, res, err, baseID)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := svc.Provision(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}
