package imsauth

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/flowservice"
)

// maxRetryAfter caps a Retry-After header.
const maxRetryAfter = 24 * time.Hour

// RetryError is returned when retrying the token request stopped while its
// last failure was retryable (429, 5xx or a transport error): either
// MaxAttempts was reached, or the next wait would have ended past the time
// budget (OutOfTime). Err is that last failure, so errors.As still finds an
// *Error through it. It is not returned when retries are disabled
// (MaxAttempts 1), nor when a context ends.
//
// A caller sharing a request with others gets its own RetryError, with
// OutOfTime true, as soon as the shared request announces a wait that would
// end later than the caller's deadline minus MinAttemptBudget; the shared
// request carries on for the others.
type RetryError struct {
	// Attempts is how many token requests were sent.
	Attempts int
	// OutOfTime is true when no time was left for the wait before another
	// attempt; false when MaxAttempts was reached.
	OutOfTime bool
	// Err is the failure of the last attempt.
	Err error
}

// Error gives the last failure, then why retrying stopped.
func (e *RetryError) Error() string {
	if e.OutOfTime {
		return fmt.Sprintf("%v (gave up after %d attempt(s), no time left for another)", e.Err, e.Attempts)
	}
	return fmt.Sprintf("%v (gave up after %d attempts)", e.Err, e.Attempts)
}

// Unwrap returns the last failure.
func (e *RetryError) Unwrap() error { return e.Err }

// Temporary reports true: the last failure was retryable, so a later
// invocation may succeed.
func (e *RetryError) Temporary() bool { return true }

// transportError marks a failure to reach IMS or to read its answer.
type transportError struct{ err error }

func (e *transportError) Error() string { return e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }

// retryable reports whether another attempt may succeed, and the Retry-After
// IMS asked for (zero when none).
func retryable(err error) (bool, time.Duration) {
	var imsErr *Error
	if errors.As(err, &imsErr) {
		return imsErr.Temporary(), imsErr.RetryAfter
	}
	var tErr *transportError
	if errors.As(err, &tErr) {
		// A certificate that does not verify will not verify next time.
		var cv *tls.CertificateVerificationError
		return !errors.As(err, &cv), 0
	}
	return false, 0
}

// exchangeRetrying runs exchange, retrying 429, 5xx and transport errors as
// s.retry allows: the token request is safe to repeat (minting twice is
// harmless). Each wait is published on f before it starts, so that waiters
// whose own budget it exceeds can give up at once.
func (s *Source) exchangeRetrying(ctx context.Context, creds Credentials, f *flight) (grant, error) {
	deadline := waitDeadline(ctx, s.retry, time.Now())
	var bo *backoff.ExponentialBackOff
	for attempt := 1; ; attempt++ {
		start := s.now()
		access, lifetime, err := s.exchange(ctx, creds)
		if err == nil {
			return grant{access: access, lifetime: lifetime, start: start}, nil
		}
		retry, retryAfter := retryable(err)
		if !retry || ctx.Err() != nil {
			return grant{}, err
		}
		if attempt >= s.retry.MaxAttempts {
			if s.retry.MaxAttempts == 1 {
				return grant{}, err
			}
			return grant{}, &RetryError{Attempts: attempt, Err: err}
		}
		if bo == nil {
			bo = newBackOff(s.retry)
		}
		// The schedule advances with every retry, even one Retry-After decides.
		wait := min(bo.NextBackOff(), s.retry.MaxInterval)
		if retryAfter > 0 {
			wait = retryAfter
		}
		until := time.Now().Add(wait)
		if !deadline.IsZero() && until.After(deadline) {
			return grant{}, &RetryError{Attempts: attempt, OutOfTime: true, Err: err}
		}
		f.setPause(&pause{until: until, attempts: attempt, err: err})
		serr := s.sleep(ctx, wait)
		f.setPause(nil)
		if serr != nil {
			return grant{}, fmt.Errorf("imsauth: waiting to retry: %w (last error: %w)", serr, err)
		}
	}
}

// newBackOff returns the exponential schedule of p; the package comment says
// why only the schedule, not backoff.Retry, is used.
func newBackOff(p flowservice.RetryPolicy) *backoff.ExponentialBackOff {
	m := p.Multiplier
	if m == 0 {
		m = 1
	}
	b := &backoff.ExponentialBackOff{
		InitialInterval:     p.InitialInterval,
		RandomizationFactor: p.RandomizationFactor,
		Multiplier:          m,
		MaxInterval:         p.MaxInterval,
	}
	b.Reset()
	return b
}

// waitDeadline returns the latest time a wait may end: the context's
// deadline minus MinAttemptBudget, or start plus MaxElapsed, whichever is
// earlier; zero when neither applies.
func waitDeadline(ctx context.Context, p flowservice.RetryPolicy, start time.Time) time.Time {
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

// parseRetryAfter reads a Retry-After value in seconds or as an HTTP date;
// zero when absent, unparseable or in the past, capped at 24 hours.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, int64(maxRetryAfter/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return min(d, maxRetryAfter)
		}
	}
	return 0
}
