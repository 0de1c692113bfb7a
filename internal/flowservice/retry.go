package flowservice

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// Defaults of DefaultRetryPolicy.
const (
	DefaultMaxAttempts         = 4
	DefaultInitialInterval     = 100 * time.Millisecond
	DefaultMultiplier          = 2.0
	DefaultMaxInterval         = 2 * time.Second
	DefaultRandomizationFactor = 0.5
	DefaultMaxElapsed          = 20 * time.Second
	DefaultMinAttemptBudget    = 300 * time.Millisecond
)

// RetryPolicy says how often and how long a failed request is retried. The
// waits follow a capped exponential backoff with jitter; a Retry-After
// header replaces the backoff wait of that retry. Start from
// DefaultRetryPolicy and change what you need: every field is used as given.
//
// Package imsauth takes the same policy for the IMS token request.
type RetryPolicy struct {
	// MaxAttempts is the most times a request is sent, the first time
	// included (a 401 replay is part of its attempt). 1 disables retries.
	MaxAttempts int
	// InitialInterval is the backoff wait before the first retry, before
	// jitter.
	InitialInterval time.Duration
	// Multiplier grows the interval after each retry. It must be at least 1;
	// zero is read as 1 (a constant interval).
	Multiplier float64
	// MaxInterval caps every backoff wait, jitter included. It does not cap
	// a Retry-After wait, which only the time budget bounds.
	MaxInterval time.Duration
	// RandomizationFactor spreads each wait uniformly over
	// interval × [1 - RandomizationFactor, 1 + RandomizationFactor]. It must
	// lie between 0 (no jitter) and 1.
	RandomizationFactor float64
	// MaxElapsed bounds the retrying: no wait may end later than MaxElapsed
	// after the first attempt started. It is the budget when the context has
	// no deadline, and also applies when the deadline is later. Zero sets no
	// bound of its own.
	MaxElapsed time.Duration
	// MinAttemptBudget is the time a further attempt needs to be worth
	// making: when the context has a deadline, no wait may end later than
	// the deadline minus MinAttemptBudget.
	MinAttemptBudget time.Duration
}

// DefaultRetryPolicy returns the policy a Client (and an imsauth.Source)
// uses unless told otherwise: 4 attempts, waits of about 100 ms, 200 ms and
// 400 ms (±50 %, never above 2 s), at most 20 s of retrying, and no wait
// that would end within 300 ms of the context's deadline.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{
		MaxAttempts:         DefaultMaxAttempts,
		InitialInterval:     DefaultInitialInterval,
		Multiplier:          DefaultMultiplier,
		MaxInterval:         DefaultMaxInterval,
		RandomizationFactor: DefaultRandomizationFactor,
		MaxElapsed:          DefaultMaxElapsed,
		MinAttemptBudget:    DefaultMinAttemptBudget,
	}
}

// Validate reports the first invalid field: a MaxAttempts below 1, a
// negative duration, a Multiplier below 1 (other than zero), or a
// RandomizationFactor outside [0, 1].
func (p RetryPolicy) Validate() error {
	switch {
	case p.MaxAttempts < 1:
		return fmt.Errorf("retry policy: MaxAttempts %d is below 1", p.MaxAttempts)
	case p.InitialInterval < 0, p.MaxInterval < 0, p.MaxElapsed < 0, p.MinAttemptBudget < 0:
		return errors.New("retry policy: durations must not be negative")
	case p.Multiplier != 0 && !(p.Multiplier >= 1 && p.Multiplier <= math.MaxFloat64):
		return fmt.Errorf("retry policy: Multiplier %v is not a finite number of at least 1", p.Multiplier)
	case !(p.RandomizationFactor >= 0 && p.RandomizationFactor <= 1):
		return fmt.Errorf("retry policy: RandomizationFactor %v is outside [0, 1]", p.RandomizationFactor)
	}
	return nil
}

// WithRetry sets the retry policy (default DefaultRetryPolicy). An invalid
// policy is an error; a MaxAttempts of 1 disables retries.
func WithRetry(p RetryPolicy) Option {
	return func(o *clientOptions) error {
		if err := p.Validate(); err != nil {
			return fmt.Errorf("flowservice: %w", err)
		}
		o.retry = p
		return nil
	}
}

// RetryError is returned when the Client stopped retrying a request whose
// last failure was retryable: either MaxAttempts was reached, or the next
// wait would have ended past the time budget (OutOfTime). Err is that last
// failure, an *Error (429 or 5xx) or a transport error, so errors.As still
// finds an *Error through a RetryError. It is not returned when retries are
// disabled (MaxAttempts 1), nor when the context ends.
type RetryError struct {
	// Attempts is how many attempts were made (a 401 replay belongs to the
	// attempt it repeats).
	Attempts int
	// OutOfTime is true when no time was left for the wait before another
	// attempt (see RetryPolicy.MaxElapsed and MinAttemptBudget); false when
	// MaxAttempts was reached.
	OutOfTime bool
	// Err is the failure of the last attempt.
	Err error
}

// Error says why retrying stopped, then the last failure.
func (e *RetryError) Error() string {
	if e.OutOfTime {
		return fmt.Sprintf("gave up after %d attempt(s), no time left for another: %v", e.Attempts, e.Err)
	}
	return fmt.Sprintf("gave up after %d attempts: %v", e.Attempts, e.Err)
}

// Unwrap returns the last failure.
func (e *RetryError) Unwrap() error { return e.Err }

// Temporary reports true: the last failure was retryable, so a later
// invocation may succeed.
func (e *RetryError) Temporary() bool { return true }

// ambiguousError marks a POST or PATCH that failed after it may have reached
// Flow Service; see Ambiguous.
type ambiguousError struct{ err error }

func (e *ambiguousError) Error() string {
	return e.err.Error() + " (the request may have taken effect)"
}

func (e *ambiguousError) Unwrap() error { return e.err }

// Ambiguous reports whether err comes from a POST or PATCH (a create or an
// update) that failed after it may have taken effect: it was sent and then
// met a 5xx answer, a timeout, a reset or another transport error, a
// cancelled context, or a 2xx answer with a malformed body (*DecodeError).
// The Client never re-sends such a request; before creating again, look the
// resource up (e.g. FindConnections by name).
//
// It is false for refusals Flow Service answered (4xx, 429 included, which
// the Client retries), for failures before the request was sent (a dial
// error), and for GET, PUT and DELETE requests, which are safe to repeat.
func Ambiguous(err error) bool {
	var a *ambiguousError
	return errors.As(err, &a)
}

// idempotent reports whether repeating a request with method cannot do more
// than sending it once (RFC 9110 section 9.2.2).
func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// markAmbiguous wraps err for Ambiguous when method is not idempotent.
func markAmbiguous(method string, err error) error {
	if err == nil || idempotent(method) {
		return err
	}
	return &ambiguousError{err: err}
}

// retryable reports whether a failed attempt of a method request may be
// retried, and the Retry-After to honour (zero when none). err is an *Error
// or a transport error; unsent is send's verdict for the latter.
func retryable(ctx context.Context, method string, err error, unsent bool) (retryAfter time.Duration, ok bool) {
	var fsErr *Error
	if errors.As(err, &fsErr) {
		switch {
		case fsErr.StatusCode == http.StatusTooManyRequests:
			return fsErr.RetryAfter, true // refused unprocessed, whatever the method
		case fsErr.StatusCode >= 500 && idempotent(method):
			return fsErr.RetryAfter, true
		}
		return 0, false
	}
	if ctx.Err() != nil || permanentTransportError(err) {
		return 0, false
	}
	return 0, unsent || idempotent(method)
}

// finalError marks err for Ambiguous when the failed request may have taken
// effect: a 5xx answer, or a transport error after the request may have
// been sent. Only POST and PATCH are marked.
func finalError(method string, err error, unsent bool) error {
	var fsErr *Error
	if errors.As(err, &fsErr) {
		if fsErr.StatusCode >= 500 {
			return markAmbiguous(method, err)
		}
		return err
	}
	if unsent {
		return err
	}
	return markAmbiguous(method, err)
}

// send makes one HTTP exchange. unsent reports that the request certainly
// did not reach the server: the error is a dial error (*net.OpError with Op
// "dial", which also covers DNS failures and refused connections), or the
// transport asked for a connection (httptrace GetConn) and never got one
// (GotConn). When the transport reports neither hook, as a custom
// RoundTripper may not, a failure counts as possibly sent.
func (c *Client) send(req *http.Request) (resp *http.Response, unsent bool, err error) {
	var asked, got atomic.Bool
	trace := &httptrace.ClientTrace{
		GetConn: func(string) { asked.Store(true) },
		GotConn: func(httptrace.GotConnInfo) { got.Store(true) },
	}
	resp, err = c.client.Do(req.WithContext(httptrace.WithClientTrace(req.Context(), trace)))
	if err != nil {
		var op *net.OpError
		unsent = (errors.As(err, &op) && op.Op == "dial") || (asked.Load() && !got.Load())
	}
	return resp, unsent, err
}

// permanentTransportError reports a transport failure that repeating cannot
// cure: the server's TLS certificate does not verify.
func permanentTransportError(err error) bool {
	var cv *tls.CertificateVerificationError
	return errors.As(err, &cv)
}

// retrier holds the state of one request's retries.
type retrier struct {
	policy   RetryPolicy
	deadline time.Time // the latest a wait may end; zero for none
	backoff  *backoff.ExponentialBackOff
}

// newRetrier starts the retries of a request whose first attempt started at
// start.
func newRetrier(ctx context.Context, p RetryPolicy, start time.Time) *retrier {
	return &retrier{policy: p, deadline: waitDeadline(ctx, p, start)}
}

// waitDeadline returns the latest time a wait may end: the context's
// deadline minus MinAttemptBudget, or start plus MaxElapsed, whichever is
// earlier; zero when neither applies.
func waitDeadline(ctx context.Context, p RetryPolicy, start time.Time) time.Time {
	var end time.Time
	if p.MaxElapsed > 0 {
		end = start.Add(p.MaxElapsed)
	}
	if d, ok := ctx.Deadline(); ok {
		if d = d.Add(-p.MinAttemptBudget); end.IsZero() || d.Before(end) {
			end = d
		}
	}
	return end
}

// next returns how long to wait before the attempt after attempt, given the
// failure's Retry-After (zero when absent). ok is false, with outOfTime
// telling why, when no further attempt may be made.
func (r *retrier) next(attempt int, retryAfter time.Duration) (wait time.Duration, outOfTime, ok bool) {
	if attempt >= r.policy.MaxAttempts {
		return 0, false, false
	}
	if r.backoff == nil {
		m := r.policy.Multiplier
		if m == 0 {
			m = 1
		}
		r.backoff = &backoff.ExponentialBackOff{
			InitialInterval:     r.policy.InitialInterval,
			RandomizationFactor: r.policy.RandomizationFactor,
			Multiplier:          m,
			MaxInterval:         r.policy.MaxInterval,
		}
		r.backoff.Reset()
	}
	// The schedule advances with every retry, even one Retry-After decides.
	wait = min(r.backoff.NextBackOff(), r.policy.MaxInterval)
	if retryAfter > 0 {
		wait = retryAfter
	}
	if !r.deadline.IsZero() && time.Now().Add(wait).After(r.deadline) {
		return 0, true, false
	}
	return wait, false, true
}

// giveUp wraps the last retryable failure in a *RetryError, except when
// retries are disabled.
func (r *retrier) giveUp(attempts int, outOfTime bool, err error) error {
	if r.policy.MaxAttempts == 1 {
		return err
	}
	return &RetryError{Attempts: attempts, OutOfTime: outOfTime, Err: err}
}

// sleepContext waits for d or until ctx ends, whichever comes first.
func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return context.Cause(ctx)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}

// rewind returns a copy of req that can be sent again, with a fresh body.
func rewind(req *http.Request) (*http.Request, error) {
	again := req.Clone(req.Context())
	if req.Body != nil && req.Body != http.NoBody {
		if req.GetBody == nil {
			return nil, errors.New("cannot replay the request body")
		}
		body, err := req.GetBody()
		if err != nil {
			return nil, fmt.Errorf("replay the request body: %w", err)
		}
		again.Body = body
	}
	return again, nil
}
