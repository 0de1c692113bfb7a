package metrics

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRecordWritesEMF(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	e := NewEMF(&buf, "AEPKinesisProvisioner", "aep-kinesis-provisioner")
	e.now = func() time.Time { return time.UnixMilli(1796147412000) }
	if err := e.Record(Invocation{ColdStart: true, ConnectionsCreated: 1, SourceConnectionsCreated: 1, FailureKind: "PublishFailed", Duration: 1500 * time.Microsecond}); err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	if len(lines) != 2 {
		t.Fatalf("wrote %d lines, want 2", len(lines))
	}
	var first map[string]any
	if err := json.Unmarshal(lines[0], &first); err != nil {
		t.Fatal(err)
	}
	aws := first["_aws"].(map[string]any)
	cw := aws["CloudWatchMetrics"].([]any)[0].(map[string]any)
	if cw["Namespace"] != "AEPKinesisProvisioner" || aws["Timestamp"] != float64(1796147412000) {
		t.Errorf("directive = %v", aws)
	}
	if diff := cmp.Diff([]any{[]any{"Service"}}, cw["Dimensions"]); diff != "" {
		t.Errorf("dimensions (-want +got):\n%s", diff)
	}
	// Every declared metric has a value at the top level (EMF's rule).
	for _, m := range cw["Metrics"].([]any) {
		name := m.(map[string]any)["Name"].(string)
		if _, ok := first[name]; !ok {
			t.Errorf("metric %s declared without a value", name)
		}
	}
	want := map[string]float64{ColdStart: 1, ConnectionsCreated: 1, ConnectionsReused: 0, SourceConnectionsCreated: 1, Failures: 1, Duration: 1.5}
	for k, v := range want {
		if first[k] != v {
			t.Errorf("%s = %v, want %v", k, first[k], v)
		}
	}
	var second map[string]any
	if err := json.Unmarshal(lines[1], &second); err != nil {
		t.Fatal(err)
	}
	cw2 := second["_aws"].(map[string]any)["CloudWatchMetrics"].([]any)[0].(map[string]any)
	if second["FailureKind"] != "PublishFailed" || second[Failures] != float64(1) || cmp.Diff([]any{[]any{"Service", "FailureKind"}}, cw2["Dimensions"]) != "" {
		t.Errorf("failure line = %s", lines[1])
	}
}

func TestSuccessWritesOneLine(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := NewEMF(&buf, "ns", "svc").Record(Invocation{ConnectionsReused: 1}); err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(buf.Bytes(), []byte("\n")); n != 1 {
		t.Errorf("wrote %d lines, want 1", n)
	}
}
