package adobeemu

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/contracts"
)

func TestGateway(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		opts       []reqOption
		expire     bool
		wantStatus int
		wantBody   map[string]any
	}{
		{
			name:       "missing authorization",
			opts:       []reqOption{withoutHeader("Authorization")},
			wantStatus: http.StatusForbidden,
			wantBody:   map[string]any{"error_code": "403010", "message": "Oauth token is missing."},
		},
		{
			name:       "token not issued here",
			opts:       []reqOption{withHeader("Authorization", "Bearer forged-token")},
			wantStatus: http.StatusUnauthorized,
			wantBody:   map[string]any{"error_code": "401013", "message": "Oauth token is not valid"},
		},
		{
			name:       "not a bearer token",
			opts:       []reqOption{withHeader("Authorization", "Basic dXNlcjpwYXNz")},
			wantStatus: http.StatusUnauthorized,
			wantBody:   map[string]any{"error_code": "401013", "message": "Oauth token is not valid"},
		},
		{
			name:       "expired token",
			expire:     true,
			wantStatus: http.StatusUnauthorized,
			wantBody:   map[string]any{"error_code": "401013", "message": "Oauth token is not valid"},
		},
		{
			name:       "missing api key",
			opts:       []reqOption{withoutHeader("x-api-key")},
			wantStatus: http.StatusForbidden,
			wantBody:   map[string]any{"error_code": "403000", "message": "Api Key is required"},
		},
		{
			name:       "api key of another client",
			opts:       []reqOption{withHeader("x-api-key", "other-client")},
			wantStatus: http.StatusForbidden,
			wantBody:   map[string]any{"error_code": "403003", "message": "Api Key is invalid"},
		},
		{
			name:       "missing org",
			opts:       []reqOption{withoutHeader("x-gw-ims-org-id")},
			wantStatus: http.StatusBadRequest,
			wantBody:   map[string]any{"error_code": "400003", "message": "Missing header"},
		},
		{
			name:       "wrong org",
			opts:       []reqOption{withHeader("x-gw-ims-org-id", "OTHER@AdobeOrg")},
			wantStatus: http.StatusForbidden,
			wantBody:   map[string]any{"error_code": "403027", "message": "User region is missing"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, nil)
			if tt.expire {
				f.clock.Advance(24 * time.Hour)
			}
			resp := f.flow(http.MethodGet, "/connections", "", tt.opts...)
			if resp.status != tt.wantStatus {
				t.Errorf("GET /connections status = %d, want %d", resp.status, tt.wantStatus)
			}
			if diff := cmp.Diff(tt.wantBody, resp.json(t)); diff != "" {
				t.Errorf("body mismatch (-want +got):\n%s", diff)
			}
			if resp.header.Get("x-request-id") == "" {
				t.Errorf("x-request-id header missing")
			}
			if got := len(f.emu.Connections("prod")); got != 0 {
				t.Errorf("connections after a rejected request = %d, want 0", got)
			}
		})
	}
}

func TestTokenValidUntilExpiry(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.clock.Advance(23 * time.Hour)
	if got := f.flow(http.MethodGet, "/connections", "").status; got != http.StatusOK {
		t.Errorf("GET /connections after 23h of a 24h token: status %d, want 200", got)
	}
}

func TestSandboxHeader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		opt        reqOption
		wantStatus int
		wantType   string
	}{
		{"missing", withoutHeader("x-sandbox-name"), http.StatusBadRequest, "FLOW-2105-400"},
		{"unknown", withHeader("x-sandbox-name", "staging"), http.StatusNotFound, "FLOW-2101-404"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, nil)
			resp := f.flow(http.MethodPost, "/connections", connectionBody(t, nil), tt.opt)
			if resp.status != tt.wantStatus || resp.errorType() != tt.wantType {
				t.Errorf("POST /connections = %d %s, want %d %s", resp.status, resp.errorType(), tt.wantStatus, tt.wantType)
			}
			m := resp.json(t)
			report, _ := m["report"].(map[string]any)
			if report["request-id"] != resp.header.Get("x-request-id") {
				t.Errorf("report.request-id = %v, want the x-request-id header %q", report["request-id"], resp.header.Get("x-request-id"))
			}
		})
	}
}

func TestSandboxesAreIsolated(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	id, _ := f.createConnection("in-prod")
	if got := f.flow(http.MethodGet, "/connections/"+id, "", withHeader("x-sandbox-name", "dev")).status; got != http.StatusNotFound {
		t.Errorf("GET the prod connection in dev: status %d, want 404", got)
	}
	if got := len(f.emu.Connections("dev")); got != 0 {
		t.Errorf("len(Connections(dev)) = %d, want 0", got)
	}
}

func TestSpecValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		method     string
		path       string
		body       string
		opts       []reqOption
		wantStatus int
		wantType   string
		wantDetail string // substring of report.detailed-message
	}{
		{
			name: "missing connectionSpec", method: http.MethodPost, path: "/connections",
			body:       connectionBody(t, func(m map[string]any) { delete(m, "connectionSpec") }),
			wantStatus: http.StatusBadRequest, wantType: "FLOW-1000-400", wantDetail: "connectionSpec",
		},
		{
			name: "name of the wrong type", method: http.MethodPost, path: "/connections",
			body:       connectionBody(t, func(m map[string]any) { m["name"] = 42 }),
			wantStatus: http.StatusBadRequest, wantType: "FLOW-1000-400", wantDetail: "/name: value must be a string",
		},
		{
			name: "accessKeyId of the wrong type", method: http.MethodPost, path: "/connections",
			body:       connectionBody(t, func(m map[string]any) { authParams(m)["accessKeyId"] = 7 }),
			wantStatus: http.StatusBadRequest, wantType: "FLOW-1000-400", wantDetail: "/auth/params/accessKeyId",
		},
		{
			name: "connectionSpec without version", method: http.MethodPost, path: "/connections",
			body: connectionBody(t, func(m map[string]any) {
				m["connectionSpec"] = map[string]any{"id": contracts.KinesisConnectionSpecID}
			}),
			wantStatus: http.StatusBadRequest, wantType: "FLOW-1000-400", wantDetail: "version",
		},
		{
			name: "malformed JSON", method: http.MethodPost, path: "/connections",
			body:       `{"name": "x", "auth": {"params": {"secretKey": "` + fixtureSecret,
			wantStatus: http.StatusBadRequest, wantType: "FLOW-1000-400", wantDetail: "not valid JSON",
		},
		{
			name: "limit not an integer", method: http.MethodGet, path: "/connections?limit=ten",
			wantStatus: http.StatusBadRequest, wantType: "FLOW-1000-400", wantDetail: `"limit"`,
		},
		{
			name: "count not a boolean", method: http.MethodGet, path: "/connections?count=yes",
			wantStatus: http.StatusBadRequest, wantType: "FLOW-1000-400", wantDetail: `"count"`,
		},
		{
			name: "patch op not in the enum", method: http.MethodPatch, path: "/connections/some-id",
			body: `[{"op":"move","path":"/name","value":"x"}]`, opts: []reqOption{withHeader("If-Match", `"e"`)},
			wantStatus: http.StatusBadRequest, wantType: "FLOW-1000-400", wantDetail: "/0/op",
		},
		{
			name: "patch body not an array", method: http.MethodPatch, path: "/connections/some-id",
			body: `{"op":"replace","path":"/name","value":"x"}`, opts: []reqOption{withHeader("If-Match", `"e"`)},
			wantStatus: http.StatusBadRequest, wantType: "FLOW-1000-400", wantDetail: "must be an array",
		},
		{
			name: "action without required op", method: http.MethodPost, path: "/connections/some-id/action",
			body: `{}`, wantStatus: http.StatusBadRequest, wantType: "FLOW-1000-400", wantDetail: `"op"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, nil)
			resp := f.flow(tt.method, tt.path, tt.body, tt.opts...)
			if resp.status != tt.wantStatus || resp.errorType() != tt.wantType {
				t.Fatalf("%s %s = %d %s, want %d %s (body %s)", tt.method, tt.path, resp.status, resp.errorType(), tt.wantStatus, tt.wantType, resp.body)
			}
			if d := resp.detail(); !strings.Contains(d, tt.wantDetail) {
				t.Errorf("detailed-message = %q, want it to mention %q", d, tt.wantDetail)
			}
			for _, secret := range []string{fixtureSecret, fixtureKeyID, f.token} {
				if strings.Contains(string(resp.body), secret) {
					t.Errorf("error body %s contains a secret", resp.body)
				}
			}
			if m := resp.json(t); m["title"] != "Bad Request" || m["status"] != float64(400) {
				t.Errorf("title, status = %v, %v, want Bad Request, 400", m["title"], m["status"])
			}
		})
	}
}

func TestContentType(t *testing.T) {
	t.Parallel()
	wantBody := map[string]any{
		"type": "/placeholder/type/uri", "status": float64(400), "title": "BadRequestError",
		"detail": "A valid content-type must be specified",
	}
	tests := []struct {
		name        string
		method      string
		path        string
		contentType string // "" removes the header
		wantStatus  int
	}{
		{"POST without content type", http.MethodPost, "/connections", "", http.StatusBadRequest},
		{"POST as text", http.MethodPost, "/connections", "text/plain", http.StatusBadRequest},
		{"POST as json with charset", http.MethodPost, "/connections", "application/json; charset=utf-8", http.StatusCreated},
		{"PATCH as json-patch+json", http.MethodPatch, "", "application/json-patch+json", http.StatusOK},
		{"PATCH as text", http.MethodPatch, "", "text/plain", http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, nil)
			path, body := tt.path, connectionBody(t, nil)
			var opts []reqOption
			if tt.method == http.MethodPatch {
				id, etag := f.createConnection("c")
				path, body = "/connections/"+id, `[{"op":"replace","path":"/name","value":"d"}]`
				opts = append(opts, withHeader("If-Match", etag))
			}
			if tt.contentType == "" {
				opts = append(opts, withoutHeader("Content-Type"))
			} else {
				opts = append(opts, withHeader("Content-Type", tt.contentType))
			}
			resp := f.flow(tt.method, path, body, opts...)
			if resp.status != tt.wantStatus {
				t.Fatalf("%s %s status = %d, want %d (body %s)", tt.method, path, resp.status, tt.wantStatus, resp.body)
			}
			if tt.wantStatus != http.StatusBadRequest {
				return
			}
			if diff := cmp.Diff(wantBody, resp.json(t)); diff != "" {
				t.Errorf("body mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRouting(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	id, _ := f.createConnection("routing")
	tests := []struct {
		name       string
		method     string
		path       string
		body       string
		wantStatus int
		wantType   string
	}{
		{"unknown path", http.MethodGet, "/nothing-here", "", http.StatusNotFound, "FLOW-1003-404"},
		{"method not in the spec", http.MethodPut, "/connections", `{}`, http.StatusMethodNotAllowed, "FLOW-1000-405"},
		{"spec operation not implemented", http.MethodGet, "/flows", "", http.StatusNotImplemented, "FLOW-1000-501"},
		{"search not implemented", http.MethodPost, "/connections/search", `{"queryString":"x"}`, http.StatusNotImplemented, "FLOW-1000-501"},
		{"get with trailing slash", http.MethodGet, "/connections/" + id + "/", "", http.StatusOK, ""},
		{"delete with trailing slash as in the spec", http.MethodDelete, "/connections/" + id + "/", "", http.StatusNoContent, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := f.flow(tt.method, tt.path, tt.body)
			if resp.status != tt.wantStatus || resp.errorType() != tt.wantType {
				t.Errorf("%s %s = %d %q, want %d %q (body %s)", tt.method, tt.path, resp.status, resp.errorType(), tt.wantStatus, tt.wantType, resp.body)
			}
		})
	}
	resp := f.send(mustRequest(t, http.MethodGet, f.srv.URL+"/somewhere/else"))
	if resp.status != http.StatusNotFound {
		t.Errorf("GET /somewhere/else status = %d, want 404", resp.status)
	}
}

func TestConnectionSpec(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	path := "/connectionSpecs/" + contracts.KinesisConnectionSpecID

	names := func() []any {
		t.Helper()
		resp := f.flow(http.MethodGet, path, "")
		if resp.status != http.StatusOK {
			t.Fatalf("GET %s status = %d, want 200", path, resp.status)
		}
		item := resp.json(t)["items"].([]any)[0].(map[string]any)
		if item["id"] != contracts.KinesisConnectionSpecID || item["name"] != "Amazon Kinesis" || item["providerId"] != KinesisProviderID || item["version"] != "1.0" {
			t.Errorf("spec identity = %v %v %v %v", item["id"], item["name"], item["providerId"], item["version"])
		}
		var out []any
		for _, a := range item["authSpec"].([]any) {
			as := a.(map[string]any)
			out = append(out, as["name"])
			spec := as["spec"].(map[string]any)
			if diff := cmp.Diff([]any{"accessKeyId", "secretKey", "region"}, spec["required"]); diff != "" {
				t.Errorf("authSpec required mismatch (-want +got):\n%s", diff)
			}
		}
		return out
	}
	if diff := cmp.Diff([]any{DefaultAuthSpecName}, names()); diff != "" {
		t.Errorf("authSpec names mismatch (-want +got):\n%s", diff)
	}

	f.emu.SetAuthSpecNames("Basic Authentication for Kinesis")
	if diff := cmp.Diff([]any{"Basic Authentication for Kinesis"}, names()); diff != "" {
		t.Errorf("authSpec names after SetAuthSpecNames mismatch (-want +got):\n%s", diff)
	}
	resp := f.flow(http.MethodPost, "/connections", connectionBody(t, nil))
	if resp.status != http.StatusBadRequest || resp.errorType() != "FLOW-1415-400" {
		t.Errorf("POST /connections with a retired spec name = %d %s, want 400 FLOW-1415-400", resp.status, resp.errorType())
	}

	resp = f.flow(http.MethodGet, "/connectionSpecs/00000000-0000-0000-0000-000000000000", "")
	if resp.status != http.StatusNotFound || resp.errorType() != "FLOW-1101-404" {
		t.Errorf("GET unknown connection spec = %d %s, want 404 FLOW-1101-404", resp.status, resp.errorType())
	}
}

func mustRequest(t *testing.T, method, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}
