package imsauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/flowservice"
)

const (
	// DefaultTokenURL is the IMS base URL used when WithTokenURL is not given.
	DefaultTokenURL = "https://ims-na1.adobelogin.com"

	// TokenPath is appended to the IMS base URL.
	TokenPath = "/ims/token/v3"

	// DefaultRefreshMargin is how much of a token's life must be left for it
	// to be reused.
	DefaultRefreshMargin = 5 * time.Minute

	// maxTokenLifetime caps expires_in (see the package comment).
	maxTokenLifetime = 24 * time.Hour

	// mintTimeout bounds the shared, detached IMS request.
	mintTimeout = 30 * time.Second

	// defaultHTTPTimeout is the timeout of the default HTTP client.
	defaultHTTPTimeout = 30 * time.Second

	// maxBodySize caps how much of an IMS answer is read.
	maxBodySize = 1 << 20
)

var (
	_ flowservice.TokenSource = (*Source)(nil)
	_ flowservice.Invalidator = (*Source)(nil)
)

// Credentials are the OAuth Server-to-Server credentials of an Adobe
// Developer Console project. String, GoString and LogValue never print
// ClientSecret, so %v, %+v, %#v and slog are safe.
type Credentials struct {
	ClientID     string
	ClientSecret string
	// OrgID is the IMS organization ("...@AdobeOrg"); IMS does not need it,
	// but every Flow Service request does, so it travels with the token.
	OrgID string
	// Scopes are sent as one comma-separated scope parameter, e.g.
	// openid, AdobeID, read_organizations, additional_info.projectedProductContext.
	Scopes []string
}

// String returns the credentials with ClientSecret redacted.
func (c Credentials) String() string {
	secret := `""`
	if c.ClientSecret != "" {
		secret = "REDACTED"
	}
	return fmt.Sprintf("imsauth.Credentials{ClientID: %q, ClientSecret: %s, OrgID: %q, Scopes: %q}", c.ClientID, secret, c.OrgID, c.Scopes)
}

// GoString returns the credentials with ClientSecret redacted, for %#v.
func (c Credentials) GoString() string { return c.String() }

// LogValue implements slog.LogValuer with ClientSecret redacted.
func (c Credentials) LogValue() slog.Value {
	secret := ""
	if c.ClientSecret != "" {
		secret = "REDACTED"
	}
	return slog.GroupValue(
		slog.String("client_id", c.ClientID),
		slog.String("client_secret", secret),
		slog.String("org_id", c.OrgID),
		slog.Any("scopes", c.Scopes),
	)
}

// scope joins the scopes with commas, dropping blanks.
func (c Credentials) scope() string {
	parts := make([]string, 0, len(c.Scopes))
	for _, s := range c.Scopes {
		if s = strings.TrimSpace(s); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ",")
}

// validate reports which required field is missing, without values.
func (c Credentials) validate() error {
	var missing []string
	if c.ClientID == "" {
		missing = append(missing, "client ID")
	}
	if c.ClientSecret == "" {
		missing = append(missing, "client secret")
	}
	if c.OrgID == "" {
		missing = append(missing, "org ID")
	}
	if c.scope() == "" {
		missing = append(missing, "scopes")
	}
	if len(missing) > 0 {
		return fmt.Errorf("imsauth: credentials lack %s", strings.Join(missing, ", "))
	}
	return nil
}

// StaticCredentials returns a credentials function that always returns c,
// for tests and local runs.
func StaticCredentials(c Credentials) func(context.Context) (Credentials, error) {
	return func(context.Context) (Credentials, error) { return c, nil }
}

// Source mints IMS access tokens and caches them. It implements
// flowservice.TokenSource and flowservice.Invalidator and is safe for
// concurrent use. Build it with New.
type Source struct {
	tokenURL    string
	httpClient  *http.Client
	credentials func(context.Context) (Credentials, error)
	margin      time.Duration
	now         func() time.Time
	retry       flowservice.RetryPolicy
	sleep       func(ctx context.Context, d time.Duration) error // waits between attempts; a test records instead

	mu     sync.Mutex
	cached *cachedToken // nil when there is none
	flight *flight      // the shared IMS request in progress, nil when none
}

type cachedToken struct {
	token     flowservice.Token
	refreshAt time.Time
}

// sourceOptions collects the options before New validates them.
type sourceOptions struct {
	tokenURL    string
	httpClient  *http.Client
	credentials func(context.Context) (Credentials, error)
	margin      time.Duration
	now         func() time.Time
	retry       flowservice.RetryPolicy
}

// Option configures a Source. An Option returns an error when its argument is
// invalid; New reports that error.
type Option func(*sourceOptions) error

// WithTokenURL sets the IMS base URL, e.g. "https://ims-na1.adobelogin.com"
// or an emulator's "http://127.0.0.1:8081". The token endpoint is the base
// plus TokenPath. The URL must be absolute (http or https with a host) and
// carry no query, fragment or user info.
func WithTokenURL(base string) Option {
	return func(o *sourceOptions) error {
		// Errors never repeat the URL: a misplaced secret could sit in it.
		u, err := url.Parse(base)
		if err != nil {
			return errors.New("imsauth: token URL does not parse")
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errors.New("imsauth: token URL must be absolute with an http or https scheme and a host")
		}
		if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return errors.New("imsauth: token URL must not carry a query, fragment or user info")
		}
		u.Path = strings.TrimSuffix(u.Path, "/")
		u.RawPath = ""
		if strings.HasSuffix(u.Path, TokenPath) {
			return fmt.Errorf("imsauth: token URL already ends in %s: pass the IMS base URL", TokenPath)
		}
		o.tokenURL = u.String() + TokenPath
		return nil
	}
}

// WithHTTPClient sets the HTTP client. The client is copied; nil is an error.
// The default has a 30-second timeout.
func WithHTTPClient(hc *http.Client) Option {
	return func(o *sourceOptions) error {
		if hc == nil {
			return errors.New("imsauth: HTTP client is nil")
		}
		c := *hc
		o.httpClient = &c
		return nil
	}
}

// WithCredentials sets the function that loads the credentials. It is
// required. It is called only when a token must be minted, with a context
// detached from the caller's cancellation (see the package comment).
func WithCredentials(load func(ctx context.Context) (Credentials, error)) Option {
	return func(o *sourceOptions) error {
		if load == nil {
			return errors.New("imsauth: credentials function is nil")
		}
		o.credentials = load
		return nil
	}
}

// WithRefreshMargin sets how much of a token's life must be left for it to be
// reused (default DefaultRefreshMargin). It must not be negative.
func WithRefreshMargin(d time.Duration) Option {
	return func(o *sourceOptions) error {
		if d < 0 {
			return fmt.Errorf("imsauth: negative refresh margin %v", d)
		}
		o.margin = d
		return nil
	}
}

// WithClock sets the clock used for token expiry (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(o *sourceOptions) error {
		if now == nil {
			return errors.New("imsauth: clock is nil")
		}
		o.now = now
		return nil
	}
}

// WithRetry sets the retry policy of the token request (default
// flowservice.DefaultRetryPolicy). An invalid policy is an error; a
// MaxAttempts of 1 disables retries. See the package comment for what is
// retried.
func WithRetry(p flowservice.RetryPolicy) Option {
	return func(o *sourceOptions) error {
		if err := p.Validate(); err != nil {
			return fmt.Errorf("imsauth: %w", err)
		}
		o.retry = p
		return nil
	}
}

// New returns a Source. It fails if an option is invalid or WithCredentials
// is missing. It makes no network call.
func New(opts ...Option) (*Source, error) {
	o := sourceOptions{
		tokenURL: DefaultTokenURL + TokenPath,
		margin:   DefaultRefreshMargin,
		now:      time.Now,
		retry:    flowservice.DefaultRetryPolicy(),
	}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	if o.credentials == nil {
		return nil, errors.New("imsauth: a credentials function is required (use WithCredentials)")
	}
	if o.httpClient == nil {
		o.httpClient = &http.Client{Timeout: defaultHTTPTimeout}
	}
	return &Source{
		tokenURL:    o.tokenURL,
		httpClient:  o.httpClient,
		credentials: o.credentials,
		margin:      o.margin,
		now:         o.now,
		retry:       o.retry,
		sleep:       sleepContext,
	}, nil
}

// String describes the Source without its cached token.
func (s *Source) String() string { return "imsauth.Source{tokenURL: " + s.tokenURL + "}" }

// GoString describes the Source without its cached token, for %#v.
func (s *Source) GoString() string { return s.String() }

// Token returns the cached token while it is fresh, and otherwise mints one,
// sharing a single IMS request (with its retries) among concurrent callers.
// If ctx ends first, Token returns the context's error and the shared
// request carries on. If the shared request is about to wait before a retry
// that would start within ctx's deadline minus the policy's
// MinAttemptBudget, or later, Token returns a *RetryError at once.
func (s *Source) Token(ctx context.Context) (flowservice.Token, error) {
	if tok, ok := s.fresh(); ok {
		return tok, nil
	}
	f := s.join(ctx)
	var end time.Time // the latest a wait may end for this caller; zero for none
	if d, ok := ctx.Deadline(); ok {
		end = d.Add(-s.retry.MinAttemptBudget)
	}
	for {
		p, changed := f.status()
		if p != nil && !end.IsZero() && p.until.After(end) {
			return flowservice.Token{}, &RetryError{Attempts: p.attempts, OutOfTime: true, Err: p.err}
		}
		select {
		case <-f.done:
			return f.tok, f.err
		case <-changed:
		case <-ctx.Done():
			return flowservice.Token{}, fmt.Errorf("imsauth: waiting for a token: %w", context.Cause(ctx))
		}
	}
}

// flight is one shared mint, retries included. tok and err are set before
// done is closed.
type flight struct {
	done chan struct{}
	tok  flowservice.Token
	err  error

	mu      sync.Mutex
	pause   *pause        // set while the flight waits before its next attempt
	changed chan struct{} // closed, and replaced, whenever pause changes
}

// pause describes the wait of a flight before its next attempt.
type pause struct {
	until    time.Time // when the wait ends
	attempts int       // attempts made so far
	err      error     // the retryable failure of the last attempt
}

// status returns the current pause (nil when none) and a channel closed at
// its next change.
func (f *flight) status() (*pause, <-chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pause, f.changed
}

// setPause publishes p (nil: the flight is attempting again) to the waiters.
func (f *flight) setPause(p *pause) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pause = p
	close(f.changed)
	f.changed = make(chan struct{})
}

// join returns the flight in progress, starting one if there is none.
func (s *Source) join(ctx context.Context) *flight {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.flight == nil {
		f := &flight{done: make(chan struct{}), changed: make(chan struct{})}
		s.flight = f
		// The flight must not inherit the cancellation of whichever caller
		// started it; mint bounds it with mintTimeout instead.
		go s.fly(context.WithoutCancel(ctx), f)
	}
	return s.flight
}

// fly runs the flight f and hands its result to the waiters.
func (s *Source) fly(ctx context.Context, f *flight) {
	tok, err := s.mint(ctx, f)
	s.mu.Lock()
	if s.flight == f {
		s.flight = nil
	}
	s.mu.Unlock()
	f.tok, f.err = tok, err
	close(f.done)
}

// Invalidate drops the cached token if it is still accessToken, so that the
// next Token call mints a new one. Call it after Flow Service answered 401. A
// stale accessToken (already replaced) is ignored.
func (s *Source) Invalidate(accessToken string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cached != nil && s.cached.token.AccessToken == accessToken {
		s.cached = nil
	}
}

// fresh returns the cached token if it may still be used.
func (s *Source) fresh() (flowservice.Token, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cached == nil || !s.now().Before(s.cached.refreshAt) {
		return flowservice.Token{}, false
	}
	return s.cached.token, true
}

// mint loads the credentials, asks IMS for a token (retrying as the policy
// allows, and publishing its waits on f) and caches it.
func (s *Source) mint(ctx context.Context, f *flight) (flowservice.Token, error) {
	// A flight that finished between the caller's check and this one may
	// already have cached a token.
	if tok, ok := s.fresh(); ok {
		return tok, nil
	}
	ctx, cancel := context.WithTimeout(ctx, mintTimeout)
	defer cancel()

	creds, err := s.credentials(ctx)
	if err != nil {
		return flowservice.Token{}, fmt.Errorf("imsauth: load credentials: %w", err)
	}
	if err := creds.validate(); err != nil {
		return flowservice.Token{}, err
	}

	g, err := s.exchangeRetrying(ctx, creds, f)
	if err != nil {
		return flowservice.Token{}, err
	}
	margin := s.margin
	if g.lifetime < 2*margin {
		margin = g.lifetime / 2
	}
	c := &cachedToken{
		token:     flowservice.Token{AccessToken: g.access, APIKey: creds.ClientID, OrgID: creds.OrgID},
		refreshAt: g.start.Add(g.lifetime - margin),
	}
	s.mu.Lock()
	s.cached = c
	s.mu.Unlock()
	return c.token, nil
}

// tokenResponse is the IMS answer; expires_in is in seconds.
type tokenResponse struct {
	AccessToken string          `json:"access_token"`
	TokenType   string          `json:"token_type"`
	ExpiresIn   json.RawMessage `json:"expires_in"`
}

// errorResponse is the OAuth 2 error body.
type errorResponse struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// grant is a token IMS issued.
type grant struct {
	access   string
	lifetime time.Duration
	start    time.Time // when the request that got it started, by s.now
}

// exchange performs the client-credentials POST once and returns the access
// token and its lifetime. A failure to reach IMS or read its answer is a
// *transportError.
func (s *Source) exchange(ctx context.Context, creds Credentials) (string, time.Duration, error) {
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {creds.ClientID},
		"client_secret": {creds.ClientSecret},
		"scope":         {creds.scope()},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, fmt.Errorf("imsauth: build token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")

	resp, err := s.httpClient.Do(req)
	if err != nil {
		// The URL in a *url.Error carries no credentials: they are in the body.
		return "", 0, &transportError{fmt.Errorf("imsauth: token request: %w", err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBodySize))
	if err != nil {
		return "", 0, &transportError{fmt.Errorf("imsauth: read token response (HTTP %d): %w", resp.StatusCode, err)}
	}

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &Error{StatusCode: resp.StatusCode, RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), s.now())}
		var eb errorResponse
		if json.Unmarshal(body, &eb) == nil {
			e.Code = eb.Error
			e.Description = scrub(eb.ErrorDescription, creds.ClientSecret)
		}
		return "", 0, e
	}

	var tr tokenResponse
	if err := json.Unmarshal(body, &tr); err != nil {
		return "", 0, fmt.Errorf("%w: body is not a JSON token (HTTP %d)", ErrMalformedResponse, resp.StatusCode)
	}
	if tr.AccessToken == "" {
		return "", 0, fmt.Errorf("%w: no access_token (HTTP %d)", ErrMalformedResponse, resp.StatusCode)
	}
	if tr.TokenType != "" && !strings.EqualFold(tr.TokenType, "bearer") {
		return "", 0, fmt.Errorf("%w: token_type %q is not bearer", ErrMalformedResponse, tr.TokenType)
	}
	lifetime, err := parseExpiresIn(tr.ExpiresIn)
	if err != nil {
		return "", 0, fmt.Errorf("%w: %w", ErrMalformedResponse, err)
	}
	return tr.AccessToken, lifetime, nil
}

// parseExpiresIn reads expires_in, a JSON number (or quoted number) of
// seconds, capped at maxTokenLifetime.
func parseExpiresIn(raw json.RawMessage) (time.Duration, error) {
	v := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	if v == "" || v == "null" {
		return 0, errors.New("no expires_in")
	}
	secs, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(secs) || math.IsInf(secs, 0) {
		return 0, errors.New("expires_in is not a number of seconds")
	}
	if secs <= 0 {
		return 0, fmt.Errorf("expires_in %v is not positive", secs)
	}
	if secs >= maxTokenLifetime.Seconds() {
		return maxTokenLifetime, nil
	}
	return time.Duration(secs * float64(time.Second)), nil
}

// scrub removes secret from s, in case IMS ever echoes it.
func scrub(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, "REDACTED")
}
