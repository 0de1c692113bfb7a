package adobeemu

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testClientID     = "test-client-id"
	testClientSecret = "test-client-secret-value"
	testOrgID        = "TESTORG0000000000000000@AdobeOrg"
	testScope        = "openid,AdobeID,read_organizations"

	fixtureKeyID  = "AKIAFIXTUREKEY000001"
	fixtureSecret = "fixture-secret-key-do-not-print"
)

// clock is a settable Options.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Millisecond) // strictly increasing timestamps
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fixture is an emulator behind an httptest server with a valid token.
type fixture struct {
	t     *testing.T
	emu   *Emulator
	srv   *httptest.Server
	clock *clock
	token string
}

func testOptions() Options {
	return Options{
		ClientID:     testClientID,
		ClientSecret: testClientSecret,
		OrgID:        testOrgID,
		Sandboxes:    []string{"prod", "dev"},
	}
}

// newFixture starts an emulator with testOptions changed by mutate.
func newFixture(t *testing.T, mutate func(*Options)) *fixture {
	t.Helper()
	clk := newClock()
	opts := testOptions()
	opts.Now = clk.Now
	if mutate != nil {
		mutate(&opts)
	}
	emu, err := New(opts)
	if err != nil {
		t.Fatalf("New() = %v, want nil", err)
	}
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	f := &fixture{t: t, emu: emu, srv: srv, clock: clk}
	f.token = f.mustToken()
	return f
}

// response is a read answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("decoding body %q: %v", r.body, err)
	}
	return m
}

// errorType returns the "type" of a Flow error body, or "".
func (r response) errorType() string {
	var e struct {
		Type string `json:"type"`
	}
	_ = json.Unmarshal(r.body, &e)
	return strings.TrimPrefix(e.Type, FlowErrorTypePrefix)
}

func (r response) detail() string {
	var e struct {
		Report struct {
			Detail string `json:"detailed-message"`
		} `json:"report"`
	}
	_ = json.Unmarshal(r.body, &e)
	return e.Report.Detail
}

func (f *fixture) mustToken() string {
	f.t.Helper()
	resp := f.ims(url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {testClientID},
		"client_secret": {testClientSecret},
		"scope":         {testScope},
	}, "")
	if resp.status != http.StatusOK {
		f.t.Fatalf("IMS token: status %d, body %s", resp.status, resp.body)
	}
	tok, _ := resp.json(f.t)["access_token"].(string)
	return tok
}

// ims posts form to the token endpoint with query appended.
func (f *fixture) ims(form url.Values, query string) response {
	f.t.Helper()
	u := f.srv.URL + IMSTokenPath
	if query != "" {
		u += "?" + query
	}
	req, err := http.NewRequestWithContext(f.t.Context(), http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return f.send(req)
}

type reqOption func(*http.Request)

func withHeader(k, v string) reqOption { return func(r *http.Request) { r.Header.Set(k, v) } }
func withoutHeader(k string) reqOption { return func(r *http.Request) { r.Header.Del(k) } }

// flowRequest builds a Flow request with valid gateway headers, sandbox
// "prod" and, when body is not empty, Content-Type application/json. path is
// relative to the Flow base and may carry a query.
func (f *fixture) flowRequest(method, path, body string, opts ...reqOption) *http.Request {
	f.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(f.t.Context(), method, f.srv.URL+FlowBasePath+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+f.token)
	req.Header.Set("x-api-key", testClientID)
	req.Header.Set("x-gw-ims-org-id", testOrgID)
	req.Header.Set("x-sandbox-name", "prod")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, o := range opts {
		o(req)
	}
	return req
}

func (f *fixture) flow(method, path, body string, opts ...reqOption) response {
	f.t.Helper()
	return f.send(f.flowRequest(method, path, body, opts...))
}

func (f *fixture) send(req *http.Request) response {
	f.t.Helper()
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatalf("reading %s %s: %v", req.Method, req.URL.Path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// createConnection creates a Kinesis connection from the fixture body with
// the given name and returns its ID and etag.
func (f *fixture) createConnection(name string) (id, etag string) {
	f.t.Helper()
	body := connectionBody(f.t, func(m map[string]any) { m["name"] = name })
	resp := f.flow(http.MethodPost, "/connections", body)
	if resp.status != http.StatusCreated {
		f.t.Fatalf("POST /connections: status %d, body %s", resp.status, resp.body)
	}
	m := resp.json(f.t)
	return m["id"].(string), m["etag"].(string)
}

// createSource creates a Kinesis source connection on base and returns its ID.
func (f *fixture) createSource(base string, mutate func(map[string]any)) string {
	f.t.Helper()
	resp := f.flow(http.MethodPost, "/sourceConnections", sourceBody(f.t, base, mutate))
	if resp.status != http.StatusCreated {
		f.t.Fatalf("POST /sourceConnections: status %d, body %s", resp.status, resp.body)
	}
	return resp.json(f.t)["id"].(string)
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// connectionBody returns testdata/create_connection.json changed by mutate.
func connectionBody(t *testing.T, mutate func(map[string]any)) string {
	t.Helper()
	return mutateJSON(t, readFixture(t, "create_connection.json"), mutate)
}

// sourceBody returns testdata/create_source_connection.json for base,
// changed by mutate.
func sourceBody(t *testing.T, base string, mutate func(map[string]any)) string {
	t.Helper()
	b := bytes.ReplaceAll(readFixture(t, "create_source_connection.json"), []byte("{BASE_CONNECTION_ID}"), []byte(base))
	return mutateJSON(t, b, mutate)
}

func mutateJSON(t *testing.T, b []byte, mutate func(map[string]any)) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if mutate != nil {
		mutate(m)
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// authParams returns m["auth"]["params"] of a connection body.
func authParams(m map[string]any) map[string]any {
	return m["auth"].(map[string]any)["params"].(map[string]any)
}
