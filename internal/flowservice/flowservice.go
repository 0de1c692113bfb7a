package flowservice

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

const (
	// DefaultBaseURL is the production Flow Service endpoint.
	DefaultBaseURL = "https://platform.adobe.io/data/foundation/flowservice/"

	// DefaultUserAgent is sent when WithUserAgent is not used.
	DefaultUserAgent = "aep-kinesis-provisioner-flowservice"

	// defaultTimeout bounds a request made with the default HTTP client.
	defaultTimeout = 30 * time.Second

	// maxBodySize caps how much of a successful response is decoded. List
	// pages are the largest answers we read; 8 MiB is far above any page.
	maxBodySize = 8 << 20

	// maxErrorBodySize caps how much of an error body is read (go-github's cap).
	maxErrorBodySize = 1 << 20
)

// ErrPathForbidden is returned when a request path contains a ".." segment or
// is absolute, either of which would escape the service base URL.
var ErrPathForbidden = errors.New("flowservice: path forbidden: contains \"..\" or starts with \"/\"")

// Token is what every Flow Service request needs to authenticate: the IMS
// access token, the API key (the Developer Console client ID, sent as
// x-api-key) and the IMS organization ID (sent as x-gw-ims-org-id).
//
// String, GoString and LogValue redact AccessToken.
type Token struct {
	AccessToken string
	APIKey      string
	OrgID       string
}

// String returns the token with AccessToken redacted.
func (t Token) String() string {
	return fmt.Sprintf("flowservice.Token{AccessToken: %s, APIKey: %q, OrgID: %q}", redact(t.AccessToken), t.APIKey, t.OrgID)
}

// GoString returns the token with AccessToken redacted, for %#v.
func (t Token) GoString() string { return t.String() }

// LogValue implements slog.LogValuer and redacts AccessToken.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("access_token", redact(t.AccessToken)),
		slog.String("api_key", t.APIKey),
		slog.String("org_id", t.OrgID),
	)
}

// redact hides a secret value while still telling "set" from "empty".
func redact(s string) string {
	if s == "" {
		return `""`
	}
	return "REDACTED"
}

// TokenSource supplies the credentials of every request. The Client calls
// Token once per request (and once more after a 401, see Invalidator), so
// implementations should cache; imsauth.Source does.
type TokenSource interface {
	Token(ctx context.Context) (Token, error)
}

// Invalidator is implemented by a TokenSource that can drop a cached token.
// When the TokenSource given to WithTokenSource implements it, the Client
// calls Invalidate with the rejected access token after a 401 and retries the
// request exactly once with a fresh token.
type Invalidator interface {
	Invalidate(accessToken string)
}

// Client is a Flow Service API client. It is safe for concurrent use. Build
// it once (outside the Lambda handler) with NewClient.
type Client struct {
	client    *http.Client
	baseURL   *url.URL
	userAgent string
	tokens    TokenSource
	retry     RetryPolicy
	now       func() time.Time                                 // for Retry-After HTTP dates; time.Now unless a test sets it
	sleep     func(ctx context.Context, d time.Duration) error // waits between attempts; a test records instead
}

// clientOptions collects the options before NewClient validates them.
type clientOptions struct {
	httpClient *http.Client
	baseURL    *url.URL
	userAgent  string
	tokens     TokenSource
	retry      RetryPolicy
}

// Option configures a Client. An Option returns an error when its argument is
// invalid; NewClient reports that error.
type Option func(*clientOptions) error

// WithBaseURL sets the service base URL, e.g. an emulator's
// "http://127.0.0.1:8080/data/foundation/flowservice". The URL must be
// absolute (http or https with a host) and carry no query or fragment. A
// trailing slash is added if it is missing, because request paths are
// resolved relative to it.
func WithBaseURL(base string) Option {
	return func(o *clientOptions) error {
		// Errors never repeat the URL: a misplaced secret could sit in it.
		u, err := url.Parse(base)
		if err != nil {
			return errors.New("flowservice: base URL does not parse")
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errors.New("flowservice: base URL must be absolute with an http or https scheme and a host")
		}
		if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return errors.New("flowservice: base URL must not carry a query, fragment or user info")
		}
		if !strings.HasSuffix(u.Path, "/") {
			u.Path += "/"
			if u.RawPath != "" {
				u.RawPath += "/"
			}
		}
		o.baseURL = u
		return nil
	}
}

// WithHTTPClient sets the HTTP client. The client is copied, so later changes
// to it do not affect the Client. A nil client is an error. The default is a
// client with a 30-second timeout.
func WithHTTPClient(hc *http.Client) Option {
	return func(o *clientOptions) error {
		if hc == nil {
			return errors.New("flowservice: HTTP client is nil")
		}
		c := *hc
		o.httpClient = &c
		return nil
	}
}

// WithTokenSource sets where request credentials come from. It is required.
func WithTokenSource(ts TokenSource) Option {
	return func(o *clientOptions) error {
		if ts == nil {
			return errors.New("flowservice: token source is nil")
		}
		o.tokens = ts
		return nil
	}
}

// WithUserAgent sets the User-Agent header. It must not be empty.
func WithUserAgent(ua string) Option {
	return func(o *clientOptions) error {
		if strings.TrimSpace(ua) == "" {
			return errors.New("flowservice: user agent is empty")
		}
		o.userAgent = ua
		return nil
	}
}

// NewClient returns a Flow Service client. It fails if an option is invalid
// or WithTokenSource is missing.
func NewClient(opts ...Option) (*Client, error) {
	o := clientOptions{userAgent: DefaultUserAgent, retry: DefaultRetryPolicy()}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	if o.tokens == nil {
		return nil, errors.New("flowservice: a token source is required (use WithTokenSource)")
	}
	if o.baseURL == nil {
		u, err := url.Parse(DefaultBaseURL)
		if err != nil {
			return nil, fmt.Errorf("flowservice: parse default base URL: %w", err)
		}
		o.baseURL = u
	}
	if o.httpClient == nil {
		o.httpClient = &http.Client{Timeout: defaultTimeout}
	}
	return &Client{
		client:    o.httpClient,
		baseURL:   o.baseURL,
		userAgent: o.userAgent,
		tokens:    o.tokens,
		retry:     o.retry,
		now:       time.Now,
		sleep:     sleepContext,
	}, nil
}

// BaseURL returns a copy of the base URL requests are resolved against.
func (c *Client) BaseURL() *url.URL {
	u := *c.baseURL
	return &u
}

// newRequest builds a request for path, which is relative to the base URL and
// may carry a query string. It fetches a token, sets the Adobe headers and,
// when body is not nil, JSON-encodes it with HTML escaping off.
func (c *Client) newRequest(ctx context.Context, method, path, sandbox string, body any) (*http.Request, error) {
	if err := checkPath(path); err != nil {
		return nil, err
	}
	if sandbox == "" {
		return nil, errors.New("flowservice: sandbox name is empty")
	}
	u, err := c.baseURL.Parse(path)
	if err != nil {
		return nil, fmt.Errorf("flowservice: parse request path: %w", err)
	}

	var buf io.Reader
	if body != nil {
		b := new(bytes.Buffer)
		enc := json.NewEncoder(b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(body); err != nil {
			return nil, fmt.Errorf("flowservice: encode request body: %w", err)
		}
		buf = bytes.NewReader(b.Bytes()) // a *bytes.Reader lets the 401 replay use GetBody
	}

	req, err := http.NewRequestWithContext(ctx, method, u.String(), buf)
	if err != nil {
		return nil, fmt.Errorf("flowservice: build request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("x-sandbox-name", sandbox)

	tok, err := c.tokens.Token(ctx)
	if err != nil {
		return nil, fmt.Errorf("flowservice: get token: %w", err)
	}
	if err := setAuth(req, tok); err != nil {
		return nil, err
	}
	return req, nil
}

// checkPath refuses absolute paths and ".." segments (go-github's
// ErrPathForbidden), before and after unescaping.
func checkPath(path string) error {
	p, _, _ := strings.Cut(path, "?")
	if strings.HasPrefix(p, "/") {
		return ErrPathForbidden
	}
	for seg := range strings.SplitSeq(p, "/") {
		if seg == ".." {
			return ErrPathForbidden
		}
		if un, err := url.PathUnescape(seg); err == nil && un == ".." {
			return ErrPathForbidden
		}
	}
	return nil
}

// setAuth sets the three credential headers from tok.
func setAuth(req *http.Request, tok Token) error {
	if tok.AccessToken == "" || tok.APIKey == "" || tok.OrgID == "" {
		return errors.New("flowservice: token source returned an incomplete token (access token, API key and org ID are all required)")
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("x-api-key", tok.APIKey)
	req.Header.Set("x-gw-ims-org-id", tok.OrgID)
	return nil
}

// do is the request funnel. It sends req, replays it once after a 401 when
// the token source can invalidate, retries what the retry policy allows (see
// the package comment), runs checkResponse and decodes a successful body into
// v (when v is not nil). The response is returned even with an error; its
// body is closed.
func (c *Client) do(req *http.Request, v any) (*http.Response, error) {
	ctx := req.Context()
	start := time.Now()
	var (
		r        *retrier // created on the first retryable failure
		replayed bool     // the one 401 replay has been made
	)
	for attempt := 1; ; attempt++ {
		if attempt > 1 {
			again, err := rewind(req)
			if err != nil {
				return nil, err
			}
			req = again
		}
		resp, unsent, err := c.send(req)
		if err != nil {
			err = fmt.Errorf("send request: %w", err)
		} else if resp.StatusCode == http.StatusUnauthorized && !replayed {
			if inv, ok := c.tokens.(Invalidator); ok {
				replayed = true
				retry, rerr := c.reauthorize(req, inv)
				if rerr != nil {
					_ = resp.Body.Close()
					return resp, rerr
				}
				drainAndClose(resp.Body)
				req = retry
				resp, unsent, err = c.send(req)
				if err != nil {
					err = fmt.Errorf("send request after refreshing the token: %w", err)
				}
			}
		}

		if err == nil {
			cerr := c.checkResponse(resp)
			if cerr == nil {
				derr := decode(resp, v)
				drainAndClose(resp.Body)
				return resp, markAmbiguous(req.Method, derr)
			}
			drainAndClose(resp.Body)
			err = cerr
		}

		retryAfter, ok := retryable(ctx, req.Method, err, unsent)
		if !ok {
			return resp, finalError(req.Method, err, unsent)
		}
		if r == nil {
			r = newRetrier(ctx, c.retry, start)
		}
		wait, outOfTime, ok := r.next(attempt, retryAfter)
		if !ok {
			return resp, r.giveUp(attempt, outOfTime, err)
		}
		if serr := c.sleep(ctx, wait); serr != nil {
			return resp, fmt.Errorf("waiting to retry: %w (last error: %w)", serr, err)
		}
	}
}

// decode reads a successful body into v, unless v is nil.
func decode(resp *http.Response, v any) error {
	if v == nil {
		return nil
	}
	dec := json.NewDecoder(io.LimitReader(resp.Body, maxBodySize))
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			err = errors.New("empty body")
		}
		return &DecodeError{StatusCode: resp.StatusCode, RequestID: resp.Header.Get("x-request-id"), Err: err}
	}
	return nil
}

// reauthorize invalidates the token req carried and returns a copy of req
// with a fresh token and a rewound body.
func (c *Client) reauthorize(req *http.Request, inv Invalidator) (*http.Request, error) {
	old, _ := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
	inv.Invalidate(old)

	tok, err := c.tokens.Token(req.Context())
	if err != nil {
		return nil, fmt.Errorf("get token after a 401: %w", err)
	}
	retry, err := rewind(req)
	if err != nil {
		return nil, fmt.Errorf("after a 401: %w", err)
	}
	if err := setAuth(retry, tok); err != nil {
		return nil, err
	}
	return retry, nil
}

// drainAndClose reads a little of what is left so the connection can be
// reused, then closes the body.
func drainAndClose(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 64<<10))
	_ = body.Close()
}
