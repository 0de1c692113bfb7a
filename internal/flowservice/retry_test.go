package flowservice_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
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
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/flowservice/flowservicetest"
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

// recordSleeps makes c record its waits instead of sleeping.
func recordSleeps(c *flowservice.Client) *sleepRecorder {
	rec := &sleepRecorder{}
	flowservice.SetSleep(c, rec.sleep)
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

// reply is one scripted answer of the fake Flow Service.
type reply struct {
	status int
	header map[string]string
	body   string
	reset  bool // read the request, then reset the connection without answering
}

const (
	itemsBody   = `{"items":[{"id":"c1","name":"n"}]}`
	createdBody = `{"id":"c1","etag":"\"e1\""}`
)

// serveScript answers the n-th request with replies[n], repeating the last
// reply, and counts the requests.
func serveScript(t *testing.T, replies []reply, calls *atomic.Int32) http.HandlerFunc {
	t.Helper()
	return func(w http.ResponseWriter, r *http.Request) {
		n := int(calls.Add(1)) - 1
		rep := replies[min(n, len(replies)-1)]
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
		fmt.Fprint(w, rep.body)
	}
}

// calls maps a method to the client call that uses it and its path.
var calls = map[string]struct {
	path string
	call func(ctx context.Context, c *flowservice.Client) error
}{
	http.MethodGet: {"/connections/c1", func(ctx context.Context, c *flowservice.Client) error {
		_, err := c.GetConnection(ctx, testSandbox, "c1")
		return err
	}},
	http.MethodPost: {"/connections", func(ctx context.Context, c *flowservice.Client) error {
		_, err := c.CreateConnection(ctx, testSandbox, kinesisConnectionRequest())
		return err
	}},
	http.MethodPatch: {"/connections/c1", func(ctx context.Context, c *flowservice.Client) error {
		_, err := c.UpdateConnection(ctx, testSandbox, "c1", `"e0"`, []flowservice.PatchOperation{{Op: flowservice.PatchOpReplace, Path: "/name", Value: "m"}})
		return err
	}},
	http.MethodDelete: {"/connections/c1", func(ctx context.Context, c *flowservice.Client) error {
		return c.DeleteConnection(ctx, testSandbox, "c1")
	}},
}

// gaveUp is what a *flowservice.RetryError must say.
type gaveUp struct {
	Attempts  int
	OutOfTime bool
}

func TestRetries(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	ok := reply{status: http.StatusOK, body: itemsBody}
	created := reply{status: http.StatusCreated, body: createdBody}
	status := func(code int, retryAfter string) reply {
		r := reply{status: code, body: `{"error_code":"x","message":"m"}`}
		if retryAfter != "" {
			r.header = map[string]string{"Retry-After": retryAfter}
		}
		return r
	}
	noRetries := flowservice.DefaultRetryPolicy()
	noRetries.MaxAttempts = 1
	shortElapsed := flowservice.DefaultRetryPolicy()
	shortElapsed.MaxElapsed = time.Second

	tests := []struct {
		name    string
		method  string
		replies []reply
		policy  *flowservice.RetryPolicy // nil: the default
		timeout time.Duration            // a context deadline; zero for none

		wantRequests  int32
		wantWaits     []span
		wantStatus    int // of the *flowservice.Error; 0 when the call succeeds or fails otherwise
		wantTransport bool
		wantDecode    bool
		wantAmbiguous bool
		wantGaveUp    *gaveUp // nil: the error is not a *RetryError
	}{
		{
			name:         "429 with Retry-After seconds then 200",
			method:       http.MethodGet,
			replies:      []reply{status(429, "3"), ok},
			wantRequests: 2,
			wantWaits:    []span{exactly(3 * time.Second)},
		},
		{
			name:         "429 with Retry-After HTTP date then 200",
			method:       http.MethodGet,
			replies:      []reply{status(429, now.Add(7*time.Second).Format(http.TimeFormat)), ok},
			wantRequests: 2,
			wantWaits:    []span{exactly(7 * time.Second)},
		},
		{
			name:         "Retry-After above MaxInterval is honoured",
			method:       http.MethodGet,
			replies:      []reply{status(503, "5"), ok},
			wantRequests: 2,
			wantWaits:    []span{exactly(5 * time.Second)},
		},
		{
			name:         "503 twice then 200",
			method:       http.MethodGet,
			replies:      []reply{status(503, ""), status(503, ""), ok},
			wantRequests: 3,
			wantWaits:    []span{jittered(100 * time.Millisecond), jittered(200 * time.Millisecond)},
		},
		{
			name:         "500 on GET until MaxAttempts",
			method:       http.MethodGet,
			replies:      []reply{status(500, "")},
			wantRequests: 4,
			wantWaits:    []span{jittered(100 * time.Millisecond), jittered(200 * time.Millisecond), jittered(400 * time.Millisecond)},
			wantStatus:   500,
			wantGaveUp:   &gaveUp{Attempts: 4},
		},
		{
			name:         "reset on GET is retried",
			method:       http.MethodGet,
			replies:      []reply{{reset: true}, ok},
			wantRequests: 2,
			wantWaits:    []span{jittered(100 * time.Millisecond)},
		},
		{
			name:         "503 on DELETE then 204",
			method:       http.MethodDelete,
			replies:      []reply{status(503, ""), {status: http.StatusNoContent}},
			wantRequests: 2,
			wantWaits:    []span{jittered(100 * time.Millisecond)},
		},
		{name: "400 not retried", method: http.MethodGet, replies: []reply{status(400, ""), ok}, wantRequests: 1, wantStatus: 400},
		{name: "400 with Retry-After not retried", method: http.MethodGet, replies: []reply{status(400, "1"), ok}, wantRequests: 1, wantStatus: 400},
		{name: "403 not retried", method: http.MethodGet, replies: []reply{status(403, ""), ok}, wantRequests: 1, wantStatus: 403},
		{name: "404 not retried", method: http.MethodGet, replies: []reply{status(404, ""), ok}, wantRequests: 1, wantStatus: 404},
		{name: "409 not retried", method: http.MethodPost, replies: []reply{status(409, ""), created}, wantRequests: 1, wantStatus: 409},
		{name: "412 not retried", method: http.MethodPatch, replies: []reply{status(412, ""), created}, wantRequests: 1, wantStatus: 412},
		{
			name:          "POST create with 500 is ambiguous and not retried",
			method:        http.MethodPost,
			replies:       []reply{status(500, ""), created},
			wantRequests:  1,
			wantStatus:    500,
			wantAmbiguous: true,
		},
		{
			name:          "POST create with 503 and Retry-After is not retried",
			method:        http.MethodPost,
			replies:       []reply{status(503, "1"), created},
			wantRequests:  1,
			wantStatus:    503,
			wantAmbiguous: true,
		},
		{
			name:          "PATCH with 502 is ambiguous and not retried",
			method:        http.MethodPatch,
			replies:       []reply{status(502, ""), created},
			wantRequests:  1,
			wantStatus:    502,
			wantAmbiguous: true,
		},
		{
			name:         "POST create with 429 is retried",
			method:       http.MethodPost,
			replies:      []reply{status(429, "1"), created},
			wantRequests: 2,
			wantWaits:    []span{exactly(time.Second)},
		},
		{
			name:         "POST create with 429 until MaxAttempts is not ambiguous",
			method:       http.MethodPost,
			replies:      []reply{status(429, "")},
			wantRequests: 4,
			wantWaits:    []span{jittered(100 * time.Millisecond), jittered(200 * time.Millisecond), jittered(400 * time.Millisecond)},
			wantStatus:   429,
			wantGaveUp:   &gaveUp{Attempts: 4},
		},
		{
			name:          "POST create reset after the request was written",
			method:        http.MethodPost,
			replies:       []reply{{reset: true}, created},
			wantRequests:  1,
			wantTransport: true,
			wantAmbiguous: true,
		},
		{
			name:          "POST create with a malformed 201",
			method:        http.MethodPost,
			replies:       []reply{{status: http.StatusCreated, body: `<html>gateway</html>`}, created},
			wantRequests:  1,
			wantDecode:    true,
			wantAmbiguous: true,
		},
		{
			name:          "POST create with a 201 lacking the id",
			method:        http.MethodPost,
			replies:       []reply{{status: http.StatusCreated, body: `{"etag":"\"e\""}`}, created},
			wantRequests:  1,
			wantDecode:    true,
			wantAmbiguous: true,
		},
		{
			name:         "a malformed 200 on GET is not retried nor ambiguous",
			method:       http.MethodGet,
			replies:      []reply{{status: http.StatusOK, body: `<html>`}, ok},
			wantRequests: 1,
			wantDecode:   true,
		},
		{
			name:         "Retry-After beyond the deadline: no wait",
			method:       http.MethodGet,
			replies:      []reply{status(503, "5"), ok},
			timeout:      time.Second,
			wantRequests: 1,
			wantStatus:   503,
			wantGaveUp:   &gaveUp{Attempts: 1, OutOfTime: true},
		},
		{
			name:         "Retry-After beyond the deadline on a POST 429: no wait",
			method:       http.MethodPost,
			replies:      []reply{status(429, "5"), created},
			timeout:      time.Second,
			wantRequests: 1,
			wantStatus:   429,
			wantGaveUp:   &gaveUp{Attempts: 1, OutOfTime: true},
		},
		{
			name:         "backoff within the deadline minus the margin: no wait",
			method:       http.MethodGet,
			replies:      []reply{status(503, ""), ok},
			timeout:      flowservice.DefaultMinAttemptBudget, // the margin leaves nothing
			wantRequests: 1,
			wantStatus:   503,
			wantGaveUp:   &gaveUp{Attempts: 1, OutOfTime: true},
		},
		{
			name:         "Retry-After within the deadline is honoured",
			method:       http.MethodGet,
			replies:      []reply{status(503, "2"), ok},
			timeout:      time.Hour,
			wantRequests: 2,
			wantWaits:    []span{exactly(2 * time.Second)},
		},
		{
			name:         "Retry-After beyond MaxElapsed without a deadline: no wait",
			method:       http.MethodGet,
			replies:      []reply{status(429, "120"), ok},
			wantRequests: 1,
			wantStatus:   429,
			wantGaveUp:   &gaveUp{Attempts: 1, OutOfTime: true},
		},
		{
			name:         "Retry-After beyond a custom MaxElapsed: no wait",
			method:       http.MethodGet,
			replies:      []reply{status(503, "2"), ok},
			policy:       &shortElapsed,
			wantRequests: 1,
			wantStatus:   503,
			wantGaveUp:   &gaveUp{Attempts: 1, OutOfTime: true},
		},
		{
			name:         "MaxAttempts 1 disables retries",
			method:       http.MethodGet,
			replies:      []reply{status(503, ""), ok},
			policy:       &noRetries,
			wantRequests: 1,
			wantStatus:   503,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var opts []flowservice.Option
			if tt.policy != nil {
				opts = append(opts, flowservice.WithRetry(*tt.policy))
			}
			c, mux, _ := setup(t, opts...)
			flowservice.SetClock(c, func() time.Time { return now })
			rec := recordSleeps(c)
			var requests atomic.Int32
			mux.HandleFunc(tt.method+" "+calls[tt.method].path, serveScript(t, tt.replies, &requests))

			ctx := t.Context()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			err := calls[tt.method].call(ctx, c)

			if got := requests.Load(); got != tt.wantRequests {
				t.Errorf("requests = %d, want %d", got, tt.wantRequests)
			}
			checkWaits(t, rec.Waits(), tt.wantWaits)
			checkRetryOutcome(t, err, tt.wantStatus, tt.wantTransport, tt.wantDecode, tt.wantAmbiguous, tt.wantGaveUp)
		})
	}
}

// checkRetryOutcome checks the error of a call: its *Error status, or that it
// is a transport error or a *DecodeError; Ambiguous; and the *RetryError.
func checkRetryOutcome(t *testing.T, err error, wantStatus int, wantTransport, wantDecode, wantAmbiguous bool, wantGaveUp *gaveUp) {
	t.Helper()
	wantErr := wantStatus != 0 || wantTransport || wantDecode
	if (err != nil) != wantErr {
		t.Fatalf("call error = %v, want error %v", err, wantErr)
	}
	if err == nil {
		return
	}
	var fsErr *flowservice.Error
	isFSErr := errors.As(err, &fsErr)
	switch {
	case wantStatus != 0:
		if !isFSErr || fsErr.StatusCode != wantStatus {
			t.Errorf("call error = %v, want a *flowservice.Error with status %d", err, wantStatus)
		} else if fsErr.Temporary() != (wantStatus == 429 || wantStatus >= 500) {
			t.Errorf("Temporary() = %v for status %d", fsErr.Temporary(), wantStatus)
		}
	case wantDecode:
		var decErr *flowservice.DecodeError
		if !errors.As(err, &decErr) || isFSErr {
			t.Errorf("call error = %v (%T), want a *flowservice.DecodeError", err, err)
		}
	case wantTransport:
		var decErr *flowservice.DecodeError
		if isFSErr || errors.As(err, &decErr) {
			t.Errorf("call error = %v (%T), want a transport error", err, err)
		}
	}
	if got := flowservice.Ambiguous(err); got != wantAmbiguous {
		t.Errorf("Ambiguous(%v) = %v, want %v", err, got, wantAmbiguous)
	}
	if wantAmbiguous && !strings.Contains(err.Error(), "may have taken effect") {
		t.Errorf("call error = %q, want it to say the request may have taken effect", err)
	}
	var retryErr *flowservice.RetryError
	if isRetryErr := errors.As(err, &retryErr); isRetryErr != (wantGaveUp != nil) {
		t.Fatalf("call error = %v, want a *flowservice.RetryError: %v", err, wantGaveUp != nil)
	}
	if wantGaveUp != nil {
		if diff := cmp.Diff(*wantGaveUp, gaveUp{Attempts: retryErr.Attempts, OutOfTime: retryErr.OutOfTime}); diff != "" {
			t.Errorf("RetryError mismatch (-want +got):\n%s", diff)
		}
		if !retryErr.Temporary() {
			t.Error("RetryError.Temporary() = false, want true")
		}
	}
}

// TestRetries_backoffGrowsAndIsCapped records the waits of a GET that keeps
// failing: they double from 100 ms and stop growing at MaxInterval.
func TestRetries_backoffGrowsAndIsCapped(t *testing.T) {
	t.Parallel()
	intervals := []time.Duration{100, 200, 400, 800, 1600, 2000, 2000}
	for i := range intervals {
		intervals[i] *= time.Millisecond
	}
	tests := []struct {
		name          string
		randomization float64
		want          func(interval time.Duration) span
	}{
		{name: "no jitter", randomization: 0, want: exactly},
		{name: "default jitter", randomization: flowservice.DefaultRandomizationFactor, want: jittered},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := flowservice.DefaultRetryPolicy()
			p.MaxAttempts = len(intervals) + 1
			p.RandomizationFactor = tt.randomization
			c, mux, _ := setup(t, flowservice.WithRetry(p))
			rec := recordSleeps(c)
			var requests atomic.Int32
			mux.HandleFunc("/connections/c1", serveScript(t, []reply{{status: http.StatusServiceUnavailable}}, &requests))

			_, err := c.GetConnection(t.Context(), testSandbox, "c1")
			var retryErr *flowservice.RetryError
			if !errors.As(err, &retryErr) || retryErr.Attempts != p.MaxAttempts {
				t.Fatalf("GetConnection() error = %v, want a *RetryError after %d attempts", err, p.MaxAttempts)
			}
			want := make([]span, len(intervals))
			for i, iv := range intervals {
				want[i] = tt.want(iv)
			}
			waits := rec.Waits()
			checkWaits(t, waits, want)
			for i, w := range waits {
				if w > p.MaxInterval {
					t.Errorf("wait %d = %v, want at most MaxInterval %v", i, w, p.MaxInterval)
				}
			}
			if got, want := requests.Load(), int32(p.MaxAttempts); got != want {
				t.Errorf("requests = %d, want %d", got, want)
			}
		})
	}
}

// TestRetries_dialError: a POST that never reached the server (connection
// refused) is safe to send again.
func TestRetries_dialError(t *testing.T) {
	t.Parallel()
	t.Run("first dial refused, then created", func(t *testing.T) {
		t.Parallel()
		var requests atomic.Int32
		srv := httptest.NewServer(serveScript(t, []reply{{status: http.StatusCreated, body: createdBody}}, &requests))
		t.Cleanup(srv.Close)
		var dials atomic.Int32
		var d net.Dialer
		transport := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if dials.Add(1) == 1 {
				return nil, &net.OpError{Op: "dial", Net: network, Err: errors.New("connection refused")}
			}
			return d.DialContext(ctx, network, addr)
		}}
		t.Cleanup(transport.CloseIdleConnections)
		c := newTestClient(t, srv.URL, &http.Client{Transport: transport})
		rec := recordSleeps(c)

		got, err := c.CreateConnection(t.Context(), testSandbox, kinesisConnectionRequest())
		if err != nil {
			t.Fatalf("CreateConnection() error = %v", err)
		}
		if diff := cmp.Diff(&flowservice.Created{ID: "c1", ETag: `"e1"`}, got); diff != "" {
			t.Errorf("CreateConnection() mismatch (-want +got):\n%s", diff)
		}
		if got, want := requests.Load(), int32(1); got != want {
			t.Errorf("requests = %d, want %d", got, want)
		}
		checkWaits(t, rec.Waits(), []span{jittered(100 * time.Millisecond)})
	})
	t.Run("server gone", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.NotFoundHandler())
		base := srv.URL
		srv.Close() // nothing listens any more
		c := newTestClient(t, base, nil)
		rec := recordSleeps(c)

		_, err := c.CreateConnection(t.Context(), testSandbox, kinesisConnectionRequest())
		var retryErr *flowservice.RetryError
		if !errors.As(err, &retryErr) || retryErr.Attempts != flowservice.DefaultMaxAttempts || retryErr.OutOfTime {
			t.Fatalf("CreateConnection() error = %v, want a *RetryError after %d attempts", err, flowservice.DefaultMaxAttempts)
		}
		var opErr *net.OpError
		if !errors.As(err, &opErr) || opErr.Op != "dial" {
			t.Errorf("CreateConnection() error = %v, want it to wrap the dial *net.OpError", err)
		}
		if flowservice.Ambiguous(err) {
			t.Errorf("Ambiguous(%v) = true, want false: nothing was sent", err)
		}
		checkWaits(t, rec.Waits(), []span{jittered(100 * time.Millisecond), jittered(200 * time.Millisecond), jittered(400 * time.Millisecond)})
	})
}

// newTestClient builds a client for base with the fake token source; hc may
// be nil.
func newTestClient(t *testing.T, base string, hc *http.Client) *flowservice.Client {
	t.Helper()
	opts := []flowservice.Option{flowservice.WithBaseURL(base), flowservice.WithTokenSource(flowservicetest.NewTokenSource(testToken))}
	if hc != nil {
		opts = append(opts, flowservice.WithHTTPClient(hc))
	}
	c, err := flowservice.NewClient(opts...)
	if err != nil {
		t.Fatalf("NewClient() error = %v", err)
	}
	return c
}

// TestRetries_401ThenServerError: the 401 re-auth happens exactly once, and
// later retries carry the fresh token.
func TestRetries_401ThenServerError(t *testing.T) {
	t.Parallel()
	c, mux, tokens := setup(t)
	rec := recordSleeps(c)
	var requests atomic.Int32
	var auths []string
	var mu sync.Mutex
	script := serveScript(t, []reply{
		{status: http.StatusUnauthorized, body: `{"error_code":"401013","message":"Oauth token is not valid"}`},
		{status: http.StatusServiceUnavailable},
		{status: http.StatusUnauthorized},
		{status: http.StatusOK, body: itemsBody},
	}, &requests)
	mux.HandleFunc("/connections/c1", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auths = append(auths, r.Header.Get("Authorization"))
		mu.Unlock()
		script(w, r)
	})

	_, err := c.GetConnection(t.Context(), testSandbox, "c1")
	var fsErr *flowservice.Error
	if !errors.As(err, &fsErr) || fsErr.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GetConnection() error = %v, want the second 401: only one re-auth per call", err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{"Bearer fake-access-token", "Bearer fake-access-token-2", "Bearer fake-access-token-2"}
	if diff := cmp.Diff(want, auths); diff != "" {
		t.Errorf("Authorization headers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"fake-access-token"}, tokens.Invalidations()); diff != "" {
		t.Errorf("Invalidations() mismatch (-want +got):\n%s", diff)
	}
	checkWaits(t, rec.Waits(), []span{jittered(100 * time.Millisecond)})
}

// TestRetries_bodyResent: every attempt of a POST sends the whole body.
func TestRetries_bodyResent(t *testing.T) {
	t.Parallel()
	c, mux, _ := setup(t)
	var requests atomic.Int32
	mux.HandleFunc("/connections", func(w http.ResponseWriter, r *http.Request) {
		testJSONBody(t, r, `{"name":"n","auth":{"specName":"s","params":{"accessKeyId":"","secretKey":"","region":""}},"connectionSpec":{"id":"","version":""}}`)
		if requests.Add(1) < 3 {
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, createdBody)
	})
	if _, err := c.CreateConnection(t.Context(), testSandbox, &flowservice.ConnectionRequest{Name: "n", Auth: flowservice.Auth{SpecName: "s"}}); err != nil {
		t.Fatalf("CreateConnection() error = %v", err)
	}
	if got, want := requests.Load(), int32(3); got != want {
		t.Errorf("requests = %d, want %d", got, want)
	}
}

// TestRetries_cancelledWhileWaiting: a context that ends during the wait ends
// the call with the context's error, still wrapping the last *Error.
func TestRetries_cancelledWhileWaiting(t *testing.T) {
	t.Parallel()
	c, mux, _ := setup(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	flowservice.SetSleep(c, func(ctx context.Context, _ time.Duration) error {
		cancel()
		return ctx.Err()
	})
	var requests atomic.Int32
	mux.HandleFunc("/connections/c1", serveScript(t, []reply{{status: http.StatusServiceUnavailable}}, &requests))

	_, err := c.GetConnection(ctx, testSandbox, "c1")
	var fsErr *flowservice.Error
	if !errors.Is(err, context.Canceled) || !errors.As(err, &fsErr) || fsErr.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("GetConnection() error = %v, want it to wrap context.Canceled and the 503", err)
	}
	if got, want := requests.Load(), int32(1); got != want {
		t.Errorf("requests = %d, want %d", got, want)
	}
}

func TestWithRetry(t *testing.T) {
	t.Parallel()
	valid := flowservice.DefaultRetryPolicy()
	with := func(f func(p *flowservice.RetryPolicy)) flowservice.RetryPolicy {
		p := valid
		f(&p)
		return p
	}
	tests := []struct {
		name    string
		policy  flowservice.RetryPolicy
		wantErr bool
	}{
		{name: "default", policy: valid},
		{name: "retries disabled", policy: flowservice.RetryPolicy{MaxAttempts: 1}},
		{name: "zero multiplier means constant", policy: with(func(p *flowservice.RetryPolicy) { p.Multiplier = 0 })},
		{name: "no jitter", policy: with(func(p *flowservice.RetryPolicy) { p.RandomizationFactor = 0 })},
		{name: "zero MaxAttempts", policy: with(func(p *flowservice.RetryPolicy) { p.MaxAttempts = 0 }), wantErr: true},
		{name: "negative MaxAttempts", policy: with(func(p *flowservice.RetryPolicy) { p.MaxAttempts = -1 }), wantErr: true},
		{name: "negative initial interval", policy: with(func(p *flowservice.RetryPolicy) { p.InitialInterval = -time.Millisecond }), wantErr: true},
		{name: "negative max interval", policy: with(func(p *flowservice.RetryPolicy) { p.MaxInterval = -time.Second }), wantErr: true},
		{name: "negative MaxElapsed", policy: with(func(p *flowservice.RetryPolicy) { p.MaxElapsed = -time.Second }), wantErr: true},
		{name: "negative MinAttemptBudget", policy: with(func(p *flowservice.RetryPolicy) { p.MinAttemptBudget = -time.Second }), wantErr: true},
		{name: "shrinking multiplier", policy: with(func(p *flowservice.RetryPolicy) { p.Multiplier = 0.5 }), wantErr: true},
		{name: "NaN multiplier", policy: with(func(p *flowservice.RetryPolicy) { p.Multiplier = math.NaN() }), wantErr: true},
		{name: "infinite multiplier", policy: with(func(p *flowservice.RetryPolicy) { p.Multiplier = math.Inf(1) }), wantErr: true},
		{name: "negative randomization", policy: with(func(p *flowservice.RetryPolicy) { p.RandomizationFactor = -0.1 }), wantErr: true},
		{name: "randomization above 1", policy: with(func(p *flowservice.RetryPolicy) { p.RandomizationFactor = 1.5 }), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := flowservice.NewClient(flowservice.WithTokenSource(flowservicetest.NewTokenSource(testToken)), flowservice.WithRetry(tt.policy))
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Errorf("NewClient(WithRetry(%+v)) error = %v, want error %v", tt.policy, err, tt.wantErr)
			}
			if gotErr := tt.policy.Validate() != nil; gotErr != tt.wantErr {
				t.Errorf("Validate(%+v) error = %v, want error %v", tt.policy, tt.policy.Validate(), tt.wantErr)
			}
		})
	}
}

func TestDefaultRetryPolicy(t *testing.T) {
	t.Parallel()
	want := flowservice.RetryPolicy{
		MaxAttempts:         4,
		InitialInterval:     100 * time.Millisecond,
		Multiplier:          2,
		MaxInterval:         2 * time.Second,
		RandomizationFactor: 0.5,
		MaxElapsed:          20 * time.Second,
		MinAttemptBudget:    300 * time.Millisecond,
	}
	if diff := cmp.Diff(want, flowservice.DefaultRetryPolicy()); diff != "" {
		t.Errorf("DefaultRetryPolicy() mismatch (-want +got):\n%s", diff)
	}
}

func TestRetryError(t *testing.T) {
	t.Parallel()
	last := &flowservice.Error{StatusCode: 503}
	tests := []struct {
		name string
		err  *flowservice.RetryError
		want string
	}{
		{name: "attempts", err: &flowservice.RetryError{Attempts: 4, Err: last}, want: "gave up after 4 attempts: flow service returned 503 Service Unavailable"},
		{name: "out of time", err: &flowservice.RetryError{Attempts: 1, OutOfTime: true, Err: last}, want: "gave up after 1 attempt(s), no time left for another: flow service returned 503 Service Unavailable"},
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

func TestAmbiguous_plainErrors(t *testing.T) {
	t.Parallel()
	for _, err := range []error{nil, errors.New("x"), &flowservice.Error{StatusCode: 500}, &flowservice.DecodeError{StatusCode: 201, Err: io.EOF}} {
		if flowservice.Ambiguous(err) {
			t.Errorf("Ambiguous(%v) = true, want false", err)
		}
	}
}
