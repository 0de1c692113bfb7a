package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/adobeemu"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/localenv"
)

// TestTwoStreamsInOneAccount: one base connection serves the account; each
// stream gets its own source connection; replays add nothing.
func TestTwoStreamsInOneAccount(t *testing.T) {
	t.Parallel()
	st := newStack(t, localenv.StackOptions{})
	fn := startFunction(t, st, nil)
	for _, name := range []string{"cloudtrail-createstream-provisioned.json", "custom-provision-request.json",
		"cloudtrail-createstream-provisioned.json", "custom-provision-request.json"} {
		if inv := invoke(t, fn, readEvent(t, name)); inv.Err != nil {
			t.Fatalf("%s: %v", name, inv.Err)
		}
	}
	emu := st.Emulator()
	bases, srcs := emu.Connections("prod"), emu.SourceConnections("prod")
	if len(bases) != 1 || len(srcs) != 2 {
		t.Fatalf("base connections %d, source connections %d; want 1 and 2", len(bases), len(srcs))
	}
	streams := map[string]bool{}
	for _, s := range srcs {
		if s.BaseConnectionID != bases[0].ID {
			t.Errorf("source connection %s hangs off %s, want %s", s.ID, s.BaseConnectionID, bases[0].ID)
		}
		streams[s.Params["stream"]] = true
	}
	if !streams["orders-clickstream"] || !streams["payments-events"] {
		t.Errorf("source connections for %v, want orders-clickstream and payments-events", streams)
	}
	if got := emu.Count("POST", "/sourceConnections"); got != 2 {
		t.Errorf("POST /sourceConnections = %d, want 2", got)
	}
	events := receive(t, st, 4)
	created := 0
	for _, e := range events {
		if e.Detail.SourceCreated {
			created++
		}
	}
	if created != 2 {
		t.Errorf("%d events say sourceConnectionCreated, want 2", created)
	}
}

// TestRenamedAuthSpec: the auth spec name comes from the connection spec,
// whichever of the two known names it lists.
func TestRenamedAuthSpec(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, listed, configured string
		warns                    bool
	}{
		{"only the old name is listed", "Basic Authentication for Kinesis", "Aws Kinesis authentication credentials", true},
		{"only the new name is listed", "Aws Kinesis authentication credentials", "Basic Authentication for Kinesis", true},
		{"the configured name is listed", "Aws Kinesis authentication credentials", "Aws Kinesis authentication credentials", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := newStack(t, localenv.StackOptions{Adobe: adobeemu.Options{AuthSpecNames: []string{tt.listed}}})
			fn := startFunction(t, st, map[string]string{"AUTH_SPEC_NAME": tt.configured})
			inv := invoke(t, fn, readEvent(t, createStreamEvent))
			if inv.Err != nil {
				t.Fatalf("invocation failed: %v", inv.Err)
			}
			conns := st.Emulator().Connections("prod")
			if len(conns) != 1 || conns[0].Auth.SpecName != tt.listed {
				t.Errorf("connections %+v, want one with auth spec %q", conns, tt.listed)
			}
			if warned := strings.Contains(fn.Logs(), "is not listed by the Kinesis connection spec"); warned != tt.warns {
				t.Errorf("warning logged = %v, want %v", warned, tt.warns)
			}
		})
	}
}

// TestFailedConnectionTest: reported in the result and the event, nothing
// rolled back.
func TestFailedConnectionTest(t *testing.T) {
	t.Parallel()
	st := newStack(t, localenv.StackOptions{})
	// Both tests fail: the one after creating and the one after re-reading
	// the (unchanged) keys.
	st.Emulator().Inject(adobeemu.Fault{Method: "GET", Path: "/connections/*/test", Status: 200, Body: `{"result":false}`, Times: 2})
	fn := startFunction(t, st, nil)
	inv := invoke(t, fn, readEvent(t, createStreamEvent))
	var out struct {
		Result struct{ ConnectionTest, SourceConnectionID string }
	}
	if inv.Err != nil || json.Unmarshal(inv.Payload, &out) != nil || out.Result.ConnectionTest != "failed" || out.Result.SourceConnectionID == "" {
		t.Fatalf("result = %s, want connectionTest failed and the source connection made", inv.Payload)
	}
	if e := receive(t, st, 1)[0]; e.Detail.ConnectionTest != "failed" {
		t.Errorf("published connectionTest %q, want failed", e.Detail.ConnectionTest)
	}
	if !strings.Contains(fn.Logs(), `"level":"WARN"`) || !strings.Contains(fn.Logs(), "credentials rejected") {
		t.Error("the failed test was not logged as a warning that says the credentials are rejected")
	}
}

// TestDeleteStreams: a provisioned stream, an unknown one, and one a
// dataflow still uses.
func TestDeleteStreams(t *testing.T) {
	t.Parallel()
	st := newStack(t, localenv.StackOptions{})
	fn := startFunction(t, st, nil)
	for _, name := range []string{"cloudtrail-createstream-provisioned.json", "custom-provision-request.json"} {
		if inv := invoke(t, fn, readEvent(t, name)); inv.Err != nil {
			t.Fatalf("%s: %v", name, inv.Err)
		}
	}
	receive(t, st, 2)
	emu := st.Emulator()
	var payments string
	for _, s := range emu.SourceConnections("prod") {
		if s.Params["stream"] == "payments-events" {
			payments = s.ID
		}
	}
	emu.AttachDataflow(payments)

	deleteEvent := func(stream string) []byte {
		var e map[string]any
		if err := json.Unmarshal(readEvent(t, "cloudtrail-deletestream.json"), &e); err != nil {
			t.Fatal(err)
		}
		e["detail"].(map[string]any)["requestParameters"] = map[string]any{"streamName": stream}
		return mustJSON(t, e)
	}

	// Unknown stream: a logged no-op.
	inv := invoke(t, fn, deleteEvent("never-provisioned"))
	if inv.Err != nil || !strings.Contains(string(inv.Payload), "not-provisioned") {
		t.Errorf("unknown stream: %s, want a not-provisioned no-op", inv.Payload)
	}
	// Used by a dataflow: needs attention, no error (no endless retries).
	inv = invoke(t, fn, deleteEvent("payments-events"))
	if inv.Err != nil || !strings.Contains(string(inv.Payload), "needs-attention") {
		t.Errorf("stream in use: %s, want needs-attention without error", inv.Payload)
	}
	e := receive(t, st, 1)[0]
	if e.DetailType != "Kinesis Source Connection Needs Attention" || e.Detail.SourceConnectionID != payments || e.Detail.AdobeCode == "" || e.Detail.AdobeMessage == "" {
		t.Errorf("published %q %+v, want needs attention with Adobe's code and message", e.DetailType, e.Detail)
	}
	// Provisioned and free: deleted.
	inv = invoke(t, fn, deleteEvent("orders-clickstream"))
	if inv.Err != nil || !strings.Contains(string(inv.Payload), `"deleted"`) {
		t.Errorf("provisioned stream: %s, want deleted", inv.Payload)
	}
	if e := receive(t, st, 1)[0]; e.DetailType != "Kinesis Source Connection Deleted" {
		t.Errorf("published %q, want the deletion", e.DetailType)
	}
	if srcs := emu.SourceConnections("prod"); len(srcs) != 1 || srcs[0].ID != payments {
		t.Errorf("source connections left: %+v, want only the one in use", srcs)
	}
	if len(emu.Connections("prod")) != 1 {
		t.Error("the base connection was deleted")
	}
}
