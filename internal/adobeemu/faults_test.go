package adobeemu

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// freshClient returns a client without connection reuse, so that Go's
// transport does not transparently retry a request whose connection was
// reset.
func freshClient() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
}

func TestFaultStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		fault      Fault
		method     string
		path       string
		body       bool
		wantStatus int
		wantBody   map[string]any
		wantHeader http.Header
	}{
		{
			name:       "429 with Retry-After and a default Flow body",
			fault:      Fault{Method: "GET", Path: "/connections", Status: 429, Header: http.Header{"Retry-After": {"7"}}},
			method:     http.MethodGet,
			path:       "/connections",
			wantStatus: http.StatusTooManyRequests,
			wantBody: map[string]any{
				"type": FlowErrorTypePrefix + "FLOW-1000-429", "title": "Too Many Requests", "status": float64(429),
			},
			wantHeader: http.Header{"Retry-After": {"7"}},
		},
		{
			name:       "503 on any connection id",
			fault:      Fault{Path: "/connections/*", Status: 503},
			method:     http.MethodGet,
			path:       "/connections/some-id",
			wantStatus: http.StatusServiceUnavailable,
			wantBody: map[string]any{
				"type": FlowErrorTypePrefix + "FLOW-1103-503", "title": "Service Unavailable", "status": float64(503),
			},
		},
		{
			name:       "explicit body",
			fault:      Fault{Method: "POST", Path: "/connections", Status: 500, Body: `{"error_code":"500000","message":"boom"}`},
			method:     http.MethodPost,
			path:       "/connections",
			body:       true,
			wantStatus: http.StatusInternalServerError,
			wantBody:   map[string]any{"error_code": "500000", "message": "boom"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, nil)
			f.emu.Inject(tt.fault)
			body := ""
			if tt.body {
				body = connectionBody(t, nil)
			}
			resp := f.flow(tt.method, tt.path, body)
			if resp.status != tt.wantStatus {
				t.Fatalf("%s %s status = %d, want %d", tt.method, tt.path, resp.status, tt.wantStatus)
			}
			got := resp.json(t)
			delete(got, "report")
			if diff := cmp.Diff(tt.wantBody, got); diff != "" {
				t.Errorf("body mismatch (-want +got):\n%s", diff)
			}
			for k := range tt.wantHeader {
				if diff := cmp.Diff(tt.wantHeader.Values(k), resp.header.Values(k)); diff != "" {
					t.Errorf("header %s mismatch (-want +got):\n%s", k, diff)
				}
			}
			if got := len(f.emu.Connections("prod")); got != 0 {
				t.Errorf("len(Connections) = %d after a faulted request, want 0 (handler must not run)", got)
			}
			reqs := f.emu.Requests()
			if last := reqs[len(reqs)-1]; last.Status != tt.wantStatus {
				t.Errorf("recorded status = %d, want %d", last.Status, tt.wantStatus)
			}
			// The fault is used up: the same request now reaches the handler.
			if again := f.flow(tt.method, tt.path, body); again.status == tt.wantStatus {
				t.Errorf("second request status = %d, want the real answer", again.status)
			}
		})
	}
}

func TestFaultMatching(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.emu.Inject(Fault{Method: "POST", Path: "/connections", Status: 502, Times: 2})
	if got := f.flow(http.MethodGet, "/connections", "").status; got != http.StatusOK {
		t.Errorf("GET with a POST fault queued: status %d, want 200", got)
	}
	for i := range 2 {
		if got := f.flow(http.MethodPost, "/connections", connectionBody(t, nil)).status; got != http.StatusBadGateway {
			t.Errorf("POST %d: status %d, want 502", i, got)
		}
	}
	if got := f.flow(http.MethodPost, "/connections", connectionBody(t, nil)).status; got != http.StatusCreated {
		t.Errorf("POST after Times ran out: status %d, want 201", got)
	}

	f.emu.Inject(Fault{Path: IMSTokenPath, Status: 503})
	resp := f.ims(url.Values{"grant_type": {"client_credentials"}}, "")
	if resp.status != http.StatusServiceUnavailable || resp.json(t)["error"] != "temporarily_unavailable" {
		t.Errorf("IMS with a 503 fault = %d %s, want 503 temporarily_unavailable", resp.status, resp.body)
	}
}

func TestFaultMalformedBody(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.emu.Inject(Fault{Path: "/connections", Body: "{"})
	resp := f.flow(http.MethodGet, "/connections", "")
	if resp.status != http.StatusOK {
		t.Errorf("status = %d, want 200", resp.status)
	}
	var v any
	if err := json.Unmarshal(resp.body, &v); err == nil {
		t.Errorf("body %q decoded, want malformed JSON", resp.body)
	}
	if got := resp.header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", got)
	}
}

func TestFaultDelay(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)

	f.emu.Inject(Fault{Path: "/connections", Delay: 20 * time.Millisecond})
	if got := f.flow(http.MethodGet, "/connections", "").status; got != http.StatusOK {
		t.Errorf("delayed GET status = %d, want the real 200", got)
	}

	// A client that gives up during the delay gets an error and nothing is
	// answered or changed.
	f.emu.Inject(Fault{Path: "/connections", Delay: time.Minute})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	req := f.flowRequest(http.MethodPost, "/connections", connectionBody(t, nil))
	resp, err := freshClient().Do(req.WithContext(ctx))
	if err == nil {
		resp.Body.Close()
		t.Fatalf("POST during a 1m delay returned %d, want a client timeout", resp.StatusCode)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("POST error = %v, want context.DeadlineExceeded", err)
	}
	if diff := cmp.Diff([]int{200, 200, 0}, f.statuses()); diff != "" {
		t.Errorf("recorded statuses mismatch (-want +got):\n%s", diff)
	}
	if got := len(f.emu.Connections("prod")); got != 0 {
		t.Errorf("len(Connections) = %d, want 0", got)
	}
}

func TestFaultHang(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.emu.Inject(Fault{Path: "/connections", Hang: true})
	client := freshClient()
	client.Timeout = 50 * time.Millisecond
	resp, err := client.Do(f.flowRequest(http.MethodGet, "/connections", ""))
	if err == nil {
		resp.Body.Close()
		t.Fatalf("GET on a hanging server returned %d, want a client timeout", resp.StatusCode)
	}
	if got := f.flow(http.MethodGet, "/connections", "").status; got != http.StatusOK {
		t.Errorf("GET after the hang status = %d, want 200", got)
	}
	if diff := cmp.Diff([]int{200, 0, 200}, f.statuses()); diff != "" {
		t.Errorf("recorded statuses mismatch (-want +got):\n%s", diff)
	}
}

func TestFaultReset(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.emu.Inject(Fault{Method: "GET", Path: "/connections", Reset: true})
	resp, err := freshClient().Do(f.flowRequest(http.MethodGet, "/connections", ""))
	if err == nil {
		resp.Body.Close()
		t.Fatalf("GET on a reset connection returned %d, want an error", resp.StatusCode)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("GET error = %v, want a connection error, not a timeout", err)
	}
	if diff := cmp.Diff([]int{200, 0}, f.statuses()); diff != "" {
		t.Errorf("recorded statuses mismatch (-want +got):\n%s", diff)
	}
}

func TestFaultAfter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		fault      Fault
		wantStatus int // 0: the client sees an error
	}{
		{name: "gateway error after commit", fault: Fault{Method: "POST", Path: "/connections", After: true, Status: 504}, wantStatus: 504},
		{name: "reset after commit", fault: Fault{Method: "POST", Path: "/connections", After: true, Reset: true}},
		{name: "malformed body after commit", fault: Fault{Method: "POST", Path: "/connections", After: true, Body: `{"id":`}, wantStatus: 201},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, nil)
			f.emu.Inject(tt.fault)
			resp, err := freshClient().Do(f.flowRequest(http.MethodPost, "/connections", connectionBody(t, nil)))
			switch {
			case tt.wantStatus == 0 && err == nil:
				resp.Body.Close()
				t.Fatalf("POST returned %d, want a connection error", resp.StatusCode)
			case tt.wantStatus != 0 && err != nil:
				t.Fatalf("POST error = %v, want status %d", err, tt.wantStatus)
			case tt.wantStatus != 0:
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != tt.wantStatus {
					t.Errorf("POST status = %d, want %d", resp.StatusCode, tt.wantStatus)
				}
				if tt.fault.Body != "" && string(b) != tt.fault.Body {
					t.Errorf("POST body = %q, want %q", b, tt.fault.Body)
				}
			}
			if diff := cmp.Diff([]int{200, tt.wantStatus}, f.statuses()); diff != "" {
				t.Errorf("recorded statuses mismatch (-want +got):\n%s", diff)
			}
			if got := len(f.emu.Connections("prod")); got != 1 {
				t.Errorf("len(Connections) = %d, want 1: the create happened before the fault", got)
			}
		})
	}
}

func TestFaultJSON(t *testing.T) {
	t.Parallel()
	in := Fault{Method: "POST", Path: "/connections", Times: 2, Status: 429, Header: http.Header{"Retry-After": {"1"}}, Delay: 250 * time.Millisecond, After: true}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"method":"POST","path":"/connections","times":2,"status":429,"header":{"Retry-After":["1"]},"delay":"250ms","after":true}`
	if string(b) != want {
		t.Errorf("json.Marshal(Fault) = %s, want %s", b, want)
	}
	var out Fault
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("round trip mismatch (-want +got):\n%s", diff)
	}
	for _, bad := range []string{`{"delay":"soon"}`, `{"status":42}`, `{"times":-1}`, `{"delay":"-1s"}`, `{"stauts":500}`} {
		if err := json.Unmarshal([]byte(bad), &out); err == nil {
			t.Errorf("json.Unmarshal(%s) = nil, want an error", bad)
		}
	}
}

// statuses closes the test server, which waits for all handlers to return,
// and returns the recorded statuses.
func (f *fixture) statuses() []int {
	f.srv.Close()
	var out []int
	for _, r := range f.emu.Requests() {
		out = append(out, r.Status)
	}
	return out
}

func TestFaultAfterDelayOnly(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.emu.Inject(Fault{Method: "POST", Path: "/connections", After: true, Delay: 5 * time.Millisecond})
	resp := f.flow(http.MethodPost, "/connections", connectionBody(t, nil))
	if resp.status != http.StatusCreated || resp.header.Get("Location") == "" || resp.header.Get("x-request-id") == "" {
		t.Errorf("POST with a late answer = %d, Location %q, x-request-id %q; want the real 201 with its headers",
			resp.status, resp.header.Get("Location"), resp.header.Get("x-request-id"))
	}
	if got := len(f.emu.Connections("prod")); got != 1 {
		t.Errorf("len(Connections) = %d, want 1", got)
	}
}

func TestFaultResetWithoutHijack(t *testing.T) {
	t.Parallel()
	e, err := New(testOptions())
	if err != nil {
		t.Fatal(err)
	}
	e.Inject(Fault{Path: IMSTokenPath, Reset: true})
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodPost, IMSTokenPath, nil))
	if rec.Code != http.StatusBadGateway || rec.Body.Len() != 0 {
		t.Errorf("reset through a ResponseRecorder = %d %q, want 502 and no body", rec.Code, rec.Body)
	}
	if got := e.Requests()[0].Status; got != http.StatusBadGateway {
		t.Errorf("recorded status = %d, want 502", got)
	}
}
