package flowservice_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/flowservice"
)

// TestErrorResponses runs every documented error shape and status through a
// real request and checks the *Error fields, Temporary and NotFound.
func TestErrorResponses(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

	tests := []struct {
		name          string
		status        int
		header        map[string]string
		body          string
		want          *flowservice.Error
		wantTemporary bool
		wantNotFound  bool
	}{
		{
			name:   "400 flow shape",
			status: http.StatusBadRequest,
			body: `{"type":"https://ns.adobe.com/aep/errors/FLOW-1415-400","title":"Bad Request","status":400,
				"report":{"detailed-message":"The auth spec Basic Authentication for Kinesis could not be found for the connection spec ID","request-id":"body-req-1","tenantInfo":{"sandboxName":"prod"}},
				"errorMessage":"auth spec not found","errorDetails":{"field":"auth.specName"}}`,
			want: &flowservice.Error{StatusCode: 400, Code: "FLOW-1415-400", Title: "Bad Request",
				Message: "The auth spec Basic Authentication for Kinesis could not be found for the connection spec ID", RequestID: "body-req-1"},
		},
		{
			name:   "400 bare flow code in type",
			status: http.StatusBadRequest,
			body:   `{"type":"1415-400","title":"Bad Request","errorMessage":"auth spec not found"}`,
			want:   &flowservice.Error{StatusCode: 400, Code: "1415-400", Title: "Bad Request", Message: "auth spec not found"},
		},
		{
			name:   "400 content-type shape",
			status: http.StatusBadRequest,
			body:   `{"type":"/placeholder/type/uri","status":400,"title":"BadRequestError","detail":"A valid content-type must be specified"}`,
			want:   &flowservice.Error{StatusCode: 400, Title: "BadRequestError", Message: "A valid content-type must be specified"},
		},
		{
			name:   "401 gateway shape",
			status: http.StatusUnauthorized,
			header: map[string]string{"x-request-id": "hdr-req-401"},
			body:   `{"error_code":"401013","message":"Oauth token is not valid"}`,
			want:   &flowservice.Error{StatusCode: 401, Code: "401013", Message: "Oauth token is not valid", RequestID: "hdr-req-401"},
		},
		{
			name:   "403 gateway profile",
			status: http.StatusForbidden,
			body:   `{"error_code":"403025","message":"Profile is not valid"}`,
			want:   &flowservice.Error{StatusCode: 403, Code: "403025", Message: "Profile is not valid"},
		},
		{
			name:   "403 flow permission",
			status: http.StatusForbidden,
			header: map[string]string{"x-request-id": "hdr-wins"},
			body:   `{"type":"https://ns.adobe.com/aep/errors/FLOW-2120-403","title":"Forbidden","status":403,"report":{"request-id":"body-loses"}}`,
			want:   &flowservice.Error{StatusCode: 403, Code: "FLOW-2120-403", Title: "Forbidden", RequestID: "hdr-wins"},
		},
		{
			name:         "404 flow shape",
			status:       http.StatusNotFound,
			body:         `{"type":"https://ns.adobe.com/aep/errors/FLOW-1439-404","title":"Resource not found","status":404,"report":{"detailed-message":"Connection c1 not found"}}`,
			want:         &flowservice.Error{StatusCode: 404, Code: "FLOW-1439-404", Title: "Resource not found", Message: "Connection c1 not found"},
			wantNotFound: true,
		},
		{
			name:   "412 older errorMessage shape",
			status: http.StatusPreconditionFailed,
			body:   `{"errorMessage":"Supplied version=[\"a\"] does not match the current version on entity=[\"b\"]"}`,
			want:   &flowservice.Error{StatusCode: 412, Message: `Supplied version=["a"] does not match the current version on entity=["b"]`},
		},
		{
			name:          "429 Retry-After seconds",
			status:        http.StatusTooManyRequests,
			header:        map[string]string{"Retry-After": "120"},
			body:          `{"error_code":"429001","message":"Too many requests"}`,
			want:          &flowservice.Error{StatusCode: 429, Code: "429001", Message: "Too many requests", RetryAfter: 2 * time.Minute},
			wantTemporary: true,
		},
		{
			name:          "429 Retry-After HTTP date",
			status:        http.StatusTooManyRequests,
			header:        map[string]string{"Retry-After": now.Add(90 * time.Second).Format(http.TimeFormat)},
			body:          `{"error_code":"429001","message":"Too many requests"}`,
			want:          &flowservice.Error{StatusCode: 429, Code: "429001", Message: "Too many requests", RetryAfter: 90 * time.Second},
			wantTemporary: true,
		},
		{
			name:          "429 Retry-After date in the past",
			status:        http.StatusTooManyRequests,
			header:        map[string]string{"Retry-After": now.Add(-time.Hour).Format(http.TimeFormat)},
			want:          &flowservice.Error{StatusCode: 429, Message: "empty error body"},
			wantTemporary: true,
		},
		{
			name:          "500 flow transient",
			status:        http.StatusInternalServerError,
			body:          `{"type":"https://ns.adobe.com/aep/errors/FLOW-1102-500","title":"Internal Server Error","status":500,"report":{"detailed-message":"try again"}}`,
			want:          &flowservice.Error{StatusCode: 500, Code: "FLOW-1102-500", Title: "Internal Server Error", Message: "try again"},
			wantTemporary: true,
		},
		{
			name:          "503 non-JSON body",
			status:        http.StatusServiceUnavailable,
			header:        map[string]string{"Content-Type": "text/html"},
			body:          `<html><body>Service Unavailable</body></html>`,
			want:          &flowservice.Error{StatusCode: 503, Message: "error body is not JSON"},
			wantTemporary: true,
		},
		{
			name:          "502 empty body",
			status:        http.StatusBadGateway,
			want:          &flowservice.Error{StatusCode: 502, Message: "empty error body"},
			wantTemporary: true,
		},
		{
			name:   "400 JSON without known fields",
			status: http.StatusBadRequest,
			body:   `{"something":"else"}`,
			want:   &flowservice.Error{StatusCode: 400, Message: "error body has no message"},
		},
		{
			name:   "400 numeric error_code",
			status: http.StatusBadRequest,
			body:   `{"error_code":400003,"message":"Missing header"}`,
			want:   &flowservice.Error{StatusCode: 400, Code: "400003", Message: "Missing header"},
		},
		{
			name:   "400 oversized body is cut at 1 MiB",
			status: http.StatusBadRequest,
			body:   `{"message":"` + strings.Repeat("x", 2<<20) + `"}`,
			want:   &flowservice.Error{StatusCode: 400, Message: "error body is not JSON"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mux, _ := setup(t)
			flowservice.SetClock(c, func() time.Time { return now })
			mux.HandleFunc("/connections/c1", func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			})

			_, err := c.GetConnection(t.Context(), testSandbox, "c1")
			var got *flowservice.Error
			if !errors.As(err, &got) {
				t.Fatalf("GetConnection() error = %v, want a *flowservice.Error", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("GetConnection() error mismatch (-want +got):\n%s", diff)
			}
			if got.Temporary() != tt.wantTemporary {
				t.Errorf("Temporary() = %v, want %v", got.Temporary(), tt.wantTemporary)
			}
			if got.NotFound() != tt.wantNotFound || errors.Is(err, flowservice.ErrNotFound) != tt.wantNotFound {
				t.Errorf("NotFound() = %v, errors.Is(ErrNotFound) = %v, want %v", got.NotFound(), errors.Is(err, flowservice.ErrNotFound), tt.wantNotFound)
			}
			msg := err.Error()
			if !strings.Contains(msg, fmt.Sprint(tt.status)) || (tt.want.Code != "" && !strings.Contains(msg, tt.want.Code)) {
				t.Errorf("Error() = %q, want it to name status %d and code %q", msg, tt.status, tt.want.Code)
			}
			for _, secret := range []string{testToken.AccessToken, "Bearer", testToken.APIKey} {
				if strings.Contains(msg, secret) {
					t.Errorf("Error() = %q, must not contain %q", msg, secret)
				}
			}
			if len(msg) > 1200 {
				t.Errorf("len(Error()) = %d, want it bounded", len(msg))
			}
		})
	}
}

// TestErrorString pins the format of Error().
func TestErrorString(t *testing.T) {
	t.Parallel()
	e := &flowservice.Error{StatusCode: 404, Code: "FLOW-1439-404", Title: "Resource not found", Message: "Connection c1 not found", RequestID: "r1"}
	if got, want := e.Error(), "flow service returned 404 Not Found (FLOW-1439-404): Resource not found: Connection c1 not found [request id r1]"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// TestCheckResponse_bodyRestored: the error body stays readable, as in go-github.
func TestCheckResponse_bodyRestored(t *testing.T) {
	t.Parallel()
	c, _, _ := setup(t)
	const body = `{"error_code":"403000","message":"Api Key is required"}`
	resp := &http.Response{StatusCode: 403, Header: http.Header{}, Body: nopCloser(body)}
	if err := flowservice.CheckResponse(c, resp); err == nil {
		t.Fatal("CheckResponse(403) = nil, want an error")
	}
	if got := mustRead(t, resp); got != body {
		t.Errorf("body after CheckResponse = %q, want %q", got, body)
	}
	ok := &http.Response{StatusCode: 204, Header: http.Header{}, Body: nopCloser("")}
	if err := flowservice.CheckResponse(c, ok); err != nil {
		t.Errorf("CheckResponse(204) = %v, want nil", err)
	}
}

func TestErrorSandboxNotFound(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status int
		code   string
		want   bool
	}{
		{http.StatusNotFound, "FLOW-2101-404", true},
		{http.StatusNotFound, "FLOW-2100-404", true},
		{http.StatusNotFound, "2101-404", true},
		{http.StatusNotFound, "FLOW-1101-404", false}, // the resource, not the sandbox
		{http.StatusNotFound, "", false},
		{http.StatusBadRequest, "FLOW-2105-400", false}, // header missing: our bug, not the caller's
		{http.StatusForbidden, "FLOW-2101-403", false},
		{http.StatusNotFound, "FLOW-21010-404", false},
	}
	for _, tt := range tests {
		e := &flowservice.Error{StatusCode: tt.status, Code: tt.code}
		if got := e.SandboxNotFound(); got != tt.want {
			t.Errorf("(&Error{StatusCode: %d, Code: %q}).SandboxNotFound() = %v, want %v", tt.status, tt.code, got, tt.want)
		}
	}
}
