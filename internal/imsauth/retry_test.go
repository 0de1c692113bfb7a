package imsauth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/flowservice"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/imsauth"
)

// sleepRecorder stands in for the wait between attempts: it records the
// requested durations and returns at once, so no test sleeps or times.
type sleepRecorder struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleepRecorder) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waits = append(s.waits, d)
	return ctx.Err()
}

// Waits returns the recorded waits, in order.
func (s *sleepRecorder) Waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// recordSleeps makes src record its waits instead of sleeping.
func recordSleeps(src *imsauth.Source) *sleepRecorder {
	rec := &sleepRecorder{}
	imsauth.SetSleep(src, rec.sleep)
	return rec
}

// span is an inclusive range a recorded wait must fall in.
type span struct{ lo, hi time.Duration }

func exactly(d time.Duration) span { return span{d, d} }

// jittered is the range of a default-policy backoff wait around interval
// (randomization 0.5, capped at 2 s; the library adds up to 1 ns).
func jittered(interval time.Duration) span {
	return span{interval / 2, min(interval*3/2+time.Nanosecond, flowservice.DefaultMaxInterval)}
}

// checkWaits compares recorded waits with the wanted spans.
func checkWaits(t *testing.T, got []time.Duration, want []span) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("requested waits = %v, want %d waits in %v", got, len(want), want)
	}
	for i := range want {
		if got[i] < want[i].lo || got[i] > want[i].hi {
			t.Errorf("wait %d = %v, want it within [%v, %v]", i, got[i], want[i].lo, want[i].hi)
		}
	}
}

// reply is one scripted answer of the fake IMS; status 200 mints
// "fake-token-<request number>".
type reply struct {
	status int
	header map[string]string
	body   string
	reset  bool // read the request, then reset the connection without answering
}

func tokenReply() reply { return reply{status: http.StatusOK} }

func errorReply(status int, body, retryAfter string) reply {
	r := reply{status: status, body: body}
	if retryAfter != "" {
		r.header = map[string]string{"Retry-After": retryAfter}
	}
	return r
}

// serveScript answers the n-th request with replies[n], repeating the last
// reply, and counts the requests.
func serveScript(t *testing.T, replies []reply, calls *atomic.Int32) http.HandlerFunc {
	t.Helper()
	return func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		rep := replies[min(int(n)-1, len(replies)-1)]
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			t.Errorf("read request body: %v", err)
		}
		if rep.reset {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Errorf("hijack: %v", err)
				return
			}
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // close with a RST
			}
			_ = conn.Close()
			return
		}
		for k, v := range rep.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(rep.status)
		if rep.status == http.StatusOK && rep.body == "" {
			fmt.Fprintf(w, `{"access_token":"fake-token-%d","token_type":"bearer","expires_in":86399}`, n)
			return
		}
		fmt.Fprint(w, rep.body)
	}
}

// gaveUp is what an *imsauth.RetryError must say.
type gaveUp struct {
	Attempts  int
	OutOfTime bool
}

func TestToken_retries(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	noRetries := flowservice.DefaultRetryPolicy()
	noRetries.MaxAttempts = 1
	const invalidClient = `{"error":"invalid_client","error_description":"invalid client_secret parameter"}`

	tests := []struct {
		name    string
		replies []reply
		policy  *flowservice.RetryPolicy // nil: the default
		timeout time.Duration            // the caller's deadline; zero for none

		wantRequests int32
		wantWaits    []span
		wantToken    string // "" when Token fails
		wantStatus   int    // of the *imsauth.Error; 0 for none
		wantIs       error
		wantGaveUp   *gaveUp
	}{
		{
			name:         "503 then 200: one token",
			replies:      []reply{errorReply(503, "", ""), tokenReply()},
			wantRequests: 2,
			wantWaits:    []span{jittered(100 * time.Millisecond)},
			wantToken:    "fake-token-2",
		},
		{
			name:         "503 then 200 within the caller's deadline",
			replies:      []reply{errorReply(503, "", ""), tokenReply()},
			timeout:      time.Hour,
			wantRequests: 2,
			wantWaits:    []span{jittered(100 * time.Millisecond)},
			wantToken:    "fake-token-2",
		},
		{
			name:         "429 with Retry-After seconds then 200",
			replies:      []reply{errorReply(429, "", "2"), tokenReply()},
			wantRequests: 2,
			wantWaits:    []span{exactly(2 * time.Second)},
			wantToken:    "fake-token-2",
		},
		{
			name:         "429 with Retry-After HTTP date then 200",
			replies:      []reply{errorReply(429, "", now.Add(7*time.Second).Format(http.TimeFormat)), tokenReply()},
			wantRequests: 2,
			wantWaits:    []span{exactly(7 * time.Second)},
			wantToken:    "fake-token-2",
		},
		{
			name:         "reset then 200",
			replies:      []reply{{reset: true}, tokenReply()},
			wantRequests: 2,
			wantWaits:    []span{jittered(100 * time.Millisecond)},
			wantToken:    "fake-token-2",
		},
		{
			name:         "500 until MaxAttempts",
			replies:      []reply{errorReply(500, "<html>"+testSecret+"</html>", "")},
			wantRequests: 4,
			wantWaits:    []span{jittered(100 * time.Millisecond), jittered(200 * time.Millisecond), jittered(400 * time.Millisecond)},
			wantStatus:   500,
			wantGaveUp:   &gaveUp{Attempts: 4},
		},
		{
			name:         "401 invalid_client is final",
			replies:      []reply{errorReply(401, invalidClient, ""), tokenReply()},
			wantRequests: 1,
			wantStatus:   401,
			wantIs:       imsauth.ErrInvalidClient,
		},
		{
			name:         "400 invalid_client with Retry-After is final",
			replies:      []reply{errorReply(400, invalidClient, "1"), tokenReply()},
			wantRequests: 1,
			wantStatus:   400,
			wantIs:       imsauth.ErrInvalidClient,
		},
		{
			name:         "400 invalid_scope is final",
			replies:      []reply{errorReply(400, `{"error":"invalid_scope"}`, ""), tokenReply()},
			wantRequests: 1,
			wantStatus:   400,
			wantIs:       imsauth.ErrInvalidScope,
		},
		{
			name:         "403 is final",
			replies:      []reply{errorReply(403, "", ""), tokenReply()},
			wantRequests: 1,
			wantStatus:   403,
		},
		{
			name:         "malformed 200 is not retried",
			replies:      []reply{{status: http.StatusOK, body: "<html>"}, tokenReply()},
			wantRequests: 1,
			wantIs:       imsauth.ErrMalformedResponse,
		},
		{
			name:         "Retry-After beyond MaxElapsed: no wait",
			replies:      []reply{errorReply(429, "", "120"), tokenReply()},
			wantRequests: 1,
			wantStatus:   429,
			wantGaveUp:   &gaveUp{Attempts: 1, OutOfTime: true},
		},
		{
			name:         "MaxAttempts 1 disables retries",
			replies:      []reply{errorReply(503, "", ""), tokenReply()},
			policy:       &noRetries,
			wantRequests: 1,
			wantStatus:   503,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var requests atomic.Int32
			base := startIMS(t, serveScript(t, tt.replies, &requests))
			opts := []imsauth.Option{imsauth.WithClock(func() time.Time { return now })}
			if tt.policy != nil {
				opts = append(opts, imsauth.WithRetry(*tt.policy))
			}
			src := newSource(t, base, opts...)
			rec := recordSleeps(src)

			ctx := t.Context()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			tok, err := src.Token(ctx)

			if got := requests.Load(); got != tt.wantRequests {
				t.Errorf("IMS requests = %d, want %d", got, tt.wantRequests)
			}
			checkWaits(t, rec.Waits(), tt.wantWaits)
			if tt.wantToken != "" {
				if err != nil || tok.AccessToken != tt.wantToken {
					t.Fatalf("Token() = %q, %v, want %q, nil", tok.AccessToken, err, tt.wantToken)
				}
				return
			}
			if err == nil {
				t.Fatal("Token() error = nil, want an error")
			}
			checkTokenError(t, err, tt.wantStatus, tt.wantIs, tt.wantGaveUp)
		})
	}
}

// checkTokenError checks the *Error status, errors.Is target and
// *RetryError of a failed Token call, and that it holds no secret.
func checkTokenError(t *testing.T, err error, wantStatus int, wantIs error, wantGaveUp *gaveUp) {
	t.Helper()
	var imsErr *imsauth.Error
	if isIMSErr := errors.As(err, &imsErr); isIMSErr != (wantStatus != 0) {
		t.Errorf("Token() error = %v, want an *imsauth.Error: %v", err, wantStatus != 0)
	} else if isIMSErr && (imsErr.StatusCode != wantStatus || imsErr.Temporary() != (wantStatus == 429 || wantStatus >= 500)) {
		t.Errorf("Token() error = %v (Temporary %v), want status %d", err, imsErr.Temporary(), wantStatus)
	}
	if wantIs != nil && !errors.Is(err, wantIs) {
		t.Errorf("errors.Is(%v, %v) = false, want true", err, wantIs)
	}
	var retryErr *imsauth.RetryError
	if isRetryErr := errors.As(err, &retryErr); isRetryErr != (wantGaveUp != nil) {
		t.Fatalf("Token() error = %v, want an *imsauth.RetryError: %v", err, wantGaveUp != nil)
	}
	if wantGaveUp != nil {
		if diff := cmp.Diff(*wantGaveUp, gaveUp{Attempts: retryErr.Attempts, OutOfTime: retryErr.OutOfTime}); diff != "" {
			t.Errorf("RetryError mismatch (-want +got):\n%s", diff)
		}
		if !retryErr.Temporary() {
			t.Error("RetryError.Temporary() = false, want true")
		}
	}
	if strings.Contains(err.Error(), testSecret) {
		t.Errorf("Token() error = %q, must not contain the secret", err)
	}
}

// TestToken_retriesTransportErrors: failures to reach IMS are retried.
func TestToken_retriesTransportErrors(t *testing.T) {
	t.Parallel()
	t.Run("first dial refused, then a token", func(t *testing.T) {
		t.Parallel()
		var requests atomic.Int32
		base := startIMS(t, serveScript(t, []reply{tokenReply()}, &requests))
		var dials atomic.Int32
		var d net.Dialer
		transport := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if dials.Add(1) == 1 {
				return nil, &net.OpError{Op: "dial", Net: network, Err: errors.New("connection refused")}
			}
			return d.DialContext(ctx, network, addr)
		}}
		t.Cleanup(transport.CloseIdleConnections)
		src := newSource(t, base, imsauth.WithHTTPClient(&http.Client{Transport: transport}))
		rec := recordSleeps(src)

		tok, err := src.Token(t.Context())
		if err != nil || tok.AccessToken != "fake-token-1" {
			t.Fatalf("Token() = %q, %v, want fake-token-1, nil", tok.AccessToken, err)
		}
		if got, want := requests.Load(), int32(1); got != want {
			t.Errorf("IMS requests = %d, want %d", got, want)
		}
		checkWaits(t, rec.Waits(), []span{jittered(100 * time.Millisecond)})
	})
	t.Run("IMS gone", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.NotFoundHandler())
		base := srv.URL
		srv.Close() // nothing listens any more
		src := newSource(t, base)
		rec := recordSleeps(src)

		_, err := src.Token(t.Context())
		if err == nil {
			t.Fatal("Token() error = nil, want an error")
		}
		checkTokenError(t, err, 0, nil, &gaveUp{Attempts: flowservice.DefaultMaxAttempts})
		var opErr *net.OpError
		if !errors.As(err, &opErr) {
			t.Errorf("Token() error = %v, want it to wrap the *net.OpError", err)
		}
		checkWaits(t, rec.Waits(), []span{jittered(100 * time.Millisecond), jittered(200 * time.Millisecond), jittered(400 * time.Millisecond)})
	})
}

// TestToken_callerOutOfTime: the shared request is about to wait longer than
// a caller's deadline allows; that caller gets a *RetryError at once, while
// the request carries on, mints and caches the token.
func TestToken_callerOutOfTime(t *testing.T) {
	t.Parallel()
	var requests atomic.Int32
	base := startIMS(t, serveScript(t, []reply{errorReply(503, "", "5"), tokenReply()}, &requests))
	src := newSource(t, base)
	waits := make(chan time.Duration, 1)
	release := make(chan struct{})
	imsauth.SetSleep(src, func(ctx context.Context, d time.Duration) error {
		waits <- d
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})

	// The 5 s wait ends after this deadline minus the 300 ms margin.
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Second)
	defer cancel()
	_, err := src.Token(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Token() error = %v, want a *RetryError before the deadline", err)
	}
	checkTokenError(t, err, 503, nil, &gaveUp{Attempts: 1, OutOfTime: true})

	if got, want := <-waits, 5*time.Second; got != want {
		t.Errorf("shared request wait = %v, want %v", got, want)
	}
	close(release)
	tok, err := src.Token(t.Context()) // joins the shared request or finds its token cached
	if err != nil || tok.AccessToken != "fake-token-2" {
		t.Fatalf("Token() after the wait = %q, %v, want fake-token-2, nil", tok.AccessToken, err)
	}
	if got, want := requests.Load(), int32(2); got != want {
		t.Errorf("IMS requests = %d, want %d", got, want)
	}
}

// TestToken_concurrentRetries: concurrent callers share one request and its
// retries.
func TestToken_concurrentRetries(t *testing.T) {
	t.Parallel()
	var requests atomic.Int32
	base := startIMS(t, serveScript(t, []reply{errorReply(503, "", ""), errorReply(502, "", ""), tokenReply()}, &requests))
	src := newSource(t, base)

	const callers = 16
	tokens := make([]string, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			tok, err := src.Token(t.Context())
			tokens[i], errs[i] = tok.AccessToken, err
		})
	}
	wg.Wait()
	for i := range callers {
		if errs[i] != nil || tokens[i] != "fake-token-3" {
			t.Errorf("caller %d: Token() = %q, %v, want fake-token-3, nil", i, tokens[i], errs[i])
		}
	}
	if got, want := requests.Load(), int32(3); got != want {
		t.Errorf("IMS requests = %d, want %d", got, want)
	}
}

func TestRetryError(t *testing.T) {
	t.Parallel()
	last := &imsauth.Error{StatusCode: 503}
	tests := []struct {
		name string
		err  *imsauth.RetryError
		want string
	}{
		{name: "attempts", err: &imsauth.RetryError{Attempts: 4, Err: last}, want: "imsauth: IMS token request failed (HTTP 503) (gave up after 4 attempts)"},
		{name: "out of time", err: &imsauth.RetryError{Attempts: 1, OutOfTime: true, Err: last}, want: "imsauth: IMS token request failed (HTTP 503) (gave up after 1 attempt(s), no time left for another)"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("%s: Error() = %q, want %q", tt.name, got, tt.want)
		}
		if !errors.Is(tt.err, last) {
			t.Errorf("%s: errors.Is(RetryError, last) = false, want true", tt.name)
		}
	}
}
