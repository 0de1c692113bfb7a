// Package flowservice is a small REST client for the Adobe Experience
// Platform Flow Service API, written in the style of google/go-github. It
// covers what the provisioner needs: base connections (create, list, find,
// get, test, update, delete), connection specs (get) and source connections
// (create, list, find, get, delete).
//
// Adobe API docs: https://developer.adobe.com/experience-platform-apis/references/flow-service/
//
// # Construction
//
// A Client is built with NewClient and validated functional options.
// WithTokenSource is required; everything else has a default:
//
//	c, err := flowservice.NewClient(
//		flowservice.WithTokenSource(ims), // e.g. an *imsauth.Source
//		flowservice.WithUserAgent("aep-kinesis-provisioner/1.0"),
//	)
//
// The sandbox is an argument of every call, because one deployment serves
// several sandboxes. Every request carries Authorization, x-api-key,
// x-gw-ims-org-id and x-sandbox-name, all taken from the TokenSource and the
// call.
//
// # Authentication and 401s
//
// The Client asks its TokenSource for a Token on every request and never
// caches tokens itself. If the TokenSource also implements Invalidator, a 401
// from Flow Service makes the Client call Invalidate with the rejected access
// token, fetch a fresh token and send the request once more (exactly once;
// the body is replayed). A 401 is answered by the gateway before the request
// is processed, so the replay is safe for POST as well.
//
// # Retries
//
// Every request goes through one funnel, which retries what is safe to
// retry, following a RetryPolicy (WithRetry; DefaultRetryPolicy: 4 attempts,
// waits of about 100 ms, 200 ms, 400 ms with ±50 % jitter and never above
// 2 s, at most 20 s of retrying):
//
//   - GET, HEAD, PUT and DELETE are retried after a 429, a 5xx or a
//     transport error (a refused connection, a reset, a timeout). A context
//     that has ended and a TLS certificate that does not verify are final.
//   - POST and PATCH are retried only when the request certainly had no
//     effect: after a 429, or after a transport error before the request was
//     sent. "Not sent" means the error is a dial error (*net.OpError with Op
//     "dial", which covers DNS failures and refused connections), or the
//     transport asked for a connection and never got one (httptrace GetConn
//     seen, GotConn not). A RoundTripper that reports neither hook counts as
//     having sent the request.
//   - A POST or PATCH that fails after it was sent (a 5xx, a timeout, a
//     reset, a cancelled context, a 2xx with a malformed body) is never sent
//     again: it is returned at once and Ambiguous reports true for it. For a
//     create, look the resource up by name before creating again.
//   - Other 4xx answers (400, 401, 403, 404, 409, 412, ...) are not retried;
//     a 401 keeps its one replay with a fresh token (see above), once per
//     call, inside the attempt it belongs to.
//   - A 2xx whose body cannot be decoded (*DecodeError) is not retried.
//
// A Retry-After header, in seconds or as an HTTP date, replaces the backoff
// wait of that retry. It is honoured as given rather than capped at
// MaxInterval, since a shorter wait would only earn another 429; the time
// budget bounds it instead.
//
// The time budget: no wait may end later than the context's deadline minus
// MinAttemptBudget (300 ms, what a further attempt needs to be worth
// making), nor later than MaxElapsed after the first attempt started. When
// the next wait would, the Client does not sleep at all: it returns the last
// failure at once, wrapped in a *RetryError with OutOfTime set. A
// *RetryError also reports that MaxAttempts ran out. It unwraps to the last
// failure, so errors.As(err, &fsErr) with fsErr an *Error still works, and
// its Temporary method reports true. A context cancelled during a wait ends
// the call with an error that wraps both the context's error and the last
// failure.
//
// Request bodies are buffered (newRequest builds them on a *bytes.Reader),
// so each attempt re-sends the whole body through Request.GetBody. Retries
// reuse the request's token (after a 401 replay, the fresh one).
//
// The schedule is github.com/cenkalti/backoff/v5's ExponentialBackOff; its
// Retry loop is not used, as the library's README suggests when it does not
// fit: its timer cannot be replaced in tests (ours records the waits
// instead of sleeping), it neither knows the context's deadline nor a
// safety margin, it returns the context's error rather than the last
// failure, and it restarts the schedule after a Retry-After. The wait is
// also clamped to MaxInterval after jitter: the library caps only the
// interval before jitter.
//
// # Errors
//
// A non-2xx answer becomes an *Error, whatever shape the body had (gateway
// {"error_code","message"}, Flow Service problem details, the older
// {"errorMessage"}, the content-type {"type","status","title","detail"}, or
// no JSON at all). Use errors.As:
//
//	var fsErr *flowservice.Error
//	if errors.As(err, &fsErr) && fsErr.Temporary() {
//		// 429 or 5xx, which the Client already retried as far as its
//		// policy and the time budget allowed: fail retryably
//	}
//	if flowservice.Ambiguous(err) {
//		// a create or update may have taken effect: look before re-sending
//	}
//
// (*Error).NotFound reports a 404, and errors.Is(err, ErrNotFound) does the
// same. A 2xx answer whose body cannot be decoded, or lacks what the call
// needs (e.g. no id after a create), becomes a *DecodeError: Adobe answered,
// but with garbage. DecodeError.Temporary reports true because the outcome is
// ambiguous; for a create, the resource may exist, so look it up by name
// before creating again.
//
// Transport failures (DNS, timeouts, a cancelled context) are returned
// wrapped, so errors.Is(err, context.DeadlineExceeded) works.
//
// # What this package must never do
//
// It never logs (it returns errors), never re-sends a POST or PATCH that may
// have reached Flow Service, never starts a wait that would end past the time
// budget, never stores a context, and never puts headers, access tokens,
// request bodies or secrets (such as KinesisAuthParams.SecretKey) into error
// strings or String output.
package flowservice
