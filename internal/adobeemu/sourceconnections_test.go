package adobeemu

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/contracts"
)

func TestSourceConnections(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	base, _ := f.createConnection("base")
	other, _ := f.createConnection("other base")

	id := f.createSource(base, nil)
	f.createSource(other, func(m map[string]any) {
		m["name"] = "second"
		m["params"].(map[string]any)["stream"] = "clicks-stream"
	})

	srcs := f.emu.SourceConnections("prod")
	if len(srcs) != 2 {
		t.Fatalf("len(SourceConnections(prod)) = %d, want 2", len(srcs))
	}
	got := srcs[0]
	want := SourceConnection{
		ID:               id,
		Name:             "AWS Kinesis source connection",
		Description:      "A source connection for AWS Kinesis",
		BaseConnectionID: base,
		ConnectionSpec:   SpecRef{ID: contracts.KinesisConnectionSpecID, Version: "1.0"},
		Data:             SourceData{Format: "json"},
		Params:           map[string]string{"stream": "orders-stream", "dataType": "raw", "reset": "latest"},
		State:            "enabled",
		CreatedAt:        got.CreatedAt,
		UpdatedAt:        got.CreatedAt,
		CreatedBy:        testClientID,
		UpdatedBy:        testClientID,
		CreatedClient:    testClientID,
		UpdatedClient:    testClientID,
		SandboxID:        got.SandboxID,
		SandboxName:      "prod",
		IMSOrgID:         testOrgID,
		Version:          got.ETag,
		ETag:             got.ETag,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stored source connection mismatch (-want +got):\n%s", diff)
	}

	resp := f.flow(http.MethodGet, "/sourceConnections/"+id, "")
	var one struct{ Items []SourceConnection }
	if err := json.Unmarshal(resp.body, &one); err != nil || resp.status != http.StatusOK {
		t.Fatalf("GET /sourceConnections/{id} = %d, decode error %v", resp.status, err)
	}
	if diff := cmp.Diff([]SourceConnection{want}, one.Items); diff != "" {
		t.Errorf("GET /sourceConnections/{id} items mismatch (-want +got):\n%s", diff)
	}

	for _, tc := range []struct{ query, want []string }{
		{[]string{"baseConnectionId==" + other}, []string{"second"}},
		{[]string{"params.stream==orders-stream"}, []string{"AWS Kinesis source connection"}},
		{[]string{"baseConnectionId==" + base + "," + other, "params.stream==clicks-stream"}, []string{"second"}},
	} {
		var q []string
		for _, p := range tc.query {
			q = append(q, "property="+url.QueryEscape(p))
		}
		if diff := cmp.Diff(tc.want, f.listNames("/sourceConnections?"+strings.Join(q, "&"))); diff != "" {
			t.Errorf("GET /sourceConnections?%s names mismatch (-want +got):\n%s", strings.Join(q, "&"), diff)
		}
	}

	f.emu.AttachDataflow(id)
	resp = f.flow(http.MethodDelete, "/sourceConnections/"+id, "")
	if resp.status != http.StatusBadRequest || "FLOW-"+strings.TrimPrefix(resp.errorType(), "FLOW-") != CodeSourceConnectionInUse {
		t.Errorf("DELETE a source connection used by a dataflow = %d %s, want 400 %s", resp.status, resp.errorType(), CodeSourceConnectionInUse)
	}
	second := f.emu.SourceConnections("prod")[1].ID
	if got := f.flow(http.MethodDelete, "/sourceConnections/"+second, "").status; got != http.StatusNoContent {
		t.Errorf("DELETE /sourceConnections/{id} status = %d, want 204", got)
	}
	if got := f.flow(http.MethodGet, "/sourceConnections/"+second, "").status; got != http.StatusNotFound {
		t.Errorf("GET after DELETE status = %d, want 404", got)
	}
	if got := len(f.emu.SourceConnections("prod")); got != 1 {
		t.Errorf("len(SourceConnections(prod)) = %d, want 1", got)
	}
}

func TestCreateSourceConnectionRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		base       string // "" uses a created base connection
		mutate     func(map[string]any)
		wantType   string
		wantDetail string
	}{
		{name: "missing name (spec)", mutate: func(m map[string]any) { delete(m, "name") }, wantType: "FLOW-1000-400", wantDetail: "name"},
		{name: "missing data (spec)", mutate: func(m map[string]any) { delete(m, "data") }, wantType: "FLOW-1000-400", wantDetail: "data"},
		{name: "missing baseConnectionId", mutate: func(m map[string]any) { delete(m, "baseConnectionId") },
			wantType: "FLOW-1304-400", wantDetail: "baseConnectionId"},
		{name: "unknown base connection", base: "00000000-0000-0000-0000-000000000000", wantType: "FLOW-1000-400", wantDetail: "not found"},
		{name: "other connection spec", mutate: func(m map[string]any) {
			m["connectionSpec"] = map[string]any{"id": "ecadc60c-7455-4d87-84dc-2a0e293d997b", "version": "1.0"}
		}, wantType: "FLOW-1000-400", wantDetail: "does not match"},
		{name: "parquet format", mutate: func(m map[string]any) { m["data"] = map[string]any{"format": "parquet"} },
			wantType: "FLOW-1327-400", wantDetail: "json"},
		{name: "missing stream", mutate: func(m map[string]any) { delete(m["params"].(map[string]any), "stream") },
			wantType: "FLOW-1304-400", wantDetail: "params.stream"},
		{name: "bad dataType", mutate: func(m map[string]any) { m["params"].(map[string]any)["dataType"] = "csv" },
			wantType: "FLOW-1312-400", wantDetail: "params.dataType"},
		{name: "bad reset", mutate: func(m map[string]any) { m["params"].(map[string]any)["reset"] = "TRIM_HORIZON" },
			wantType: "FLOW-1312-400", wantDetail: "params.reset"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, nil)
			base := tt.base
			if base == "" {
				base, _ = f.createConnection("base")
			}
			resp := f.flow(http.MethodPost, "/sourceConnections", sourceBody(t, base, tt.mutate))
			if resp.status != http.StatusBadRequest || resp.errorType() != tt.wantType {
				t.Fatalf("POST /sourceConnections = %d %s, want 400 %s (body %s)", resp.status, resp.errorType(), tt.wantType, resp.body)
			}
			if d := resp.detail(); !strings.Contains(d, tt.wantDetail) {
				t.Errorf("detailed-message = %q, want it to mention %q", d, tt.wantDetail)
			}
			if got := len(f.emu.SourceConnections("prod")); got != 0 {
				t.Errorf("len(SourceConnections(prod)) = %d, want 0", got)
			}
		})
	}
}

func TestCreateSourceConnectionWithoutBody(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	resp := f.flow(http.MethodPost, "/sourceConnections", "", withHeader("Content-Type", "application/json"))
	if resp.status != http.StatusBadRequest || resp.errorType() != "FLOW-1000-400" {
		t.Errorf("POST /sourceConnections without body = %d %s, want 400 FLOW-1000-400", resp.status, resp.errorType())
	}
}
