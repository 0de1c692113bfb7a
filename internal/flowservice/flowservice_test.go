package flowservice_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/flowservice"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/flowservice/flowservicetest"
)

const (
	// baseURLPath is a non-empty Client.BaseURL path, so that a method
	// building an absolute path (ignoring the base path) fails loudly (the
	// go-github setup, see google/go-github#752).
	baseURLPath = "/api-v1/data/foundation/flowservice"

	testSandbox = "prod"
)

// testToken uses obviously fake values.
var testToken = flowservice.Token{
	AccessToken: "fake-access-token",
	APIKey:      "fake-client-id",
	OrgID:       "FAKEORG0000000000000000@AdobeOrg",
}

// setup starts a test HTTP server and returns a Client pointed at it, the mux
// to register handlers on (paths relative to the base, e.g. "/connections"),
// and the fake token source the client uses.
func setup(t *testing.T, opts ...flowservice.Option) (*flowservice.Client, *http.ServeMux, *flowservicetest.TokenSource) {
	t.Helper()
	mux := http.NewServeMux()

	api := http.NewServeMux()
	api.Handle(baseURLPath+"/", http.StripPrefix(baseURLPath, mux))
	api.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request for %q is outside the base path %q: methods must use relative paths", r.URL.Path, baseURLPath)
		http.Error(w, "outside the base path", http.StatusBadRequest)
	})
	server := httptest.NewServer(api)
	t.Cleanup(server.Close)

	tokens := flowservicetest.NewTokenSource(testToken)
	all := append([]flowservice.Option{
		flowservice.WithBaseURL(server.URL + baseURLPath),
		flowservice.WithHTTPClient(server.Client()),
		flowservice.WithTokenSource(tokens),
	}, opts...)
	client, err := flowservice.NewClient(all...)
	if err != nil {
		t.Fatalf("NewClient() error = %v", err)
	}
	recordSleeps(client) // retries never really wait in tests
	return client, mux, tokens
}

func testMethod(t *testing.T, r *http.Request, want string) {
	t.Helper()
	if got := r.Method; got != want {
		t.Errorf("request method = %v, want %v", got, want)
	}
}

func testHeader(t *testing.T, r *http.Request, header, want string) {
	t.Helper()
	if got := r.Header.Get(header); got != want {
		t.Errorf("header %s = %q, want %q", header, got, want)
	}
}

// testQuery compares the whole decoded query string.
func testQuery(t *testing.T, r *http.Request, want url.Values) {
	t.Helper()
	if diff := cmp.Diff(want, r.URL.Query()); diff != "" {
		t.Errorf("query mismatch (-want +got):\n%s", diff)
	}
}

// testJSONBody compares the request body with want as JSON values.
func testJSONBody(t *testing.T, r *http.Request, want string) {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatalf("read request body: %v", err)
	}
	var got, wantV any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("request body %q is not JSON: %v", b, err)
	}
	if err := json.Unmarshal([]byte(want), &wantV); err != nil {
		t.Fatalf("want %q is not JSON: %v", want, err)
	}
	if diff := cmp.Diff(wantV, got); diff != "" {
		t.Errorf("request body mismatch (-want +got):\n%s", diff)
	}
}

// testAdobeHeaders checks the headers every request carries.
func testAdobeHeaders(t *testing.T, r *http.Request) {
	t.Helper()
	testHeader(t, r, "Authorization", "Bearer "+testToken.AccessToken)
	testHeader(t, r, "x-api-key", testToken.APIKey)
	testHeader(t, r, "x-gw-ims-org-id", testToken.OrgID)
	testHeader(t, r, "x-sandbox-name", testSandbox)
	testHeader(t, r, "Accept", "application/json")
	testHeader(t, r, "User-Agent", flowservice.DefaultUserAgent)
}

func TestNewClient(t *testing.T) {
	t.Parallel()
	ts := flowservicetest.NewTokenSource(testToken)
	tests := []struct {
		name    string
		opts    []flowservice.Option
		wantErr bool
		wantURL string
	}{
		{name: "defaults", opts: []flowservice.Option{flowservice.WithTokenSource(ts)}, wantURL: flowservice.DefaultBaseURL},
		{name: "trailing slash added", opts: []flowservice.Option{flowservice.WithTokenSource(ts), flowservice.WithBaseURL("http://127.0.0.1:9/x/flowservice")}, wantURL: "http://127.0.0.1:9/x/flowservice/"},
		{name: "trailing slash kept", opts: []flowservice.Option{flowservice.WithTokenSource(ts), flowservice.WithBaseURL("https://platform-stage.adobe.io/data/foundation/flowservice/")}, wantURL: "https://platform-stage.adobe.io/data/foundation/flowservice/"},
		{name: "missing token source", opts: nil, wantErr: true},
		{name: "nil token source", opts: []flowservice.Option{flowservice.WithTokenSource(nil)}, wantErr: true},
		{name: "relative base URL", opts: []flowservice.Option{flowservice.WithTokenSource(ts), flowservice.WithBaseURL("data/foundation/flowservice")}, wantErr: true},
		{name: "host-less base URL", opts: []flowservice.Option{flowservice.WithTokenSource(ts), flowservice.WithBaseURL("/data/foundation/flowservice")}, wantErr: true},
		{name: "ftp base URL", opts: []flowservice.Option{flowservice.WithTokenSource(ts), flowservice.WithBaseURL("ftp://example.com/")}, wantErr: true},
		{name: "base URL with query", opts: []flowservice.Option{flowservice.WithTokenSource(ts), flowservice.WithBaseURL("https://example.com/x?a=b")}, wantErr: true},
		{name: "unparseable base URL", opts: []flowservice.Option{flowservice.WithTokenSource(ts), flowservice.WithBaseURL("http://[::1")}, wantErr: true},
		{name: "nil HTTP client", opts: []flowservice.Option{flowservice.WithTokenSource(ts), flowservice.WithHTTPClient(nil)}, wantErr: true},
		{name: "empty user agent", opts: []flowservice.Option{flowservice.WithTokenSource(ts), flowservice.WithUserAgent(" ")}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := flowservice.NewClient(tt.opts...)
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Fatalf("NewClient() error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if got := c.BaseURL().String(); got != tt.wantURL {
				t.Errorf("NewClient().BaseURL() = %q, want %q", got, tt.wantURL)
			}
		})
	}
}

func TestNewRequest(t *testing.T) {
	t.Parallel()
	c, _, _ := setup(t, flowservice.WithUserAgent("provisioner-test/1.0"))
	ctx := t.Context()

	body := map[string]string{"description": "<a & b>"}
	req, err := flowservice.NewRequest(ctx, c, http.MethodPost, "connections?x=1", testSandbox, body)
	if err != nil {
		t.Fatalf("NewRequest() error = %v", err)
	}
	if got, want := req.URL.String(), c.BaseURL().String()+"connections?x=1"; got != want {
		t.Errorf("NewRequest() URL = %q, want %q", got, want)
	}
	wantHeaders := map[string]string{
		"Authorization":   "Bearer fake-access-token",
		"X-Api-Key":       "fake-client-id",
		"X-Gw-Ims-Org-Id": testToken.OrgID,
		"X-Sandbox-Name":  "prod",
		"Accept":          "application/json",
		"Content-Type":    "application/json",
		"User-Agent":      "provisioner-test/1.0",
	}
	gotHeaders := map[string]string{}
	for k := range req.Header {
		gotHeaders[k] = req.Header.Get(k)
	}
	if diff := cmp.Diff(wantHeaders, gotHeaders); diff != "" {
		t.Errorf("NewRequest() headers mismatch (-want +got):\n%s", diff)
	}
	b, err := io.ReadAll(req.Body)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"description":"<a & b>"}`+"\n"; got != want {
		t.Errorf("NewRequest() body = %q, want %q (HTML escaping must be off)", got, want)
	}

	get, err := flowservice.NewRequest(ctx, c, http.MethodGet, "connections", testSandbox, nil)
	if err != nil {
		t.Fatalf("NewRequest(GET) error = %v", err)
	}
	if got := get.Header.Get("Content-Type"); got != "" {
		t.Errorf("NewRequest(GET) Content-Type = %q, want none without a body", got)
	}
}

func TestNewRequest_refusals(t *testing.T) {
	t.Parallel()
	c, _, tokens := setup(t)
	ctx := t.Context()

	for _, path := range []string{"../connections", "connections/../x", "connections/%2e%2e/x", "/connections", "connections/..?a=b"} {
		if _, err := flowservice.NewRequest(ctx, c, http.MethodGet, path, testSandbox, nil); !errors.Is(err, flowservice.ErrPathForbidden) {
			t.Errorf("NewRequest(%q) error = %v, want %v", path, err, flowservice.ErrPathForbidden)
		}
	}
	if _, err := flowservice.NewRequest(ctx, c, http.MethodGet, "connections", "", nil); err == nil {
		t.Error("NewRequest(sandbox \"\") error = nil, want an error")
	}
	if _, err := flowservice.NewRequest(ctx, c, http.MethodPost, "connections", testSandbox, make(chan int)); err == nil {
		t.Error("NewRequest(unencodable body) error = nil, want an error")
	}

	boom := errors.New("secrets manager unavailable")
	tokens.Fail(boom)
	if _, err := flowservice.NewRequest(ctx, c, http.MethodGet, "connections", testSandbox, nil); !errors.Is(err, boom) {
		t.Errorf("NewRequest() with failing token source error = %v, want it to wrap %v", err, boom)
	}
}

func TestNewRequest_incompleteToken(t *testing.T) {
	t.Parallel()
	c, err := flowservice.NewClient(flowservice.WithTokenSource(flowservicetest.NewTokenSource(flowservice.Token{AccessToken: "x"})))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := flowservice.NewRequest(t.Context(), c, http.MethodGet, "connections", testSandbox, nil); err == nil {
		t.Error("NewRequest() with a token lacking API key and org ID: error = nil, want an error")
	}
}

func TestDo_transportError(t *testing.T) {
	t.Parallel()
	c, _, _ := setup(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	// Build the request with a live context, then send it with a dead one.
	req, err := flowservice.NewRequest(t.Context(), c, http.MethodGet, "connections", testSandbox, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = flowservice.Do(c, req.WithContext(ctx), nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Do() with a cancelled context error = %v, want %v", err, context.Canceled)
	}
}

// TestDo_401RefreshesOnce: a 401 invalidates the token and replays the
// request, body included, exactly once.
func TestDo_401RefreshesOnce(t *testing.T) {
	t.Parallel()
	c, mux, tokens := setup(t)
	var calls atomic.Int32
	mux.HandleFunc("/connections", func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		testJSONBody(t, r, `{"name":"n","auth":{"specName":"s","params":{"accessKeyId":"","secretKey":"","region":""}},"connectionSpec":{"id":"","version":""}}`)
		if n == 1 {
			testHeader(t, r, "Authorization", "Bearer fake-access-token")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error_code":"401013","message":"Oauth token is not valid"}`)
			return
		}
		testHeader(t, r, "Authorization", "Bearer fake-access-token-2")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"id":"c1","etag":"\"e1\""}`)
	})

	got, err := c.CreateConnection(t.Context(), testSandbox, &flowservice.ConnectionRequest{Name: "n", Auth: flowservice.Auth{SpecName: "s"}})
	if err != nil {
		t.Fatalf("CreateConnection() error = %v", err)
	}
	if want := (&flowservice.Created{ID: "c1", ETag: `"e1"`}); !cmp.Equal(got, want) {
		t.Errorf("CreateConnection() = %+v, want %+v", got, want)
	}
	if got, want := calls.Load(), int32(2); got != want {
		t.Errorf("server calls = %d, want %d", got, want)
	}
	if diff := cmp.Diff([]string{"fake-access-token"}, tokens.Invalidations()); diff != "" {
		t.Errorf("Invalidations() mismatch (-want +got):\n%s", diff)
	}
}

func TestDo_401Twice(t *testing.T) {
	t.Parallel()
	c, mux, tokens := setup(t)
	var calls atomic.Int32
	mux.HandleFunc("/connections/c1", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error_code":"401013","message":"Oauth token is not valid"}`)
	})
	_, err := c.GetConnection(t.Context(), testSandbox, "c1")
	var fsErr *flowservice.Error
	if !errors.As(err, &fsErr) || fsErr.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GetConnection() error = %v, want a 401 *flowservice.Error", err)
	}
	if got, want := calls.Load(), int32(2); got != want {
		t.Errorf("server calls = %d, want %d (one retry only)", got, want)
	}
	if got, want := len(tokens.Invalidations()), 1; got != want {
		t.Errorf("len(Invalidations()) = %d, want %d", got, want)
	}
}

// plainTokenSource hides the Invalidate method of the fake.
type plainTokenSource struct{ ts flowservice.TokenSource }

func (p plainTokenSource) Token(ctx context.Context) (flowservice.Token, error) {
	return p.ts.Token(ctx)
}

func TestDo_401WithoutInvalidator(t *testing.T) {
	t.Parallel()
	c, mux, tokens := setup(t)
	c, err := flowservice.NewClient(flowservice.WithBaseURL(c.BaseURL().String()), flowservice.WithTokenSource(plainTokenSource{tokens}))
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	mux.HandleFunc("/connections/c1", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
	})
	_, err = c.GetConnection(t.Context(), testSandbox, "c1")
	var fsErr *flowservice.Error
	if !errors.As(err, &fsErr) || fsErr.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GetConnection() error = %v, want a 401 *flowservice.Error", err)
	}
	if got, want := calls.Load(), int32(1); got != want {
		t.Errorf("server calls = %d, want %d (no retry without an Invalidator)", got, want)
	}
}

// TestSecretsNeverPrinted covers every way a credential-carrying value can be
// formatted or logged.
func TestSecretsNeverPrinted(t *testing.T) {
	t.Parallel()
	const accessKey, secretKey = "FAKEACCESSKEYID00001", "fake/secret+key/never-print"
	req := &flowservice.ConnectionRequest{
		Name: "n",
		Auth: flowservice.Auth{
			SpecName: flowservice.KinesisAuthSpecName,
			Params:   flowservice.KinesisAuthParams{AccessKeyID: accessKey, SecretKey: secretKey, Region: "us-east-1"},
		},
	}
	var logBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("x", "params", req.Auth.Params, "token", testToken)

	outputs := map[string]string{
		"%v params":  fmt.Sprintf("%v", req.Auth.Params),
		"%+v params": fmt.Sprintf("%+v", req.Auth.Params),
		"%#v params": fmt.Sprintf("%#v", req.Auth.Params),
		"%s params":  fmt.Sprintf("%s", req.Auth.Params), //nolint:staticcheck // exercises the %s verb on purpose
		"%+v req":    fmt.Sprintf("%+v", req),
		"%#v req":    fmt.Sprintf("%#v", *req),
		"%v token":   fmt.Sprintf("%v", testToken),
		"%+v token":  fmt.Sprintf("%+v", testToken),
		"%#v token":  fmt.Sprintf("%#v", testToken),
		"slog":       logBuf.String(),
	}
	for name, out := range outputs {
		for _, secret := range []string{accessKey, secretKey, testToken.AccessToken} {
			if strings.Contains(out, secret) {
				t.Errorf("%s output %q contains a secret", name, out)
			}
		}
	}
	if !strings.Contains(outputs["%v params"], "us-east-1") {
		t.Errorf("%%v params = %q, want the region to stay visible", outputs["%v params"])
	}

	b, err := json.Marshal(req.Auth.Params)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"accessKeyId":"FAKEACCESSKEYID00001","secretKey":"fake/secret+key/never-print","region":"us-east-1"}`; string(b) != want {
		t.Errorf("json.Marshal(params) = %s, want %s", b, want)
	}
}

// TestGoldenCreateConnection compares the CreateConnection request on the
// wire with testdata/golden/create_connection.request.
func TestGoldenCreateConnection(t *testing.T) {
	t.Parallel()
	c, mux, _ := setup(t)
	dumped := make(chan []byte, 1)
	mux.HandleFunc("/connections", func(w http.ResponseWriter, r *http.Request) {
		dumped <- dumpRequest(t, r)
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"id":"4cb0c374-d3bb-4557-b139-5712880adc55","etag":"\"6507cfd8-0000-0200-0000-5e18fc600000\""}`)
	})
	if _, err := c.CreateConnection(t.Context(), testSandbox, kinesisConnectionRequest()); err != nil {
		t.Fatalf("CreateConnection() error = %v", err)
	}
	got := <-dumped

	golden := filepath.Join("testdata", "golden", "create_connection.request")
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatalf("write golden file: %v", err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden file: %v (create it with: UPDATE_GOLDEN=1 go test ./internal/flowservice)", err)
	}
	if diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(string(got), "\n")); diff != "" {
		t.Errorf("CreateConnection request differs from %s (-want +got):\n%s\nIf the change is intended, rewrite the file with: UPDATE_GOLDEN=1 go test ./internal/flowservice", golden, diff)
	}
}

// kinesisConnectionRequest is the tutorial's request with obviously fake keys.
func kinesisConnectionRequest() *flowservice.ConnectionRequest {
	return &flowservice.ConnectionRequest{
		Name:        "Amazon Kinesis connection",
		Description: "Connector for Amazon Kinesis",
		ProviderID:  "521eee4d-8cbe-4906-bb48-fb6bd4450033",
		Auth: flowservice.Auth{
			SpecName: flowservice.KinesisAuthSpecName,
			Params: flowservice.KinesisAuthParams{
				AccessKeyID: "FAKE-ACCESS-KEY-ID",
				SecretKey:   "FAKE-SECRET-KEY-NOT-REAL",
				Region:      "us-east-1",
			},
		},
		ConnectionSpec: flowservice.SpecRef{ID: "86043421-563b-46ec-8e6c-e23184711bf6", Version: "1.0"},
	}
}

// dumpRequest renders the method, the path relative to the service base, the
// sorted headers without Authorization, and the body as indented JSON.
func dumpRequest(t *testing.T, r *http.Request) []byte {
	t.Helper()
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s\n", r.Method, r.URL.RequestURI())
	names := make([]string, 0, len(r.Header))
	for k := range r.Header {
		if k != "Authorization" {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	for _, k := range names {
		for _, v := range r.Header[k] {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatalf("read request body: %v", err)
	}
	b.WriteString("\n")
	if body = bytes.TrimSpace(body); len(body) > 0 {
		if err := json.Indent(&b, body, "", "  "); err != nil {
			t.Fatalf("request body is not JSON: %v", err)
		}
		b.WriteString("\n")
	}
	return b.Bytes()
}

func nopCloser(s string) io.ReadCloser { return io.NopCloser(strings.NewReader(s)) }

func mustRead(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return string(b)
}
