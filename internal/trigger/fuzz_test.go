package trigger

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/provision"
)

// The seed corpora are in testdata/fuzz/<FuzzName>: the samples of events/,
// some of testdata/malformed, and every crasher found so far.

// FuzzDispatch: whatever the payload, Handle does not panic and answers with
// an API response below 500 (a JSON error body when 4xx, with Allow on a
// 405), an Outcome, a result, or an InvalidRequestError or
// AccountNotServedError. The fake's provisioning always succeeds once the
// request is valid, so a 5xx or another error is a bug. Every message is
// short.
func FuzzDispatch(f *testing.F) {
	f.Fuzz(func(t *testing.T, payload []byte) {
		d, ctx, logs, _ := setupStrict(t)
		resp, err := d.Handle(ctx, payload)
		if strings.Contains(logs.String(), "recovered from a panic") {
			t.Fatalf("Handle(%q) panicked: %s", payload, logs)
		}
		var texts []string
		switch r := resp.(type) {
		case events.APIGatewayProxyResponse:
			texts = append(texts, checkFuzzAnswer(t, r.StatusCode, r.Headers, r.Body))
		case events.APIGatewayV2HTTPResponse:
			texts = append(texts, checkFuzzAnswer(t, r.StatusCode, r.Headers, r.Body))
		case Outcome:
			switch r.Status {
			case "skipped":
				if r.Reason == "" {
					t.Errorf("Handle() = %+v, a skip without a reason", r)
				}
			case "provisioned", "deprovisioned":
			default:
				t.Errorf("Handle() = Outcome with status %q", r.Status)
			}
			texts = append(texts, r.Reason)
		case provision.Result:
			if r.ConnectionID != "conn-1" {
				t.Errorf("Handle() = %+v, want the fake's connection", r)
			}
		case nil:
			switch typ := errorType(err); typ {
			case "InvalidRequestError", "AccountNotServedError":
				texts = append(texts, err.Error())
			default:
				t.Fatalf("Handle() error = %s %v, want an InvalidRequestError or AccountNotServedError", typ, err)
			}
		default:
			t.Fatalf("Handle() = %T", resp)
		}
		if resp != nil && err != nil {
			t.Errorf("Handle() = %T and error %v, want one of them", resp, err)
		}
		for _, text := range texts {
			if len(text) > maxMessageBytes {
				t.Errorf("message of %d bytes, want at most %d: %.200q…", len(text), maxMessageBytes, text)
			}
		}
		if n := len(summaryLines(t, logs)); n != 1 {
			t.Errorf("%d summary lines, want 1", n)
		}
	})
}

// checkFuzzAnswer checks an API answer and returns its error message.
func checkFuzzAnswer(t *testing.T, status int, headers map[string]string, body string) string {
	t.Helper()
	if status < 200 || status >= 500 {
		t.Fatalf("status = %d (%s), want below 500", status, body)
	}
	if headers["Content-Type"] != "application/json" || !json.Valid([]byte(body)) {
		t.Errorf("answer %d %v %q, want a JSON body", status, headers, body)
	}
	if status < 400 {
		return ""
	}
	if (status == 405) != (headers["Allow"] != "") {
		t.Errorf("status %d with Allow %q, want Allow exactly on a 405", status, headers["Allow"])
	}
	_, message, err := decodeErrorBody(body)
	if err != nil {
		t.Errorf("error body %s: %v", body, err)
	}
	return message
}

// FuzzDecodeProvisionBody: decodeProvisionBody does not panic; it returns a
// short error, or a request read from a body that is one valid JSON object
// whose fields re-encode to the same request.
func FuzzDecodeProvisionBody(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := decodeProvisionBody(body)
		if err != nil {
			if msg := err.Error(); len(msg) > maxMessageBytes || msg == "" {
				t.Errorf("decodeProvisionBody() error of %d bytes, want 1 to %d: %.200q…", len(msg), maxMessageBytes, msg)
			}
			if echo := longestEcho(err.Error(), callerStrings(body)); echo != "" {
				t.Errorf("decodeProvisionBody() error %q repeats %d bytes of the input", err, len(echo))
			}
			return
		}
		if !json.Valid(body) {
			t.Fatalf("decodeProvisionBody(%q) accepted a body that is not valid JSON", body)
		}
		// Only the fields given are re-encoded: an empty one is refused.
		fields := map[string]string{}
		for name, v := range map[string]string{"region": req.Region, "streamName": req.StreamName, "accountId": req.AccountID, "sandbox": req.Sandbox} {
			if v != "" {
				fields[name] = v
			}
		}
		again, err := json.Marshal(fields)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeProvisionBody(again)
		if err != nil {
			t.Fatalf("decodeProvisionBody(%s) error = %v for a re-encoded request", again, err)
		}
		if diff := cmp.Diff(req, got); diff != "" {
			t.Errorf("re-encoded request decodes differently (-first +second):\n%s", diff)
		}
	})
}
