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

func fleetConfig() Config {
	cfg := testConfig
	cfg.AllowedAccountIDs = []string{ownAccount, otherAccount}
	cfg.ReconcileRegions = []string{"eu-west-1", "us-east-2"}
	return cfg
}

func TestScheduledReconciliation(t *testing.T) {
	t.Parallel()
	fake := &provisiontest.Recorder{ReconcileResult: provision.ReconcileSummary{Seen: 3, Selected: 2, Created: 1, AlreadyPresent: 1}}
	d, ctx, logs := setup(t, fleetConfig(), fake)
	resp, err := d.Handle(ctx, eventBridge(t, "aws.events", "Scheduled Event", map[string]any{}))
	if err != nil {
		t.Fatalf("Handle() error = %v", err)
	}
	out := resp.(Outcome)
	if out.Status != "reconciled" || len(out.Reconciled) != 4 {
		t.Errorf("Outcome = %+v, want 4 reconciled summaries", out)
	}
	var got []string
	for _, r := range fake.Reconciles() {
		got = append(got, r.AccountID+"/"+r.Region+"/"+r.Sandbox+"/"+string(r.Trigger))
	}
	want := []string{ownAccount + "/eu-west-1/prod/schedule", ownAccount + "/us-east-2/prod/schedule", otherAccount + "/eu-west-1/prod/schedule", otherAccount + "/us-east-2/prod/schedule"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("reconciliations (-want +got):\n%s", diff)
	}
	if !strings.Contains(logs.String(), "seen 12, created 4") {
		t.Errorf("summary line does not count: %s", logs)
	}
}

func TestReconciliationWithFailuresIsRetried(t *testing.T) {
	t.Parallel()
	fake := &provisiontest.Recorder{ReconcileResult: provision.ReconcileSummary{Seen: 1, Selected: 1, Failed: 1}}
	d, ctx, _ := setup(t, fleetConfig(), fake)
	_, err := d.Handle(ctx, eventBridge(t, "aws.events", "Scheduled Event", map[string]any{}))
	var retry *RetryableError
	if !errors.As(err, &retry) || len(fake.Reconciles()) != 4 {
		t.Errorf("Handle() error = %v after %d runs, want a RetryableError after every run", err, len(fake.Reconciles()))
	}
}

func TestReconcileRouteAndDirect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		payload    func(t *testing.T) json.RawMessage
		wantStatus int // API answers; 0 for direct invocations
		wantErr    bool
		want       []string
	}{
		{name: "api", payload: func(t *testing.T) json.RawMessage {
			return httpV2(t, "POST", "/reconcile", `{"region":"eu-west-1","sandbox":"dev"}`, nil, false)
		}, wantStatus: 200, want: []string{ownAccount + "/eu-west-1/dev/reconcile"}},
		{name: "api other account", payload: func(t *testing.T) json.RawMessage {
			return restV1(t, "POST", "/reconcile", `{"region":"eu-west-1","accountId":"`+otherAccount+`"}`, nil, false)
		}, wantStatus: 200, want: []string{otherAccount + "/eu-west-1/prod/reconcile"}},
		{name: "api with a stream", payload: func(t *testing.T) json.RawMessage {
			return restV1(t, "POST", "/reconcile", `{"region":"eu-west-1","streamName":"s"}`, nil, false)
		}, wantStatus: 400},
		{name: "api not served", payload: func(t *testing.T) json.RawMessage {
			return restV1(t, "POST", "/reconcile", `{"region":"eu-west-1","accountId":"999999999999"}`, nil, false)
		}, wantStatus: 403},
		{name: "direct, every region", payload: func(t *testing.T) json.RawMessage {
			return json.RawMessage(`{"action":"reconcile"}`)
		}, want: []string{ownAccount + "/eu-west-1/prod/reconcile", ownAccount + "/us-east-2/prod/reconcile"}},
		{name: "direct, one region", payload: func(t *testing.T) json.RawMessage {
			return json.RawMessage(`{"action":"reconcile","region":"us-east-2"}`)
		}, want: []string{ownAccount + "/us-east-2/prod/reconcile"}},
		{name: "direct, unknown action", payload: func(t *testing.T) json.RawMessage {
			return json.RawMessage(`{"action":"destroy","region":"us-east-2"}`)
		}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := &provisiontest.Recorder{}
			d, ctx, _ := setup(t, fleetConfig(), fake)
			resp, err := d.Handle(ctx, tt.payload(t))
			if tt.wantStatus != 0 {
				if err != nil {
					t.Fatal(err)
				}
				if a := answerOf(t, resp); a.Status != tt.wantStatus {
					t.Errorf("status = %d (%v), want %d", a.Status, a.Body, tt.wantStatus)
				}
			} else if (err != nil) != tt.wantErr {
				t.Errorf("Handle() error = %v, want error %v", err, tt.wantErr)
			}
			var got []string
			for _, r := range fake.Reconciles() {
				got = append(got, r.AccountID+"/"+r.Region+"/"+r.Sandbox+"/"+string(r.Trigger))
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("reconciliations (-want +got):\n%s", diff)
			}
		})
	}
}

func secretsEvent(t *testing.T, source, detailType string, detail map[string]any) json.RawMessage {
	t.Helper()
	detail["eventSource"] = "secretsmanager.amazonaws.com"
	return eventBridge(t, source, detailType, detail)
}

func TestRotationEvents(t *testing.T) {
	t.Parallel()
	arn := "arn:aws:secretsmanager:eu-west-1:111122223333:secret:kinesis/eu-west-1-AbCdEf"
	tests := []struct {
		name       string
		payload    func(t *testing.T) json.RawMessage
		fakeErr    error
		wantSecret string
		wantReason string
	}{
		{name: "rotation succeeded", payload: func(t *testing.T) json.RawMessage {
			return secretsEvent(t, "aws.secretsmanager", "AWS Service Event via CloudTrail", map[string]any{"eventName": "RotationSucceeded", "additionalEventData": map[string]string{"SecretId": arn}})
		}, wantSecret: arn},
		{name: "put secret value", payload: func(t *testing.T) json.RawMessage {
			return secretsEvent(t, "aws.secretsmanager", "AWS API Call via CloudTrail", map[string]any{"eventName": "PutSecretValue", "requestParameters": map[string]string{"secretId": "kinesis/eu-west-1"}})
		}, wantSecret: "kinesis/eu-west-1"},
		{name: "update secret", payload: func(t *testing.T) json.RawMessage {
			return secretsEvent(t, "aws.secretsmanager", "AWS API Call via CloudTrail", map[string]any{"eventName": "UpdateSecret", "requestParameters": map[string]string{"secretId": arn}})
		}, wantSecret: arn},
		{name: "failed call", payload: func(t *testing.T) json.RawMessage {
			return secretsEvent(t, "aws.secretsmanager", "AWS API Call via CloudTrail", map[string]any{"eventName": "PutSecretValue", "errorCode": "AccessDenied"})
		}, wantReason: "failed with AccessDenied"},
		{name: "another secret", payload: func(t *testing.T) json.RawMessage {
			return secretsEvent(t, "aws.secretsmanager", "AWS API Call via CloudTrail", map[string]any{"eventName": "PutSecretValue", "requestParameters": map[string]string{"secretId": "db/password"}})
		}, fakeErr: provision.ErrSecretNotOurs, wantSecret: "db/password", wantReason: "is not the Kinesis keys' secret"},
		{name: "other api", payload: func(t *testing.T) json.RawMessage {
			return secretsEvent(t, "aws.secretsmanager", "AWS API Call via CloudTrail", map[string]any{"eventName": "GetSecretValue", "requestParameters": map[string]string{"secretId": arn}})
		}, wantReason: "GetSecretValue is not handled"},
		{name: "forged API call", payload: func(t *testing.T) json.RawMessage {
			return secretsEvent(t, "evil.secretsmanager", "AWS API Call via CloudTrail", map[string]any{"eventName": "PutSecretValue", "requestParameters": map[string]string{"secretId": arn}})
		}, wantReason: "refused"},
		{name: "forged service event", payload: func(t *testing.T) json.RawMessage {
			return secretsEvent(t, "evil.secretsmanager", "AWS Service Event via CloudTrail", map[string]any{"eventName": "RotationSucceeded", "additionalEventData": map[string]string{"SecretId": arn}})
		}, wantReason: "is not handled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := &provisiontest.Recorder{Err: tt.fakeErr, KeysUpdated: []provision.KeysUpdated{{Status: provision.CredentialsUpdated, ConnectionID: "c-1"}}}
			d, ctx, _ := setup(t, fleetConfig(), fake)
			resp, err := d.Handle(ctx, tt.payload(t))
			if err != nil {
				t.Fatalf("Handle() error = %v", err)
			}
			out := resp.(Outcome)
			var got []string
			for _, r := range fake.Rotations() {
				got = append(got, r.SecretID)
			}
			var want []string
			if tt.wantSecret != "" {
				want = []string{tt.wantSecret}
			}
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("rotations (-want +got):\n%s", diff)
			}
			if tt.wantReason == "" {
				if out.Status != "keys-updated" || len(out.KeysUpdated) != 1 {
					t.Errorf("Outcome = %+v, want keys-updated", out)
				}
			} else if out.Status != "skipped" || !strings.Contains(out.Reason, tt.wantReason) {
				t.Errorf("Outcome = %+v, want skipped because %q", out, tt.wantReason)
			}
		})
	}
}

func TestStreamNotSelected(t *testing.T) {
	t.Parallel()
	notSel := &provision.NotSelectedError{Stream: "s", Reason: "stream s matches the exclude pattern \"s*\""}
	d, ctx, _ := setup(t, testConfig, &provisiontest.Recorder{Err: notSel})
	resp, err := d.Handle(ctx, restV1(t, "POST", "/connections", `{"region":"eu-west-1","streamName":"s"}`, nil, false))
	if a := answerOf(t, resp); err != nil || a.Status != 422 || errorCode(a) != "StreamNotSelected" || !strings.Contains(a.Body["error"].(map[string]any)["message"].(string), "exclude pattern") {
		t.Errorf("API answer = %+v, %v; want 422 StreamNotSelected saying why", a, err)
	}
	resp, err = d.Handle(ctx, caseEvent(t, "custom-provision-request.json"))
	if out, ok := resp.(Outcome); err != nil || !ok || out.Status != "skipped" || !strings.Contains(out.Reason, "exclude pattern") {
		t.Errorf("event = %+v, %v; want a logged skip saying why", resp, err)
	}
	_, err = d.Handle(ctx, json.RawMessage(`{"region":"eu-west-1","streamName":"s"}`))
	var target *StreamNotSelectedError
	if !errors.As(err, &target) {
		t.Errorf("direct invocation error = %v, want *StreamNotSelectedError", err)
	}
}
