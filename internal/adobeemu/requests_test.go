package adobeemu

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRedacted(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		in        Request
		wantQuery string
		wantBody  string
		wantAuth  []string
	}{
		{
			name: "create connection body",
			in: Request{
				Header: http.Header{"Authorization": {"Bearer live-token-value"}, "X-Api-Key": {"client"}, "Content-Type": {"application/json"}},
				Body:   []byte(`{"name":"n","auth":{"specName":"s","params":{"accessKeyId":"AKIAIOSFODNN7EXAMPLE","secretKey":"wJalrXUtnFEMI","region":"us-east-1"}}}`),
			},
			wantBody: `{"auth":{"params":{"accessKeyId":"AKIA****","region":"us-east-1","secretKey":"****"},"specName":"s"},"name":"n"}`,
			wantAuth: []string{"Bearer ****"},
		},
		{
			name: "JSON Patch values",
			in: Request{
				Header: http.Header{"Content-Type": {"application/json-patch+json"}},
				Body: []byte(`[{"op":"replace","path":"/auth/params/secretKey","value":"rotated-secret"},` +
					`{"op":"replace","path":"/auth/params/accessKeyId","value":"AKIANEWKEY12345"},` +
					`{"op":"replace","path":"/auth/params","value":{"accessKeyId":"AKIAOTHER","secretKey":"other-secret"}},` +
					`{"op":"replace","path":"/name","value":"visible"}]`),
			},
			wantBody: `[{"op":"replace","path":"/auth/params/secretKey","value":"****"},` +
				`{"op":"replace","path":"/auth/params/accessKeyId","value":"AKIA****"},` +
				`{"op":"replace","path":"/auth/params","value":{"accessKeyId":"AKIA****","secretKey":"****"}},` +
				`{"op":"replace","path":"/name","value":"visible"}]`,
		},
		{
			name: "IMS form and query",
			in: Request{
				Header:   http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
				RawQuery: "client_id=abc&client_secret=s3cr%2Bt",
				Body:     []byte("grant_type=client_credentials&client_id=abc&client_secret=p%40ss&scope=openid,AdobeID"),
			},
			wantQuery: "client_id=abc&client_secret=****",
			wantBody:  "grant_type=client_credentials&client_id=abc&client_secret=****&scope=openid,AdobeID",
		},
		{
			name: "malformed JSON",
			in: Request{
				Body: []byte(`{"auth":{"params":{"secretKey": "half-sent-secret", "accessKeyId":"AKIAHALFSENT`),
			},
			wantBody: `{"auth":{"params":{"secretKey": "****", "accessKeyId":"AKIA****"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			orig := tt.in.clone()
			got := tt.in.Redacted()
			if got.RawQuery != tt.wantQuery {
				t.Errorf("Redacted().RawQuery = %q, want %q", got.RawQuery, tt.wantQuery)
			}
			if string(got.Body) != tt.wantBody {
				t.Errorf("Redacted().Body = %s, want %s", got.Body, tt.wantBody)
			}
			if diff := cmp.Diff(tt.wantAuth, got.Header.Values("Authorization")); diff != "" {
				t.Errorf("Authorization mismatch (-want +got):\n%s", diff)
			}
			if got.Header.Get("X-Api-Key") != tt.in.Header.Get("X-Api-Key") {
				t.Errorf("x-api-key = %q, want it kept", got.Header.Get("X-Api-Key"))
			}
			if diff := cmp.Diff(orig, tt.in); diff != "" {
				t.Errorf("Redacted modified the original (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRequestsRecordEverything(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	id, _ := f.createConnection("recorded")
	f.flow(http.MethodGet, "/connections/"+id, "", withoutHeader("x-api-key"))
	f.flow(http.MethodGet, "/connections?limit=1", "")
	f.flow(http.MethodGet, "/connections/"+id+"/", "")

	type row struct {
		Method, Path, RawQuery string
		Status                 int
	}
	var got []row
	for _, r := range f.emu.Requests() {
		got = append(got, row{r.Method, r.Path, r.RawQuery, r.Status})
		if r.Time.IsZero() {
			t.Errorf("request %s %s has no time", r.Method, r.Path)
		}
	}
	want := []row{
		{"POST", IMSTokenPath, "", 200},
		{"POST", FlowBasePath + "/connections", "", 201},
		{"GET", FlowBasePath + "/connections/" + id, "", 403},
		{"GET", FlowBasePath + "/connections", "limit=1", 200},
		{"GET", FlowBasePath + "/connections/" + id + "/", "", 200},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Requests() mismatch (-want +got):\n%s", diff)
	}

	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{"POST", "/connections", 1},
		{"GET", "/connections", 1},
		{"GET", "/connections/" + id, 2},
		{"get", "/connections/" + id + "/", 2},
		{"POST", IMSTokenPath, 0},
	} {
		if got := f.emu.Count(tc.method, tc.path); got != tc.want {
			t.Errorf("Count(%s, %s) = %d, want %d", tc.method, tc.path, got, tc.want)
		}
	}

	reqs := f.emu.Requests()
	if !strings.Contains(string(reqs[1].Body), fixtureSecret) || reqs[1].Header.Get("Authorization") != "Bearer "+f.token {
		t.Errorf("Requests()[1] lacks the secret or the token, want the raw request")
	}
	red := reqs[1].Redacted()
	if strings.Contains(string(red.Body), fixtureSecret) || strings.Contains(strings.Join(red.Header.Values("Authorization"), ""), f.token) {
		t.Errorf("Redacted() still holds a secret: %s", red.Body)
	}
	for _, verb := range []string{"%v", "%s", "%+v", "%#v"} {
		if got := fmt.Sprintf(verb, reqs[1]); strings.Contains(got, fixtureSecret) || strings.Contains(got, f.token) || !strings.Contains(got, "/connections") {
			t.Errorf("Sprintf(%q, request) = %s, want a summary without secrets", verb, got)
		}
	}
}

func TestAuthStringMasksSecrets(t *testing.T) {
	t.Parallel()
	c := Connection{Name: "n", Auth: Auth{SpecName: "s", Params: map[string]string{
		"accessKeyId": fixtureKeyID, "secretKey": fixtureSecret, "region": "us-east-1",
	}}}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		got := fmt.Sprintf(verb, c)
		if strings.Contains(got, fixtureSecret) || strings.Contains(got, fixtureKeyID) {
			t.Errorf("Sprintf(%q, conn) = %s, want secrets masked", verb, got)
		}
		if !strings.Contains(got, "AKIA****") {
			t.Errorf("Sprintf(%q, conn) = %s, want the masked key id", verb, got)
		}
	}
}

func TestReset(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	id, _ := f.createConnection("gone after reset")
	f.createSource(id, nil)
	f.emu.SetAuthSpecNames("renamed")
	f.emu.Inject(Fault{Status: 500})
	f.emu.Reset()

	if got := len(f.emu.Connections("prod")) + len(f.emu.SourceConnections("prod")) + len(f.emu.Requests()); got != 0 {
		t.Errorf("connections + sources + requests after Reset = %d, want 0", got)
	}
	// The token still works, the fault is gone and the spec names are back.
	if got := f.flow(http.MethodPost, "/connections", connectionBody(t, nil)).status; got != http.StatusCreated {
		t.Errorf("POST /connections after Reset status = %d, want 201", got)
	}
}
