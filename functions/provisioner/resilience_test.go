package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/adobeemu"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/awsfault"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/localenv"
)

// TestRecoversAfterALongAWSOutage: 120 consecutive DynamoDB failures, then
// the service is back: a warm container recovers at once, and still retries
// a transient failure (the SDK's client-side retry quota would be spent).
func TestRecoversAfterALongAWSOutage(t *testing.T) {
	t.Parallel()
	st := newStack(t, localenv.StackOptions{})
	fn := startFunction(t, st, map[string]string{"SDK_MAX_BACKOFF": "5ms"})
	const op = "DynamoDB_20120810.BatchGetItem"
	st.Faults().Inject(awsfault.Fault{Operation: op, Kind: awsfault.ServerError, Times: 120})
	event := readEvent(t, createStreamEvent)
	failures := 0
	for st.Faults().Calls(op) < 120 {
		inv := invoke(t, fn, event)
		if inv.Err == nil || inv.Err.ErrorType != "RetryableError" {
			t.Fatalf("invocation during the outage = %s, want a RetryableError", inv.Payload)
		}
		if failures++; failures > 120 {
			t.Fatal("the outage never ended")
		}
	}
	// Back, with one more hiccup that a retry absorbs.
	st.Faults().Inject(awsfault.Fault{Operation: op, Kind: awsfault.ServerError, Times: 1})
	inv := invoke(t, fn, event)
	if inv.Err != nil {
		t.Fatalf("first invocation after the outage failed: %v", inv.Err)
	}
	checkProvisioned(t, st, inv, createStreamOutcome)
}

// TestOwnTimeoutBeforeLambdas: with 2 s to run and Flow Service hanging,
// the function answers with its own clear, retryable timeout error before
// the deadline; the RIE's "Task timed out" is never what the caller sees.
func TestOwnTimeoutBeforeLambdas(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		event string
		api   bool
	}{
		{"event", createStreamEvent, false},
		{"api", "apigw-http-v2-post.json", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := newStack(t, localenv.StackOptions{})
			st.Emulator().Inject(adobeemu.Fault{Path: "/connections", Hang: true, Times: 10})
			fn, err := st.StartFunction(t.Context(), localenv.FunctionOptions{RIE: e2e.rie, Bootstrap: e2e.bootstrap, Timeout: 2 * time.Second}, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = fn.Close() })
			inv, err := fn.Invoke(t.Context(), readEvent(t, tt.event))
			if err != nil {
				t.Fatal(err)
			}
			if inv.TimedOut {
				t.Fatalf("the caller saw the RIE's %q", inv.Payload)
			}
			if tt.api {
				var resp struct {
					StatusCode int `json:"statusCode"`
					Body       string
				}
				if err := json.Unmarshal(inv.Payload, &resp); err != nil || resp.StatusCode != 504 || !strings.Contains(resp.Body, `"Timeout"`) {
					t.Errorf("API answer = %s, want a 504 Timeout JSON error", inv.Payload)
				}
				return
			}
			if inv.Err == nil || inv.Err.ErrorType != "RetryableError" || !strings.Contains(inv.Err.ErrorMessage, "ran out of time") {
				t.Errorf("result = %s, want the function's own retryable timeout error", inv.Payload)
			}
		})
	}
}

// TestRotatedKeysAreRereadOnce: Adobe refuses the cached keys; the function
// reads the secret again once, bypassing its cache.
func TestRotatedKeysAreRereadOnce(t *testing.T) {
	t.Parallel()
	const newKeyID, newKey = "AKIANEWKINESISKEY001", "new/Kinesis+Secret/Key/AfterRotation00000"
	st := newStack(t, localenv.StackOptions{Adobe: adobeemu.Options{KinesisKeys: map[string]string{newKeyID: newKey}}})
	fn := startFunction(t, st, nil)
	event := readEvent(t, createStreamEvent)

	// The secret still holds the old keys: rejected, clearly, and final.
	inv := invoke(t, fn, event)
	if inv.Err == nil || inv.Err.ErrorType != "ProvisioningError" || !strings.Contains(inv.Err.ErrorMessage, "credentials rejected") {
		t.Fatalf("result = %s, want a final credentials-rejected error", inv.Payload)
	}
	// The keys are rotated in Secrets Manager; the warm container has the
	// old ones cached for SECRET_CACHE_TTL.
	secret := strings.ReplaceAll(st.Env()["KINESIS_SECRET_ID"], "{accountId}", "111122223333")
	if err := localenv.CreateSecret(t.Context(), st.AWS, secret, `{"accessKeyId":"`+newKeyID+`","secretKey":"`+newKey+`"}`); err != nil {
		t.Fatal(err)
	}
	inv = invoke(t, fn, event)
	if inv.Err != nil {
		t.Fatalf("after the rotation: %v", inv.Err)
	}
	conns := st.Emulator().Connections("prod")
	if len(conns) != 1 || conns[0].Auth.Params["accessKeyId"] != newKeyID {
		t.Errorf("connections %+v, want one made with the rotated keys", conns)
	}
	checkNoSecretsIn(t, "function logs", fn.Logs(), newKey, newKeyID)
}

// TestIMSRefusingTheCredentials is a final error that says which.
func TestIMSRefusingTheCredentials(t *testing.T) {
	t.Parallel()
	st := newStack(t, localenv.StackOptions{})
	bad := `{"clientId":"` + localenv.DemoClientID + `","clientSecret":"wrong-secret-value-123","orgId":"` + localenv.DemoOrgID + `"}`
	if err := localenv.CreateSecret(t.Context(), st.AWS, st.Env()["ADOBE_SECRET_ID"], bad); err != nil {
		t.Fatal(err)
	}
	fn := startFunction(t, st, nil)
	inv := invoke(t, fn, readEvent(t, createStreamEvent))
	if inv.Err == nil || inv.Err.ErrorType != "ProvisioningError" || !strings.Contains(inv.Err.ErrorMessage, "invalid_client") {
		t.Errorf("result = %s, want a final error naming invalid_client", inv.Payload)
	}
	checkNoSecretsIn(t, "function logs", fn.Logs(), "wrong-secret-value-123")
	checkNoSecretsIn(t, "invocation result", string(inv.Payload), "wrong-secret-value-123")
}
