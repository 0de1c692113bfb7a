package flowservice_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/flowservice"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/flowservice/flowservicetest"
)

// maxErrorText bounds (*flowservice.Error).Error(): the status line, a code,
// a title, the message (which Error cuts at 512 bytes) and a request id.
const maxErrorText = 1024

// FuzzCheckResponse: for any status from 400 to 599, any body and any
// x-request-id and Retry-After headers, checkResponse does not panic and
// returns an *Error with that status, a Retry-After from zero to 24 hours,
// an Error() of at most maxErrorText bytes, and the body still readable.
// The seeds are in testdata/fuzz/FuzzCheckResponse.
func FuzzCheckResponse(f *testing.F) {
	c, err := flowservice.NewClient(flowservice.WithTokenSource(flowservicetest.NewTokenSource(flowservice.Token{
		AccessToken: "fuzz-token", APIKey: "fuzz-api-key", OrgID: "FUZZ@AdobeOrg",
	})))
	if err != nil {
		f.Fatal(err)
	}
	flowservice.SetClock(c, func() time.Time { return time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC) })
	f.Fuzz(func(t *testing.T, status int, body []byte, requestID, retryAfter string) {
		status = 400 + (status%200+200)%200
		header := http.Header{}
		if requestID != "" {
			header.Set("X-Request-Id", requestID)
		}
		if retryAfter != "" {
			header.Set("Retry-After", retryAfter)
		}
		resp := &http.Response{StatusCode: status, Header: header, Body: io.NopCloser(bytes.NewReader(body))}
		err := flowservice.CheckResponse(c, resp)
		var fsErr *flowservice.Error
		if !errors.As(err, &fsErr) {
			t.Fatalf("CheckResponse(%d) = %T %v, want a *flowservice.Error", status, err, err)
		}
		if fsErr.StatusCode != status {
			t.Errorf("StatusCode = %d, want %d", fsErr.StatusCode, status)
		}
		if fsErr.RetryAfter < 0 || fsErr.RetryAfter > 24*time.Hour {
			t.Errorf("RetryAfter = %v, want 0 to 24h", fsErr.RetryAfter)
		}
		if msg := fsErr.Error(); len(msg) > maxErrorText {
			t.Errorf("Error() is %d bytes, want at most %d: %.200q…", len(msg), maxErrorText, msg)
		}
		if fsErr.Temporary() != (status == http.StatusTooManyRequests || status >= 500) {
			t.Errorf("Temporary() = %v for %d", fsErr.Temporary(), status)
		}
		got, err := io.ReadAll(resp.Body)
		if err != nil || !bytes.Equal(got, body) {
			t.Errorf("body after CheckResponse = %q, %v; want the %d bytes read", got, err, len(body))
		}
	})
}
