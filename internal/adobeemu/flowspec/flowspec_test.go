package flowspec

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func load(t *testing.T) *Spec {
	t.Helper()
	s, err := Load(t.Context())
	if err != nil {
		t.Fatalf("Load() = %v, want nil", err)
	}
	return s
}

func TestFind(t *testing.T) {
	t.Parallel()
	s := load(t)
	tests := []struct {
		method, path string
		wantOp       string
		wantParams   map[string]string
		wantErr      error
	}{
		{"GET", "/connections", "listConnections", map[string]string{}, nil},
		{"POST", "/connections", "createConnection", map[string]string{}, nil},
		{"GET", "/connections/abc", "retrieveConnection", map[string]string{"BASE_CONNECTION_ID": "abc"}, nil},
		{"DELETE", "/connections/abc", "deleteConnection", map[string]string{"BASE_CONNECTION_ID": "abc"}, nil},
		{"DELETE", "/connections/abc/", "deleteConnection", map[string]string{"BASE_CONNECTION_ID": "abc"}, nil},
		{"PATCH", "/connections/abc", "patchConnection", map[string]string{"BASE_CONNECTION_ID": "abc"}, nil},
		{"GET", "/connections/abc/test", "testConnection", map[string]string{"BASE_CONNECTION_ID": "abc"}, nil},
		{"POST", "/connections/search", "getConnectionsByFilters", map[string]string{}, nil},
		{"GET", "/connectionSpecs/x", "retrieveConnectionSpec", map[string]string{"CONNECTION_SPEC_ID": "x"}, nil},
		{"DELETE", "/sourceConnections/s", "deleteSourceConnection", map[string]string{"SOURCE_CONNECTION_ID": "s"}, nil},
		{"PUT", "/connections", "", nil, ErrMethodNotAllowed},
		{"GET", "/nothing", "", nil, ErrNotFound},
	}
	for _, tt := range tests {
		rt, err := s.Find(tt.method, tt.path)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("Find(%s, %s) error = %v, want %v", tt.method, tt.path, err, tt.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if rt.OperationID != tt.wantOp {
			t.Errorf("Find(%s, %s).OperationID = %q, want %q", tt.method, tt.path, rt.OperationID, tt.wantOp)
		}
		if diff := cmp.Diff(tt.wantParams, rt.Params); diff != "" {
			t.Errorf("Find(%s, %s).Params mismatch (-want +got):\n%s", tt.method, tt.path, diff)
		}
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	s := load(t)
	const secret = "very-secret-value"
	const create = `{"name":"n","auth":{"specName":"s","params":{"accessKeyId":"AKIAKEY","secretKey":"` + secret + `","region":"r"}},` +
		`"connectionSpec":{"id":"86043421-563b-46ec-8e6c-e23184711bf6","version":"1.0"}}`
	tests := []struct {
		name         string
		method, path string
		query        string
		contentType  string
		body         string
		wantProblems []string // nil: valid
	}{
		{name: "valid create", method: "POST", path: "/connections", body: create},
		{name: "repeated and comma-separated property", method: "GET", path: "/connections",
			query: "property=name%3D%3Da&property=id%3D%3Db,c&limit=5&count=false"},
		{name: "lower-case JSON Patch", method: "PATCH", path: "/connections/x", contentType: "application/json-patch+json",
			body: `[{"op":"replace","path":"/description","value":"text"},{"op":"remove","path":"/auth/params/region"}]`},
		{name: "upper-case JSON Patch", method: "PATCH", path: "/connections/x",
			body: `[{"op":"REPLACE","path":"/auth/params","value":{"secretKey":"x"}}]`},
		{name: "missing connectionSpec", method: "POST", path: "/connections",
			body:         `{"name":"n","auth":{"specName":"s","params":{"secretKey":"` + secret + `"}}}`,
			wantProblems: []string{`request body: /connectionSpec: property "connectionSpec" is missing`}},
		{name: "secret of the wrong type", method: "POST", path: "/connections",
			body:         strings.Replace(create, `"accessKeyId":"AKIAKEY"`, `"accessKeyId":12345`, 1),
			wantProblems: []string{"request body: /auth/params/accessKeyId: value must be a string"}},
		{name: "malformed body", method: "POST", path: "/connections", body: `{"secretKey":"` + secret,
			wantProblems: []string{"request body: is not valid JSON"}},
		{name: "unsupported content type", method: "POST", path: "/connections", contentType: "text/plain", body: create,
			wantProblems: []string{"request body: has an unsupported content type"}},
		{name: "missing body", method: "POST", path: "/connections",
			wantProblems: []string{"request body: is required"}},
		{name: "bad limit", method: "GET", path: "/connections", query: "limit=many",
			wantProblems: []string{`query parameter "limit": has an invalid value: an invalid integer`}},
		{name: "patch object instead of array", method: "PATCH", path: "/connections/x",
			body:         `{"op":"replace","path":"/name","value":"n"}`,
			wantProblems: []string{"request body: /: value must be an array"}},
		{name: "patch without path", method: "PATCH", path: "/connections/x",
			body:         `[{"op":"remove"}]`,
			wantProblems: []string{`request body: /0/path: property "path" is missing`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rt, err := s.Find(tt.method, tt.path)
			if err != nil {
				t.Fatalf("Find(%s, %s) = %v", tt.method, tt.path, err)
			}
			req := &http.Request{
				Method: tt.method,
				URL:    &url.URL{Path: tt.path, RawQuery: tt.query},
				Header: http.Header{
					"Authorization":   {"Bearer t"},
					"X-Api-Key":       {"k"},
					"X-Gw-Ims-Org-Id": {"o@AdobeOrg"},
					"X-Sandbox-Name":  {"prod"},
					"If-Match":        {`"e"`},
					"Content-Type":    {"application/json"},
				},
			}
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			err = s.Validate(t.Context(), req, rt, []byte(tt.body))
			if tt.wantProblems == nil {
				if err != nil {
					t.Errorf("Validate() = %v, want nil", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate() = %v, want a *ValidationError", err)
			}
			if diff := cmp.Diff(tt.wantProblems, ve.Problems); diff != "" {
				t.Errorf("Validate() problems mismatch (-want +got):\n%s", diff)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "12345") {
				t.Errorf("Validate() error %q contains a sent value", err)
			}
			if got := req.Header.Get("Content-Type"); tt.contentType != "" && got != tt.contentType {
				t.Errorf("Validate() changed the request's Content-Type to %q", got)
			}
		})
	}
}
