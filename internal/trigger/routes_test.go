package trigger

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/provision"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/provision/provisiontest"
)

// withQuery adds query parameters to an API payload of either version.
func withQuery(t *testing.T, payload json.RawMessage, q map[string]string) json.RawMessage {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(payload, &m); err != nil {
		t.Fatal(err)
	}
	m["queryStringParameters"] = q
	return mustJSON(t, m)
}

func TestStatusAndDeleteRoutes(t *testing.T) {
	t.Parallel()
	deleted := []provision.Deprovisioned{{Status: provision.DeprovisionDeleted, SourceConnectionID: "src-1", StreamName: "orders"}}
	busy := []provision.Deprovisioned{{Status: provision.DeprovisionNeedsAttention, SourceConnectionID: "src-1", StreamName: "orders", AdobeCode: "FLOW-1418-400", AdobeMessage: "used in a flow"}}
	tests := []struct {
		name       string
		method     string
		path       string
		query      map[string]string
		deprov     []provision.Deprovisioned
		status     provision.Status
		err        error
		wantStatus int
		wantCode   string
		wantDeprov *provision.DeprovisionRequest
		wantAllow  string
	}{
		{name: "status", method: "GET", path: "/connections/eu-west-1", status: provision.Status{ConnectionID: "c-1"}, wantStatus: 200},
		{name: "status of another served account and sandbox", method: "GET", path: "/connections/eu-west-1", query: map[string]string{"accountId": ownAccount, "sandbox": "dev"}, wantStatus: 200},
		{name: "status not provisioned", method: "GET", path: "/connections/eu-west-1", err: provision.ErrNotProvisioned, wantStatus: 404, wantCode: "NotProvisioned"},
		{name: "status invalid region", method: "GET", path: "/connections/moon", err: &provision.RequestError{Field: "region", Message: "bad"}, wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "status unknown query", method: "GET", path: "/connections/eu-west-1", query: map[string]string{"account": "x"}, wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "status other account", method: "GET", path: "/connections/eu-west-1", query: map[string]string{"accountId": otherAccount}, wantStatus: 403, wantCode: "AccountNotServed"},
		{name: "delete", method: "DELETE", path: "/streams/eu-west-1/orders", deprov: deleted, wantStatus: 200,
			wantDeprov: &provision.DeprovisionRequest{AccountID: ownAccount, Region: "eu-west-1", StreamName: "orders", Sandbox: "prod", Trigger: provision.TriggerAPI, CorrelationID: "api-req-1"}},
		{name: "delete in a sandbox", method: "DELETE", path: "/streams/eu-west-1/orders.v2", query: map[string]string{"sandbox": "dev"}, deprov: deleted, wantStatus: 200,
			wantDeprov: &provision.DeprovisionRequest{AccountID: ownAccount, Region: "eu-west-1", StreamName: "orders.v2", Sandbox: "dev", Trigger: provision.TriggerAPI, CorrelationID: "api-req-1"}},
		{name: "delete unknown stream", method: "DELETE", path: "/streams/eu-west-1/orders", wantStatus: 404, wantCode: "NotProvisioned",
			wantDeprov: &provision.DeprovisionRequest{AccountID: ownAccount, Region: "eu-west-1", StreamName: "orders", Sandbox: "prod", Trigger: provision.TriggerAPI, CorrelationID: "api-req-1"}},
		{name: "delete used by a dataflow", method: "DELETE", path: "/streams/eu-west-1/orders", deprov: busy, wantStatus: 409, wantCode: "SourceConnectionInUse",
			wantDeprov: &provision.DeprovisionRequest{AccountID: ownAccount, Region: "eu-west-1", StreamName: "orders", Sandbox: "prod", Trigger: provision.TriggerAPI, CorrelationID: "api-req-1"}},
		{name: "wrong method on streams", method: "POST", path: "/streams/eu-west-1/orders", wantStatus: 405, wantCode: "MethodNotAllowed", wantAllow: "DELETE"},
		{name: "wrong method on a connection", method: "PUT", path: "/connections/eu-west-1", wantStatus: 405, wantCode: "MethodNotAllowed", wantAllow: "GET"},
		{name: "too deep", method: "GET", path: "/connections/eu-west-1/extra", wantStatus: 404, wantCode: "NotFound"},
		{name: "post with a query", method: "POST", path: "/connections", query: map[string]string{"sandbox": "dev"}, wantStatus: 400, wantCode: "InvalidRequest"},
	}
	for _, tt := range tests {
		for _, version := range []string{"v1", "v2"} {
			t.Run(version+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				fake := &provisiontest.Recorder{Deprovisioned: tt.deprov, StatusResult: tt.status, Err: tt.err}
				d, ctx, _ := setup(t, testConfig, fake)
				build := restV1
				if version == "v2" {
					build = httpV2
				}
				payload := build(t, tt.method, tt.path, `{"region":"eu-west-1"}`, nil, false)
				if tt.query != nil {
					payload = withQuery(t, payload, tt.query)
				}
				resp, err := d.Handle(ctx, payload)
				if err != nil {
					t.Fatal(err)
				}
				a := answerOf(t, resp)
				if a.Status != tt.wantStatus || errorCode(a) != tt.wantCode || a.Headers["Allow"] != tt.wantAllow {
					t.Errorf("Handle() = %d %q Allow %q (%v), want %d %q Allow %q", a.Status, errorCode(a), a.Headers["Allow"], a.Body, tt.wantStatus, tt.wantCode, tt.wantAllow)
				}
				var want []provision.DeprovisionRequest
				if tt.wantDeprov != nil {
					want = []provision.DeprovisionRequest{*tt.wantDeprov}
				}
				if diff := cmp.Diff(want, fake.Deprovisions(), cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("deprovision requests (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func deleteStreamEvent(t *testing.T, params map[string]any, errorCode string) json.RawMessage {
	t.Helper()
	detail := map[string]any{
		"eventSource": "kinesis.amazonaws.com", "eventName": "DeleteStream", "awsRegion": "eu-west-1",
		"recipientAccountId": ownAccount, "requestParameters": params,
	}
	if errorCode != "" {
		detail["errorCode"] = errorCode
	}
	return eventBridge(t, "aws.kinesis", "AWS API Call via CloudTrail", detail)
}

func TestDeleteStreamEvents(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		payload    func(t *testing.T) json.RawMessage
		allowed    []string
		want       *provision.DeprovisionRequest
		wantReason string
	}{
		{name: "by name", payload: func(t *testing.T) json.RawMessage {
			return deleteStreamEvent(t, map[string]any{"streamName": "orders"}, "")
		},
			want: &provision.DeprovisionRequest{AccountID: ownAccount, Region: "eu-west-1", StreamName: "orders", Trigger: provision.TriggerCloudTrail, CorrelationID: "evt-1"}},
		{name: "by ARN", allowed: []string{ownAccount, otherAccount}, payload: func(t *testing.T) json.RawMessage {
			return deleteStreamEvent(t, map[string]any{"streamARN": "arn:aws:kinesis:us-east-2:" + otherAccount + ":stream/iot.v2", "enforceConsumerDeletion": true}, "")
		}, want: &provision.DeprovisionRequest{AccountID: otherAccount, Region: "us-east-2", StreamName: "iot.v2", Trigger: provision.TriggerCloudTrail, CorrelationID: "evt-1"}},
		{name: "failed call", payload: func(t *testing.T) json.RawMessage {
			return deleteStreamEvent(t, nil, "ResourceNotFoundException")
		}, wantReason: "DeleteStream failed with ResourceNotFoundException"},
		{name: "no stream", payload: func(t *testing.T) json.RawMessage { return deleteStreamEvent(t, map[string]any{}, "") }, wantReason: "names no stream"},
		{name: "bad ARN", payload: func(t *testing.T) json.RawMessage {
			return deleteStreamEvent(t, map[string]any{"streamARN": "not-an-arn"}, "")
		}, wantReason: "names no stream"},
		{name: "account not served", payload: func(t *testing.T) json.RawMessage {
			return deleteStreamEvent(t, map[string]any{"streamARN": "arn:aws:kinesis:us-east-2:" + otherAccount + ":stream/s"}, "")
		}, wantReason: "not served"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig
			cfg.AllowedAccountIDs = tt.allowed
			fake := &provisiontest.Recorder{}
			d, ctx, _ := setup(t, cfg, fake)
			resp, err := d.Handle(ctx, tt.payload(t))
			if err != nil {
				t.Fatalf("Handle() error = %v", err)
			}
			out := resp.(Outcome)
			if tt.want != nil {
				if out.Status != "deprovisioned" {
					t.Errorf("Outcome = %+v, want deprovisioned", out)
				}
				if diff := cmp.Diff([]provision.DeprovisionRequest{*tt.want}, fake.Deprovisions()); diff != "" {
					t.Errorf("deprovision requests (-want +got):\n%s", diff)
				}
				return
			}
			if out.Status != "skipped" || !strings.Contains(out.Reason, tt.wantReason) || len(fake.Deprovisions()) != 0 {
				t.Errorf("Outcome = %+v, want skipped because %q and no deprovisioning", out, tt.wantReason)
			}
		})
	}
}

func TestDeleteStreamFailureIsRetryable(t *testing.T) {
	t.Parallel()
	fake := &provisiontest.Recorder{Err: &provision.StepError{Step: provision.StepDeleteSource, Err: errors.New("503")}}
	d, ctx, _ := setup(t, testConfig, fake)
	_, err := d.Handle(ctx, deleteStreamEvent(t, map[string]any{"streamName": "orders"}, ""))
	var target *RetryableError
	if !errors.As(err, &target) {
		t.Errorf("Handle() error = %v, want *RetryableError", err)
	}
}
