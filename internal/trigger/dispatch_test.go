package trigger

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/eventbus"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/flowservice"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/imsauth"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/provision"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/provision/provisiontest"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/secrets"
)

const (
	ownAccount   = "111122223333"
	otherAccount = "444455556666"
	functionARN  = "arn:aws:lambda:eu-west-1:" + ownAccount + ":function:provisioner"
)

var testConfig = Config{
	ProvisionEventSource: "custom.kinesis.provisioning",
	OwnEventSource:       "aep.kinesis.provisioner",
	DefaultSandbox:       "prod",
	DeadlineMargin:       100 * time.Millisecond,
}

// setup returns a dispatcher over a recording fake, a lambda context and
// the log buffer.
func setup(t *testing.T, cfg Config, fake *provisiontest.Recorder) (*Dispatcher, context.Context, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	d, err := NewDispatcher(cfg, fake, log)
	if err != nil {
		t.Fatalf("NewDispatcher() error = %v", err)
	}
	ctx := lambdacontext.NewContext(t.Context(), &lambdacontext.LambdaContext{AwsRequestID: "req-1", InvokedFunctionArn: functionARN})
	return d, ctx, &logs
}

func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// restV1 builds an API Gateway REST (payload v1) request.
func restV1(t *testing.T, method, path, body string, headers map[string]string, b64 bool) json.RawMessage {
	t.Helper()
	if headers == nil {
		headers = map[string]string{"Content-Type": "application/json"}
	}
	return mustJSON(t, events.APIGatewayProxyRequest{
		Resource: path, Path: path, HTTPMethod: method, Headers: headers, Body: body, IsBase64Encoded: b64,
		RequestContext: events.APIGatewayProxyRequestContext{RequestID: "api-req-1", Stage: "Prod", AccountID: ownAccount},
	})
}

// httpV2 builds an API Gateway HTTP API (payload v2) request.
func httpV2(t *testing.T, method, path, body string, headers map[string]string, b64 bool) json.RawMessage {
	t.Helper()
	if headers == nil {
		headers = map[string]string{"content-type": "application/json"}
	}
	return mustJSON(t, events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: method + " " + path, RawPath: path, Headers: headers, Body: body, IsBase64Encoded: b64,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RequestID: "api-req-1", Stage: "$default",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path},
		},
	})
}

type apiAnswer struct {
	Status  int
	Headers map[string]string
	Body    map[string]any
}

func answerOf(t *testing.T, resp any) apiAnswer {
	t.Helper()
	var status int
	var headers map[string]string
	var body string
	switch r := resp.(type) {
	case events.APIGatewayProxyResponse:
		status, headers, body = r.StatusCode, r.Headers, r.Body
	case events.APIGatewayV2HTTPResponse:
		status, headers, body = r.StatusCode, r.Headers, r.Body
	default:
		t.Fatalf("response is %T, want an API Gateway response", resp)
	}
	a := apiAnswer{Status: status, Headers: headers}
	if err := json.Unmarshal([]byte(body), &a.Body); err != nil {
		t.Fatalf("response body %q is not JSON: %v", body, err)
	}
	return a
}

func errorCode(a apiAnswer) string {
	e, _ := a.Body["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

func TestAPIRequests(t *testing.T) {
	t.Parallel()
	valid := `{"region":"eu-west-1","streamName":"orders"}`
	tests := []struct {
		name        string
		method      string
		path        string
		body        string
		headers     map[string]string
		b64         bool
		created     bool
		wantStatus  int
		wantCode    string
		wantRequest *provision.Request
		wantAllow   string
	}{
		{name: "created", method: "POST", path: "/connections", body: valid, created: true, wantStatus: 201,
			wantRequest: &provision.Request{AccountID: ownAccount, Region: "eu-west-1", StreamName: "orders", Sandbox: "prod", Trigger: provision.TriggerAPI, CorrelationID: "api-req-1"}},
		{name: "already existed", method: "POST", path: "/connections", body: valid, wantStatus: 200,
			wantRequest: &provision.Request{AccountID: ownAccount, Region: "eu-west-1", StreamName: "orders", Sandbox: "prod", Trigger: provision.TriggerAPI, CorrelationID: "api-req-1"}},
		{name: "all fields, trailing slash", method: "POST", path: "/connections/", body: `{"region":"us-east-2","accountId":"` + ownAccount + `","sandbox":"dev-sandbox"}`, created: true, wantStatus: 201,
			wantRequest: &provision.Request{AccountID: ownAccount, Region: "us-east-2", Sandbox: "dev-sandbox", Trigger: provision.TriggerAPI, CorrelationID: "api-req-1"}},
		{name: "base64 body", method: "POST", path: "/connections", body: base64.StdEncoding.EncodeToString([]byte(valid)), b64: true, created: true, wantStatus: 201,
			wantRequest: &provision.Request{AccountID: ownAccount, Region: "eu-west-1", StreamName: "orders", Sandbox: "prod", Trigger: provision.TriggerAPI, CorrelationID: "api-req-1"}},
		{name: "no content type", method: "POST", path: "/connections", body: valid, headers: map[string]string{}, created: true, wantStatus: 201,
			wantRequest: &provision.Request{AccountID: ownAccount, Region: "eu-west-1", StreamName: "orders", Sandbox: "prod", Trigger: provision.TriggerAPI, CorrelationID: "api-req-1"}},
		{name: "json with charset", method: "POST", path: "/connections", body: valid, headers: map[string]string{"Content-Type": "application/json; charset=utf-8"}, created: true, wantStatus: 201,
			wantRequest: &provision.Request{AccountID: ownAccount, Region: "eu-west-1", StreamName: "orders", Sandbox: "prod", Trigger: provision.TriggerAPI, CorrelationID: "api-req-1"}},
		{name: "unknown route", method: "POST", path: "/streams", body: valid, wantStatus: 404, wantCode: "NotFound"},
		{name: "wrong method", method: "DELETE", path: "/connections", body: valid, wantStatus: 405, wantCode: "MethodNotAllowed", wantAllow: "POST"},
		{name: "form body", method: "POST", path: "/connections", body: "region=eu-west-1", headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, wantStatus: 415, wantCode: "UnsupportedMediaType"},
		{name: "oversize body", method: "POST", path: "/connections", body: `{"region":"` + strings.Repeat("a", MaxBodyBytes) + `"}`, wantStatus: 413, wantCode: "PayloadTooLarge"},
		{name: "oversize base64 body", method: "POST", path: "/connections", body: base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("a"), MaxBodyBytes+10)), b64: true, wantStatus: 413, wantCode: "PayloadTooLarge"},
		{name: "invalid base64", method: "POST", path: "/connections", body: "not base64!", b64: true, wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "empty body", method: "POST", path: "/connections", body: "", wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "not json", method: "POST", path: "/connections", body: "{region:", wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "array", method: "POST", path: "/connections", body: `[1]`, wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "two objects", method: "POST", path: "/connections", body: valid + valid, wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "wrong type", method: "POST", path: "/connections", body: `{"region":42}`, wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "unknown field", method: "POST", path: "/connections", body: `{"region":"eu-west-1","stream":"x"}`, wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "missing region", method: "POST", path: "/connections", body: `{"streamName":"orders"}`, wantStatus: 400, wantCode: "InvalidRequest",
			wantRequest: &provision.Request{AccountID: ownAccount, StreamName: "orders", Sandbox: "prod", Trigger: provision.TriggerAPI, CorrelationID: "api-req-1"}},
		{name: "other account", method: "POST", path: "/connections", body: `{"region":"eu-west-1","accountId":"` + otherAccount + `"}`, wantStatus: 403, wantCode: "AccountNotServed"},
	}
	for _, tt := range tests {
		for _, version := range []string{"v1", "v2"} {
			t.Run(version+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				fake := &provisiontest.Recorder{ConnectionID: "conn-1", Created: tt.created}
				d, ctx, _ := setup(t, testConfig, fake)
				build := restV1
				if version == "v2" {
					build = httpV2
				}
				resp, err := d.Handle(ctx, build(t, tt.method, tt.path, tt.body, tt.headers, tt.b64))
				if err != nil {
					t.Fatalf("Handle() error = %v, want an HTTP answer", err)
				}
				a := answerOf(t, resp)
				if a.Status != tt.wantStatus || errorCode(a) != tt.wantCode {
					t.Errorf("Handle() = %d %q (%v), want %d %q", a.Status, errorCode(a), a.Body, tt.wantStatus, tt.wantCode)
				}
				if a.Headers["Content-Type"] != "application/json" {
					t.Errorf("Content-Type = %q, want application/json", a.Headers["Content-Type"])
				}
				if a.Headers["Allow"] != tt.wantAllow {
					t.Errorf("Allow = %q, want %q", a.Headers["Allow"], tt.wantAllow)
				}
				var want []provision.Request
				if tt.wantRequest != nil {
					want = []provision.Request{*tt.wantRequest}
				}
				if diff := cmp.Diff(want, fake.Requests(), cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("requests to the use case (-want +got):\n%s", diff)
				}
				if tt.wantStatus < 300 {
					if a.Body["connectionId"] != "conn-1" || a.Body["created"] != tt.created {
						t.Errorf("body = %v, want connectionId conn-1 and created %v", a.Body, tt.created)
					}
				}
			})
		}
	}
}

func TestAPIv2StagePrefix(t *testing.T) {
	t.Parallel()
	fake := &provisiontest.Recorder{ConnectionID: "conn-1", Created: true}
	d, ctx, _ := setup(t, testConfig, fake)
	var req events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(httpV2(t, "POST", "/prod/connections", `{"region":"eu-west-1"}`, nil, false), &req); err != nil {
		t.Fatal(err)
	}
	req.RequestContext.Stage = "prod"
	resp, err := d.Handle(ctx, mustJSON(t, req))
	if err != nil {
		t.Fatal(err)
	}
	if a := answerOf(t, resp); a.Status != 201 {
		t.Errorf("status = %d (%v), want 201", a.Status, a.Body)
	}
}

func TestAPIFailuresAreSafe(t *testing.T) {
	t.Parallel()
	const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
	tests := []struct {
		name           string
		err            error
		wantStatus     int
		wantCode       string
		wantRetryAfter string
	}{
		{"invalid", &provision.RequestError{Field: "region", Message: "is required"}, 400, "InvalidRequest", ""},
		{"missing secret", &provision.StepError{Step: provision.StepReadKeys, Err: &secrets.Error{SecretID: "kinesis/" + secret, Reason: "does not exist", NotFound: true}}, 500, "ConfigurationError", ""},
		{"adobe rejects", &provision.StepError{Step: provision.StepCreateConnection, Err: &flowservice.Error{StatusCode: 400, Code: "FLOW-1415-400", Message: "auth spec " + secret}}, 502, "AdobeRejected", ""},
		{"no such sandbox", &provision.StepError{Step: provision.StepFindConnection, Err: &flowservice.Error{StatusCode: 404, Code: "FLOW-2101-404", Message: "Sandbox not found " + secret}}, 400, "InvalidRequest", ""},
		{"adobe throttles", &provision.StepError{Step: provision.StepCreateConnection, Err: &flowservice.Error{StatusCode: 429, RetryAfter: 3 * time.Second}}, 503, "AdobeUnavailable", "3"},
		{"ims refuses", &provision.StepError{Step: provision.StepCreateConnection, Err: &imsauth.Error{StatusCode: 401, Code: "invalid_client", Description: secret}}, 502, "AdobeAuthFailed", ""},
		{"publish fails", &provision.StepError{Step: provision.StepPublish, ConnectionID: "c", Err: &eventbus.EntryError{Code: "InternalFailure"}}, 503, "PublishFailed", "1"},
		{"deadline", &provision.StepError{Step: provision.StepCreateConnection, Err: fmt.Errorf("post: %w", context.DeadlineExceeded)}, 504, "Timeout", ""},
		{"aws sdk", &provision.StepError{Step: provision.StepReadKeys, Err: errors.New("operation error Secrets Manager: GetSecretValue, https://secretsmanager.eu-west-1.amazonaws.com " + secret)}, 503, "DependencyUnavailable", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, ctx, logs := setup(t, testConfig, &provisiontest.Recorder{Err: tt.err})
			resp, err := d.Handle(ctx, restV1(t, "POST", "/connections", `{"region":"eu-west-1"}`, nil, false))
			if err != nil {
				t.Fatal(err)
			}
			a := answerOf(t, resp)
			if a.Status != tt.wantStatus || errorCode(a) != tt.wantCode || a.Headers["Retry-After"] != tt.wantRetryAfter {
				t.Errorf("Handle() = %d %q Retry-After %q, want %d %q %q", a.Status, errorCode(a), a.Headers["Retry-After"], tt.wantStatus, tt.wantCode, tt.wantRetryAfter)
			}
			body := fmt.Sprint(a.Body)
			for _, leak := range []string{secret, "amazonaws.com", "kinesis/"} {
				if strings.Contains(body, leak) {
					t.Errorf("response %s leaks %q", body, leak)
				}
			}
			if tt.wantStatus >= 500 && !strings.Contains(logs.String(), `"level":"ERROR"`) {
				t.Errorf("no ERROR log line for a %d: %s", tt.wantStatus, logs)
			}
		})
	}
}

// caseEvent reads a handed case from the repository's events folder.
func caseEvent(t *testing.T, name string) json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func eventBridge(t *testing.T, source, detailType string, detail any) json.RawMessage {
	t.Helper()
	return mustJSON(t, map[string]any{
		"version": "0", "id": "evt-1", "detail-type": detailType, "source": source, "account": ownAccount,
		"time": "2026-12-02T08:00:00Z", "region": "eu-west-1", "resources": []string{}, "detail": detail,
	})
}

func TestEvents(t *testing.T) {
	t.Parallel()
	custom := "custom.kinesis.provisioning"
	served := Config{AllowedAccountIDs: []string{ownAccount, otherAccount}}
	tests := []struct {
		name        string
		payload     func(t *testing.T) json.RawMessage
		allowed     []string
		wantRequest *provision.Request
		wantReason  string // substring of the skip reason; empty when provisioned
		wantLevel   string
	}{
		{name: "cloudtrail create stream", payload: func(t *testing.T) json.RawMessage { return caseEvent(t, "cloudtrail-createstream-provisioned.json") },
			wantRequest: &provision.Request{AccountID: ownAccount, Region: "eu-west-1", StreamName: "orders-clickstream", Sandbox: "prod", Trigger: provision.TriggerCloudTrail, CorrelationID: "6a7e8feb-b491-4cf7-a9f1-bf3703467718"}},
		{name: "cloudtrail on-demand, other served account", allowed: served.AllowedAccountIDs, payload: func(t *testing.T) json.RawMessage { return caseEvent(t, "cloudtrail-createstream-ondemand.json") },
			wantRequest: &provision.Request{AccountID: otherAccount, Region: "us-east-2", StreamName: "iot-telemetry.v2", Sandbox: "prod", Trigger: provision.TriggerCloudTrail, CorrelationID: "b1c9f0d4-2e57-4a8f-9b61-3f0e2d7c5a90",
				Tags: map[string]string{"team": "iot", "env": "prod"}}},
		{name: "cloudtrail account not served", payload: func(t *testing.T) json.RawMessage { return caseEvent(t, "cloudtrail-createstream-ondemand.json") },
			wantReason: "444455556666 is not served", wantLevel: "WARN"},
		{name: "failed create stream", payload: func(t *testing.T) json.RawMessage { return caseEvent(t, "cloudtrail-createstream-failed.json") },
			wantReason: "CreateStream failed with ResourceInUseException", wantLevel: "INFO"},
		{name: "custom event", payload: func(t *testing.T) json.RawMessage { return caseEvent(t, "custom-provision-request.json") },
			wantRequest: &provision.Request{AccountID: ownAccount, Region: "eu-west-1", StreamName: "payments-events", Sandbox: "prod", Trigger: provision.TriggerEvent, CorrelationID: "5e4d3c2b-1a09-4f8e-8d7c-6b5a4f3e2d1c"}},
		{name: "custom event with account and sandbox", allowed: served.AllowedAccountIDs, payload: func(t *testing.T) json.RawMessage {
			return eventBridge(t, custom, ProvisionDetailType, map[string]string{"region": "us-east-2", "streamName": "s", "accountId": otherAccount, "sandbox": "dev"})
		}, wantRequest: &provision.Request{AccountID: otherAccount, Region: "us-east-2", StreamName: "s", Sandbox: "dev", Trigger: provision.TriggerEvent, CorrelationID: "evt-1"}},
		{name: "custom event without stream", payload: func(t *testing.T) json.RawMessage {
			return eventBridge(t, custom, ProvisionDetailType, map[string]string{"region": "eu-west-1"})
		}, wantReason: "no streamName", wantLevel: "ERROR"},
		{name: "custom event with bad detail", payload: func(t *testing.T) json.RawMessage {
			return eventBridge(t, custom, ProvisionDetailType, []int{1})
		}, wantReason: "detail must be an object", wantLevel: "ERROR"},
		{name: "custom event with invalid region", payload: func(t *testing.T) json.RawMessage {
			return eventBridge(t, custom, ProvisionDetailType, map[string]string{"region": "moon-1", "streamName": "s"})
		}, wantRequest: &provision.Request{AccountID: ownAccount, Region: "moon-1", StreamName: "s", Sandbox: "prod", Trigger: provision.TriggerEvent, CorrelationID: "evt-1"},
			wantReason: "invalid provisioning request", wantLevel: "ERROR"},
		{name: "custom event from another source", payload: func(t *testing.T) json.RawMessage {
			return eventBridge(t, "someone.else", ProvisionDetailType, map[string]string{"region": "eu-west-1", "streamName": "s"})
		}, wantReason: "only \"custom.kinesis.provisioning\" is accepted", wantLevel: "WARN"},
		{name: "forged cloudtrail", payload: func(t *testing.T) json.RawMessage {
			var e map[string]any
			if err := json.Unmarshal(caseEvent(t, "cloudtrail-createstream-provisioned.json"), &e); err != nil {
				t.Fatal(err)
			}
			e["source"] = "evil.kinesis"
			return mustJSON(t, e)
		}, wantReason: "only \"aws.kinesis\" is trusted", wantLevel: "WARN"},
		{name: "own event fed back", payload: func(t *testing.T) json.RawMessage {
			return eventBridge(t, "aep.kinesis.provisioner", "Kinesis Connection Provisioned", map[string]string{"connectionId": "c"})
		}, wantReason: "own event", wantLevel: "INFO"},
		{name: "cloudtrail for another api", payload: func(t *testing.T) json.RawMessage {
			return eventBridge(t, "aws.dynamodb", "AWS API Call via CloudTrail", map[string]any{"eventSource": "dynamodb.amazonaws.com", "eventName": "DeleteTable"})
		}, wantReason: "only \"aws.kinesis\" is trusted", wantLevel: "WARN"},
		{name: "kinesis update shard count", payload: func(t *testing.T) json.RawMessage {
			return eventBridge(t, "aws.kinesis", "AWS API Call via CloudTrail", map[string]any{"eventSource": "kinesis.amazonaws.com", "eventName": "UpdateShardCount", "requestParameters": map[string]string{"streamName": "s"}})
		}, wantReason: "UpdateShardCount is not handled", wantLevel: "INFO"},
		{name: "cloudtrail without parameters", payload: func(t *testing.T) json.RawMessage {
			return eventBridge(t, "aws.kinesis", "AWS API Call via CloudTrail", map[string]any{"eventSource": "kinesis.amazonaws.com", "eventName": "CreateStream", "requestParameters": nil})
		}, wantReason: "without requestParameters.streamName", wantLevel: "ERROR"},
		{name: "cloudtrail with bad record", payload: func(t *testing.T) json.RawMessage {
			return eventBridge(t, "aws.kinesis", "AWS API Call via CloudTrail", "text")
		}, wantReason: "could not be decoded", wantLevel: "ERROR"},
		{name: "scheduled event from another source", payload: func(t *testing.T) json.RawMessage {
			return eventBridge(t, "custom.scheduler", "Scheduled Event", map[string]any{})
		}, wantReason: "is not handled", wantLevel: "INFO"},
		{name: "bad envelope", payload: func(t *testing.T) json.RawMessage {
			return json.RawMessage(`{"detail-type":"x","source":"y","time":"not a time"}`)
		}, wantReason: "envelope could not be decoded", wantLevel: "WARN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig
			cfg.AllowedAccountIDs = tt.allowed
			fake := &provisiontest.Recorder{ConnectionID: "conn-1", Created: true}
			d, ctx, logs := setup(t, cfg, fake)
			resp, err := d.Handle(ctx, tt.payload(t))
			if err != nil {
				t.Fatalf("Handle() error = %v, want success (no Lambda retry)", err)
			}
			out, ok := resp.(Outcome)
			if !ok {
				t.Fatalf("Handle() = %T, want Outcome", resp)
			}
			var want []provision.Request
			if tt.wantRequest != nil {
				want = []provision.Request{*tt.wantRequest}
			}
			if diff := cmp.Diff(want, fake.Requests(), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("requests to the use case (-want +got):\n%s", diff)
			}
			if tt.wantReason == "" {
				if out.Status != "provisioned" || out.Result == nil || out.Result.ConnectionID != "conn-1" {
					t.Errorf("Outcome = %+v, want provisioned conn-1", out)
				}
				return
			}
			if out.Status != "skipped" || !strings.Contains(out.Reason, tt.wantReason) {
				t.Errorf("Outcome = %+v, want skipped because %q", out, tt.wantReason)
			}
			lines := summaryLines(t, logs)
			if len(lines) != 1 || lines[0]["level"] != tt.wantLevel || !strings.Contains(fmt.Sprint(lines[0]["reason"]), tt.wantReason) {
				t.Errorf("summary log lines = %v, want one %s line with the reason", lines, tt.wantLevel)
			}
		})
	}
}

func summaryLines(t *testing.T, logs *bytes.Buffer) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, l := range bytes.Split(bytes.TrimSpace(logs.Bytes()), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatalf("log line %q is not JSON", l)
		}
		if m["msg"] == "invocation" {
			lines = append(lines, m)
		}
	}
	return lines
}

func TestEventFailuresAreReturnedForRetry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		err      error
		wantType any
	}{
		{"throttled", &provision.StepError{Step: provision.StepCreateConnection, Err: &flowservice.Error{StatusCode: 429}}, &RetryableError{}},
		{"publish", &provision.StepError{Step: provision.StepPublish, Err: &eventbus.EntryError{Code: "InternalFailure"}}, &RetryableError{}},
		{"rejected", &provision.StepError{Step: provision.StepCreateConnection, Err: &flowservice.Error{StatusCode: 403, Code: "403027"}}, &ProvisioningError{}},
		{"config", &provision.StepError{Step: provision.StepReadKeys, Err: &secrets.Error{SecretID: "k", Reason: "does not exist"}}, &ProvisioningError{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, ctx, _ := setup(t, testConfig, &provisiontest.Recorder{Err: tt.err})
			_, err := d.Handle(ctx, caseEvent(t, "custom-provision-request.json"))
			switch tt.wantType.(type) {
			case *RetryableError:
				var target *RetryableError
				if !errors.As(err, &target) {
					t.Errorf("Handle() error = %T %v, want *RetryableError", err, err)
				}
			case *ProvisioningError:
				var target *ProvisioningError
				if !errors.As(err, &target) {
					t.Errorf("Handle() error = %T %v, want *ProvisioningError", err, err)
				}
			}
		})
	}
}

func TestDirectInvocation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		payload     string
		wantRequest *provision.Request
		wantErr     any
	}{
		{name: "handed case", payload: string(caseEvent(t, "direct-invocation.json")),
			wantRequest: &provision.Request{AccountID: ownAccount, Region: "eu-west-1", StreamName: "orders-clickstream", Sandbox: "prod", Trigger: provision.TriggerDirect, CorrelationID: "req-1"}},
		{name: "defaults", payload: `{"region":"eu-west-1"}`,
			wantRequest: &provision.Request{AccountID: ownAccount, Region: "eu-west-1", Sandbox: "prod", Trigger: provision.TriggerDirect, CorrelationID: "req-1"}},
		{name: "not an object", payload: `"hello"`, wantErr: &InvalidRequestError{}},
		{name: "null", payload: `null`, wantErr: &InvalidRequestError{}},
		{name: "number", payload: `1e999999`, wantErr: &InvalidRequestError{}},
		{name: "unknown field", payload: `{"Region":"eu-west-1"}`, wantErr: &InvalidRequestError{}},
		{name: "wrong type", payload: `{"region":["eu-west-1"]}`, wantErr: &InvalidRequestError{}},
		{name: "bad stream name", payload: `{"region":"eu-west-1","streamName":"has space"}`, wantErr: &InvalidRequestError{},
			wantRequest: &provision.Request{AccountID: ownAccount, Region: "eu-west-1", StreamName: "has space", Sandbox: "prod", Trigger: provision.TriggerDirect, CorrelationID: "req-1"}},
		{name: "account not served", payload: `{"region":"eu-west-1","accountId":"` + otherAccount + `"}`, wantErr: &AccountNotServedError{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := &provisiontest.Recorder{ConnectionID: "conn-1", Created: true}
			d, ctx, _ := setup(t, testConfig, fake)
			resp, err := d.Handle(ctx, json.RawMessage(tt.payload))
			switch tt.wantErr.(type) {
			case nil:
				res, ok := resp.(provision.Result)
				if err != nil || !ok || res.ConnectionID != "conn-1" {
					t.Errorf("Handle() = %v, %v; want a result for conn-1", resp, err)
				}
			case *InvalidRequestError:
				var target *InvalidRequestError
				if !errors.As(err, &target) {
					t.Errorf("Handle() error = %T %v, want *InvalidRequestError", err, err)
				}
			case *AccountNotServedError:
				var target *AccountNotServedError
				if !errors.As(err, &target) {
					t.Errorf("Handle() error = %T %v, want *AccountNotServedError", err, err)
				}
			}
			var want []provision.Request
			if tt.wantRequest != nil {
				want = []provision.Request{*tt.wantRequest}
			}
			if diff := cmp.Diff(want, fake.Requests(), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("requests to the use case (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPanicIsRecovered(t *testing.T) {
	t.Parallel()
	for name, payload := range map[string]func(t *testing.T) json.RawMessage{
		"api": func(t *testing.T) json.RawMessage {
			return restV1(t, "POST", "/connections", `{"region":"eu-west-1"}`, nil, false)
		},
		"event":  func(t *testing.T) json.RawMessage { return caseEvent(t, "custom-provision-request.json") },
		"direct": func(t *testing.T) json.RawMessage { return json.RawMessage(`{"region":"eu-west-1"}`) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d, ctx, logs := setup(t, testConfig, &provisiontest.Recorder{Panic: "boom"})
			resp, err := d.Handle(ctx, payload(t))
			if name == "api" {
				if a := answerOf(t, resp); a.Status != http.StatusInternalServerError || strings.Contains(fmt.Sprint(a.Body), "goroutine") {
					t.Errorf("answer = %+v, want a 500 without a stack trace", a)
				}
			} else {
				var target *InternalError
				if !errors.As(err, &target) || strings.Contains(err.Error(), "goroutine") {
					t.Errorf("Handle() error = %v, want *InternalError without a stack trace", err)
				}
			}
			if !strings.Contains(logs.String(), "recovered from a panic") {
				t.Errorf("the panic was not logged: %s", logs)
			}
		})
	}
}

func TestDeadlineMarginShortensContext(t *testing.T) {
	t.Parallel()
	deadline := time.Now().Add(time.Hour)
	var seen time.Time
	d, ctx, _ := setup(t, testConfig, nil)
	d.svc = provisionerFunc{Recorder: &provisiontest.Recorder{}, f: func(ctx context.Context, _ provision.Request) (provision.Result, error) {
		seen, _ = ctx.Deadline()
		return provision.Result{}, errors.New("stop")
	}}
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	if _, err := d.Handle(ctx, json.RawMessage(`{"region":"eu-west-1"}`)); err == nil {
		t.Fatal("Handle() error = nil, want the fake's error")
	}
	if want := deadline.Add(-testConfig.DeadlineMargin); !seen.Equal(want) {
		t.Errorf("use case deadline = %v, want %v", seen, want)
	}
}

// provisionerFunc overrides the fake's Provision.
type provisionerFunc struct {
	*provisiontest.Recorder
	f func(context.Context, provision.Request) (provision.Result, error)
}

func (p provisionerFunc) Provision(ctx context.Context, r provision.Request) (provision.Result, error) {
	return p.f(ctx, r)
}

func TestWarningsAreLogged(t *testing.T) {
	t.Parallel()
	d, ctx, logs := setup(t, testConfig, &provisiontest.Recorder{ConnectionID: "c", Warnings: []string{"region differs"}})
	if _, err := d.Handle(ctx, json.RawMessage(`{"region":"eu-west-1"}`)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), `"level":"WARN","msg":"region differs"`) {
		t.Errorf("warning not logged at WARN: %s", logs)
	}
}
