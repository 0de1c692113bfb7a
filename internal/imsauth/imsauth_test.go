package imsauth_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/flowservice"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/imsauth"
)

// testSecret is the fake client secret; no error string or output may contain it.
const testSecret = "fake-client-secret-DO-NOT-PRINT"

var testCreds = imsauth.Credentials{
	ClientID:     "fake-client-id",
	ClientSecret: testSecret,
	OrgID:        "FAKEORG@AdobeOrg",
	Scopes:       []string{"openid", "AdobeID", "read_organizations", "additional_info.projectedProductContext"},
}

// startIMS serves h as a fake IMS and returns its base URL.
func startIMS(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// mintingHandler answers every token request with "fake-token-<n>".
func mintingHandler(calls *atomic.Int32, expiresIn string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"fake-token-%d","token_type":"bearer","expires_in":%s}`, n, expiresIn)
	}
}

// countingCreds returns testCreds and counts the calls.
func countingCreds(calls *atomic.Int32) func(context.Context) (imsauth.Credentials, error) {
	return func(context.Context) (imsauth.Credentials, error) {
		calls.Add(1)
		return testCreds, nil
	}
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func newSource(t *testing.T, base string, opts ...imsauth.Option) *imsauth.Source {
	t.Helper()
	all := append([]imsauth.Option{
		imsauth.WithTokenURL(base),
		imsauth.WithCredentials(imsauth.StaticCredentials(testCreds)),
	}, opts...)
	src, err := imsauth.New(all...)
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	recordSleeps(src) // retries never really wait in tests
	return src
}

func TestNew(t *testing.T) {
	t.Parallel()
	creds := imsauth.WithCredentials(imsauth.StaticCredentials(testCreds))
	tests := []struct {
		name    string
		opts    []imsauth.Option
		wantErr bool
	}{
		{name: "defaults", opts: []imsauth.Option{creds}},
		{name: "all options", opts: []imsauth.Option{creds, imsauth.WithTokenURL("https://ims-na1.adobelogin.com/"), imsauth.WithHTTPClient(&http.Client{}), imsauth.WithRefreshMargin(time.Minute), imsauth.WithClock(time.Now)}},
		{name: "missing credentials", opts: nil, wantErr: true},
		{name: "nil credentials", opts: []imsauth.Option{imsauth.WithCredentials(nil)}, wantErr: true},
		{name: "relative token URL", opts: []imsauth.Option{creds, imsauth.WithTokenURL("ims-na1.adobelogin.com")}, wantErr: true},
		{name: "token URL with query", opts: []imsauth.Option{creds, imsauth.WithTokenURL("https://ims.example/?client_secret=x")}, wantErr: true},
		{name: "token endpoint instead of base", opts: []imsauth.Option{creds, imsauth.WithTokenURL("https://ims-na1.adobelogin.com/ims/token/v3")}, wantErr: true},
		{name: "nil HTTP client", opts: []imsauth.Option{creds, imsauth.WithHTTPClient(nil)}, wantErr: true},
		{name: "negative margin", opts: []imsauth.Option{creds, imsauth.WithRefreshMargin(-time.Second)}, wantErr: true},
		{name: "nil clock", opts: []imsauth.Option{creds, imsauth.WithClock(nil)}, wantErr: true},
		{name: "retry policy", opts: []imsauth.Option{creds, imsauth.WithRetry(flowservice.RetryPolicy{MaxAttempts: 1})}},
		{name: "invalid retry policy", opts: []imsauth.Option{creds, imsauth.WithRetry(flowservice.RetryPolicy{MaxAttempts: 0})}, wantErr: true},
		{name: "negative retry interval", opts: []imsauth.Option{creds, imsauth.WithRetry(flowservice.RetryPolicy{MaxAttempts: 2, InitialInterval: -1})}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := imsauth.New(tt.opts...)
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Errorf("New() error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "client_secret=x") {
				t.Errorf("New() error = %q, must not repeat the query", err)
			}
		})
	}
}

// TestToken_request checks the token request exactly: a form POST to
// /ims/token/v3 with everything in the body and a comma-joined scope.
func TestToken_request(t *testing.T) {
	t.Parallel()
	type seen struct {
		method, path, rawQuery, contentType string
		form                                url.Values
	}
	got := make(chan seen, 1)
	base := startIMS(t, func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("read body: %v", err)
		}
		form, err := url.ParseQuery(string(b))
		if err != nil {
			t.Errorf("body %q is not form-encoded: %v", b, err)
		}
		got <- seen{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Content-Type"), form}
		fmt.Fprint(w, `{"access_token":"fake-token-1","token_type":"bearer","expires_in":86399}`)
	})
	creds := testCreds
	creds.Scopes = []string{"openid", " AdobeID ", "", "read_organizations", "additional_info.projectedProductContext"}
	src, err := imsauth.New(imsauth.WithTokenURL(base+"/prefix/"), imsauth.WithCredentials(imsauth.StaticCredentials(creds)))
	if err != nil {
		t.Fatal(err)
	}

	tok, err := src.Token(t.Context())
	if err != nil {
		t.Fatalf("Token() error = %v", err)
	}
	want := flowservice.Token{AccessToken: "fake-token-1", APIKey: "fake-client-id", OrgID: "FAKEORG@AdobeOrg"}
	if diff := cmp.Diff(want, tok); diff != "" {
		t.Errorf("Token() mismatch (-want +got):\n%s", diff)
	}

	wantSeen := seen{
		method:      http.MethodPost,
		path:        "/prefix/ims/token/v3",
		rawQuery:    "",
		contentType: "application/x-www-form-urlencoded",
		form: url.Values{
			"grant_type":    {"client_credentials"},
			"client_id":     {"fake-client-id"},
			"client_secret": {testSecret},
			"scope":         {"openid,AdobeID,read_organizations,additional_info.projectedProductContext"},
		},
	}
	if diff := cmp.Diff(wantSeen, <-got, cmp.AllowUnexported(seen{})); diff != "" {
		t.Errorf("token request mismatch (-want +got):\n%s", diff)
	}
}

// TestToken_caches: many Token calls, one IMS call and one credentials read.
func TestToken_caches(t *testing.T) {
	t.Parallel()
	var imsCalls, credCalls atomic.Int32
	base := startIMS(t, mintingHandler(&imsCalls, "86399"))
	src := newSource(t, base, imsauth.WithCredentials(countingCreds(&credCalls)))

	for i := range 10 {
		tok, err := src.Token(t.Context())
		if err != nil {
			t.Fatalf("Token() #%d error = %v", i, err)
		}
		if tok.AccessToken != "fake-token-1" {
			t.Errorf("Token() #%d = %q, want fake-token-1", i, tok.AccessToken)
		}
	}
	if got := imsCalls.Load(); got != 1 {
		t.Errorf("IMS calls = %d, want 1", got)
	}
	if got := credCalls.Load(); got != 1 {
		t.Errorf("credentials reads = %d, want 1", got)
	}
}

// TestToken_refresh moves a fake clock to just before and exactly at the
// refresh point.
func TestToken_refresh(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		expiresIn string
		opts      []imsauth.Option
		refreshAt time.Duration // after the token was minted
	}{
		{name: "default margin", expiresIn: "3600", refreshAt: 55 * time.Minute},
		{name: "custom margin", expiresIn: "3600", opts: []imsauth.Option{imsauth.WithRefreshMargin(time.Minute)}, refreshAt: 59 * time.Minute},
		{name: "short life uses half as margin", expiresIn: "300", refreshAt: 150 * time.Second},
		{name: "life exactly twice the margin", expiresIn: "600", refreshAt: 300 * time.Second},
		{name: "zero margin", expiresIn: "60", opts: []imsauth.Option{imsauth.WithRefreshMargin(0)}, refreshAt: time.Minute},
		{name: "24 hours", expiresIn: "86399", refreshAt: 86399*time.Second - 5*time.Minute},
		{name: "milliseconds by mistake are capped at 24 hours", expiresIn: "86399992", refreshAt: 24*time.Hour - 5*time.Minute},
		{name: "quoted seconds", expiresIn: `"3600"`, refreshAt: 55 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
			clock := &fakeClock{now: t0}
			var calls atomic.Int32
			base := startIMS(t, mintingHandler(&calls, tt.expiresIn))
			src := newSource(t, base, append([]imsauth.Option{imsauth.WithClock(clock.Now)}, tt.opts...)...)
			ctx := t.Context()

			token := func() string {
				t.Helper()
				tok, err := src.Token(ctx)
				if err != nil {
					t.Fatalf("Token() error = %v", err)
				}
				return tok.AccessToken
			}
			if got := token(); got != "fake-token-1" {
				t.Fatalf("Token() = %q, want fake-token-1", got)
			}
			clock.Set(t0.Add(tt.refreshAt - time.Second))
			if got := token(); got != "fake-token-1" {
				t.Errorf("Token() 1s before the refresh point = %q, want the cached fake-token-1", got)
			}
			clock.Set(t0.Add(tt.refreshAt))
			if got := token(); got != "fake-token-2" {
				t.Errorf("Token() at the refresh point = %q, want a new fake-token-2", got)
			}
			if got := calls.Load(); got != 2 {
				t.Errorf("IMS calls = %d, want 2", got)
			}
		})
	}
}

// TestToken_concurrent: concurrent callers share one IMS request.
func TestToken_concurrent(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	started := make(chan struct{}, 1)
	release := make(chan struct{})
	base := startIMS(t, func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		select {
		case started <- struct{}{}:
		default:
		}
		<-release
		fmt.Fprintf(w, `{"access_token":"fake-token-%d","token_type":"bearer","expires_in":86399}`, n)
	})
	src := newSource(t, base)

	const callers = 32
	tokens := make([]string, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			tok, err := src.Token(t.Context())
			tokens[i], errs[i] = tok.AccessToken, err
		})
	}
	<-started
	close(release)
	wg.Wait()

	for i := range callers {
		if errs[i] != nil || tokens[i] != "fake-token-1" {
			t.Errorf("caller %d: Token() = %q, %v, want fake-token-1, nil", i, tokens[i], errs[i])
		}
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("IMS calls = %d, want 1", got)
	}
}

// TestToken_cancelledCallerDoesNotFailOthers: the caller that started the
// shared request gives up; a second caller joins the same request and still
// gets the token, and the token is cached.
func TestToken_cancelledCallerDoesNotFailOthers(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	started := make(chan struct{})
	var startOnce sync.Once
	release := make(chan struct{})
	base := startIMS(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		startOnce.Do(func() { close(started) })
		<-release
		if err := r.Context().Err(); err != nil {
			t.Errorf("IMS request context = %v, want it alive after the first caller left", err)
		}
		fmt.Fprint(w, `{"access_token":"fake-token-1","token_type":"bearer","expires_in":86399}`)
	})
	src := newSource(t, base)

	ctxA, cancelA := context.WithCancel(t.Context())
	errA := make(chan error, 1)
	go func() {
		_, err := src.Token(ctxA)
		errA <- err
	}()
	<-started // A's request is in flight
	cancelA()
	if err := <-errA; !errors.Is(err, context.Canceled) {
		t.Errorf("Token(cancelled ctx) error = %v, want %v", err, context.Canceled)
	}

	type result struct {
		tok flowservice.Token
		err error
	}
	resB := make(chan result, 1)
	go func() { // B joins the request A started, which is still blocked
		tok, err := src.Token(t.Context())
		resB <- result{tok, err}
	}()
	close(release)
	b := <-resB
	if b.err != nil || b.tok.AccessToken != "fake-token-1" {
		t.Errorf("Token() for the second caller = %q, %v, want fake-token-1, nil", b.tok.AccessToken, b.err)
	}
	if _, err := src.Token(t.Context()); err != nil {
		t.Errorf("Token() after the flight = %v, want the cached token", err)
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("IMS calls = %d, want 1", got)
	}
}

func TestInvalidate(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	base := startIMS(t, mintingHandler(&calls, "86399"))
	src := newSource(t, base)
	ctx := t.Context()

	steps := []struct {
		invalidate string
		want       string
	}{
		{invalidate: "", want: "fake-token-1"},
		{invalidate: "some-other-token", want: "fake-token-1"},
		{invalidate: "fake-token-1", want: "fake-token-2"},
		{invalidate: "fake-token-1", want: "fake-token-2"}, // stale: ignored
	}
	for i, s := range steps {
		if s.invalidate != "" {
			src.Invalidate(s.invalidate)
		}
		tok, err := src.Token(ctx)
		if err != nil {
			t.Fatalf("step %d: Token() error = %v", i, err)
		}
		if tok.AccessToken != s.want {
			t.Errorf("step %d: Token() after Invalidate(%q) = %q, want %q", i, s.invalidate, tok.AccessToken, s.want)
		}
	}
	if got := calls.Load(); got != 2 {
		t.Errorf("IMS calls = %d, want 2", got)
	}
}

// TestToken_errors covers IMS refusals, transient failures and malformed
// successes, and checks that no error string carries the secret.
func TestToken_errors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		status        int
		body          string
		want          *imsauth.Error // nil: not an *imsauth.Error
		wantIs        []error
		wantNotIs     []error
		wantTemporary bool
	}{
		{
			name:      "401 invalid_client",
			status:    http.StatusUnauthorized,
			body:      `{"error":"invalid_client","error_description":"invalid client_id parameter"}`,
			want:      &imsauth.Error{StatusCode: 401, Code: imsauth.CodeInvalidClient, Description: "invalid client_id parameter"},
			wantIs:    []error{imsauth.ErrInvalidClient},
			wantNotIs: []error{imsauth.ErrInvalidScope},
		},
		{
			name:      "400 invalid_scope",
			status:    http.StatusBadRequest,
			body:      `{"error":"invalid_scope","error_description":"Invalid scope (additional_info.projectedProductContext)"}`,
			want:      &imsauth.Error{StatusCode: 400, Code: imsauth.CodeInvalidScope, Description: "Invalid scope (additional_info.projectedProductContext)"},
			wantIs:    []error{imsauth.ErrInvalidScope},
			wantNotIs: []error{imsauth.ErrInvalidClient},
		},
		{
			name:   "400 unauthorized_client",
			status: http.StatusBadRequest,
			body:   `{"error":"unauthorized_client"}`,
			want:   &imsauth.Error{StatusCode: 400, Code: imsauth.CodeUnauthorizedClient},
			wantIs: []error{imsauth.ErrInvalidClient},
		},
		{
			name:   "400 description echoing the secret is scrubbed",
			status: http.StatusBadRequest,
			body:   `{"error":"invalid_client","error_description":"client_secret ` + testSecret + ` is wrong"}`,
			want:   &imsauth.Error{StatusCode: 400, Code: imsauth.CodeInvalidClient, Description: "client_secret REDACTED is wrong"},
			wantIs: []error{imsauth.ErrInvalidClient},
		},
		{
			name:          "429 not JSON",
			status:        http.StatusTooManyRequests,
			body:          `slow down`,
			want:          &imsauth.Error{StatusCode: 429},
			wantNotIs:     []error{imsauth.ErrInvalidClient, imsauth.ErrInvalidScope},
			wantTemporary: true,
		},
		{
			name:          "500 HTML",
			status:        http.StatusInternalServerError,
			body:          `<html>oops ` + testSecret + `</html>`,
			want:          &imsauth.Error{StatusCode: 500},
			wantTemporary: true,
		},
		{
			name:          "503 empty",
			status:        http.StatusServiceUnavailable,
			want:          &imsauth.Error{StatusCode: 503},
			wantTemporary: true,
		},
		{name: "200 not JSON", status: 200, body: `<html>` + testSecret + `</html>`, wantIs: []error{imsauth.ErrMalformedResponse}},
		{name: "200 no access_token", status: 200, body: `{"token_type":"bearer","expires_in":86399}`, wantIs: []error{imsauth.ErrMalformedResponse}},
		{name: "200 no expires_in", status: 200, body: `{"access_token":"fake-token-x","token_type":"bearer"}`, wantIs: []error{imsauth.ErrMalformedResponse}},
		{name: "200 zero expires_in", status: 200, body: `{"access_token":"fake-token-x","expires_in":0}`, wantIs: []error{imsauth.ErrMalformedResponse}},
		{name: "200 text expires_in", status: 200, body: `{"access_token":"fake-token-x","expires_in":"soon"}`, wantIs: []error{imsauth.ErrMalformedResponse}},
		{name: "200 wrong token_type", status: 200, body: `{"access_token":"fake-token-x","token_type":"mac","expires_in":60}`, wantIs: []error{imsauth.ErrMalformedResponse}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base := startIMS(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			})
			src := newSource(t, base)
			_, err := src.Token(t.Context())
			if err == nil {
				t.Fatal("Token() error = nil, want an error")
			}
			var got *imsauth.Error
			if isIMSErr := errors.As(err, &got); isIMSErr != (tt.want != nil) {
				t.Fatalf("Token() error = %v (%T), want *imsauth.Error: %v", err, err, tt.want != nil)
			}
			if tt.want != nil {
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("Token() error mismatch (-want +got):\n%s", diff)
				}
				if got.Temporary() != tt.wantTemporary {
					t.Errorf("Temporary() = %v, want %v", got.Temporary(), tt.wantTemporary)
				}
			}
			for _, target := range tt.wantIs {
				if !errors.Is(err, target) {
					t.Errorf("errors.Is(%v, %v) = false, want true", err, target)
				}
			}
			for _, target := range tt.wantNotIs {
				if errors.Is(err, target) {
					t.Errorf("errors.Is(%v, %v) = true, want false", err, target)
				}
			}
			for _, secret := range []string{testSecret, "fake-token-x"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("Token() error = %q, must not contain %q", err, secret)
				}
			}
		})
	}
}

func TestErrorString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  *imsauth.Error
		want string
	}{
		{name: "invalid_client", err: &imsauth.Error{StatusCode: 401, Code: "invalid_client", Description: "bad"}, want: "imsauth: IMS refused the client credentials (HTTP 401, invalid_client): bad"},
		{name: "invalid_scope", err: &imsauth.Error{StatusCode: 400, Code: "invalid_scope"}, want: "imsauth: IMS refused the requested scopes (HTTP 400, invalid_scope)"},
		{name: "no code", err: &imsauth.Error{StatusCode: 502}, want: "imsauth: IMS token request failed (HTTP 502)"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("%s: Error() = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestToken_credentialProblems(t *testing.T) {
	t.Parallel()
	boom := errors.New("secrets manager: access denied")
	tests := []struct {
		name    string
		load    func(context.Context) (imsauth.Credentials, error)
		wantErr error // nil: any error
	}{
		{name: "load fails", load: func(context.Context) (imsauth.Credentials, error) { return imsauth.Credentials{}, boom }, wantErr: boom},
		{name: "no client secret", load: imsauth.StaticCredentials(imsauth.Credentials{ClientID: "id", OrgID: "o", Scopes: []string{"openid"}})},
		{name: "no client ID", load: imsauth.StaticCredentials(imsauth.Credentials{ClientSecret: testSecret, OrgID: "o", Scopes: []string{"openid"}})},
		{name: "no org ID", load: imsauth.StaticCredentials(imsauth.Credentials{ClientID: "id", ClientSecret: testSecret, Scopes: []string{"openid"}})},
		{name: "blank scopes", load: imsauth.StaticCredentials(imsauth.Credentials{ClientID: "id", ClientSecret: testSecret, OrgID: "o", Scopes: []string{" ", ""}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var calls atomic.Int32
			base := startIMS(t, mintingHandler(&calls, "86399"))
			src := newSource(t, base, imsauth.WithCredentials(tt.load))
			_, err := src.Token(t.Context())
			if err == nil {
				t.Fatal("Token() error = nil, want an error")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Token() error = %v, want it to wrap %v", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), testSecret) {
				t.Errorf("Token() error = %q, must not contain the secret", err)
			}
			if got := calls.Load(); got != 0 {
				t.Errorf("IMS calls = %d, want 0", got)
			}
		})
	}
}

func TestToken_transportError(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close() // nothing listens any more
	src := newSource(t, base)
	_, err := src.Token(t.Context())
	if err == nil {
		t.Fatal("Token() error = nil, want a transport error")
	}
	var imsErr *imsauth.Error
	if errors.As(err, &imsErr) {
		t.Errorf("Token() error = %v, want a transport error, not *imsauth.Error", err)
	}
	if strings.Contains(err.Error(), testSecret) {
		t.Errorf("Token() error = %q, must not contain the secret", err)
	}
}

// TestCredentials_redacted covers every way credentials can be printed.
func TestCredentials_redacted(t *testing.T) {
	t.Parallel()
	var logBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("creds", "c", testCreds)
	var textBuf bytes.Buffer
	slog.New(slog.NewTextHandler(&textBuf, nil)).Info("creds", "c", testCreds)

	outputs := map[string]string{
		"%v":         fmt.Sprintf("%v", testCreds),
		"%+v":        fmt.Sprintf("%+v", testCreds),
		"%#v":        fmt.Sprintf("%#v", testCreds),
		"%s":         fmt.Sprintf("%s", testCreds), //nolint:staticcheck // exercises the %s verb on purpose
		"%q":         fmt.Sprintf("%q", testCreds),
		"%v pointer": fmt.Sprintf("%v", &testCreds),
		"%+v nested": fmt.Sprintf("%+v", struct{ C imsauth.Credentials }{testCreds}),
		"String":     testCreds.String(),
		"slog JSON":  logBuf.String(),
		"slog text":  textBuf.String(),
	}
	for name, out := range outputs {
		if strings.Contains(out, testSecret) {
			t.Errorf("%s output %q contains the client secret", name, out)
		}
		if !strings.Contains(out, "fake-client-id") {
			t.Errorf("%s output %q, want the client ID to stay visible", name, out)
		}
	}
}

func TestSource_String(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	base := startIMS(t, mintingHandler(&calls, "86399"))
	src := newSource(t, base)
	if _, err := src.Token(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{fmt.Sprintf("%v", src), fmt.Sprintf("%+v", src), fmt.Sprintf("%#v", src)} {
		if strings.Contains(out, "fake-token-1") || strings.Contains(out, testSecret) {
			t.Errorf("Source formatted as %q, must not show the token or secret", out)
		}
	}
}

// TestWithFlowService: a Flow Service 401 makes the client invalidate the
// IMS token, mint a new one and retry once.
func TestWithFlowService(t *testing.T) {
	t.Parallel()
	var imsCalls atomic.Int32
	src := newSource(t, startIMS(t, mintingHandler(&imsCalls, "86399")))

	var flowCalls atomic.Int32
	flow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		flowCalls.Add(1)
		if r.Header.Get("Authorization") != "Bearer fake-token-2" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error_code":"401013","message":"Oauth token is not valid"}`)
			return
		}
		if got, want := r.Header.Get("x-api-key"), "fake-client-id"; got != want {
			t.Errorf("x-api-key = %q, want %q", got, want)
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(flow.Close)

	c, err := flowservice.NewClient(flowservice.WithBaseURL(flow.URL), flowservice.WithTokenSource(src))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteConnection(t.Context(), "prod", "c1"); err != nil {
		t.Fatalf("DeleteConnection() error = %v", err)
	}
	if got, want := imsCalls.Load(), int32(2); got != want {
		t.Errorf("IMS calls = %d, want %d", got, want)
	}
	if got, want := flowCalls.Load(), int32(2); got != want {
		t.Errorf("Flow Service calls = %d, want %d", got, want)
	}
}
