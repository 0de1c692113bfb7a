// Package imsauth mints and caches Adobe IMS access tokens with the OAuth
// Server-to-Server (client credentials) grant, for use as a
// flowservice.TokenSource.
//
// A Source is built once (outside the Lambda handler) and shared:
//
//	src, err := imsauth.New(
//		imsauth.WithCredentials(loadAdobeCredentials), // reads Secrets Manager
//	)
//	fs, err := flowservice.NewClient(flowservice.WithTokenSource(src))
//
// # Token lifecycle
//
// Token returns the cached token while more than the refresh margin (default
// five minutes) of its life is left; if the whole life is shorter than twice
// the margin, half the life is used as the margin. expires_in is read as
// seconds (the /ims/token/v3 contract); a lifetime above 24 hours is capped at
// 24 hours, which only makes refreshes earlier and guards against the
// milliseconds the retired JWT exchange used to return. The credentials
// function is called only when a token must be minted, never on the cached
// path. Invalidate drops the cached token after Flow Service rejected it
// with a 401.
//
// # Concurrency and cancellation
//
// Concurrent callers that find no usable token share one IMS request, with
// its retries (a small hand-written "flight"; golang.org/x/sync/singleflight
// was used before, but callers now also need to see the waits the shared
// request plans, which singleflight cannot show them). That request runs on
// a context detached from the caller that happened to start it
// (context.WithoutCancel, so values such as trace IDs are kept) and bounded
// by its own 30-second timeout, plus the HTTP client's timeout. Each caller
// waits for the shared result or for its own context, whichever comes
// first: a caller whose context ends gets its context error at once, while
// the request carries on for everyone else and its token is cached. One
// impatient caller therefore never fails the others, and a cancelled
// invocation never wastes a token that is half-way minted.
//
// # Retries
//
// The token request is safe to repeat (minting twice is harmless), so a 429,
// a 5xx and a transport error (a refused connection, a reset, a timeout) are
// retried with the same policy as Flow Service requests: WithRetry takes a
// flowservice.RetryPolicy (default flowservice.DefaultRetryPolicy: 4
// attempts, capped exponential backoff with jitter from
// github.com/cenkalti/backoff/v5). A Retry-After header, in seconds or as an
// HTTP date, replaces the backoff wait of that retry. Refusals are final and
// never retried: invalid_client, invalid_scope and every other 4xx, and a
// 2xx without a usable token (ErrMalformedResponse). A TLS certificate that
// does not verify is final too.
//
// The time budget has two sides. The shared request has its own: no wait
// may end later than MaxElapsed (20 s) after its first attempt, nor later
// than its 30-second timeout minus MinAttemptBudget; a wait that would is
// not started and the request fails with a *RetryError (OutOfTime). Each
// caller has the other: before every wait the shared request announces when
// the wait ends, and a caller whose deadline minus MinAttemptBudget comes
// earlier gets a *RetryError (OutOfTime, wrapping the last failure) at once,
// instead of sleeping to its deadline; the shared request carries on and
// caches the token for the next invocation. A *RetryError also reports that
// MaxAttempts ran out; it unwraps to the last failure, so errors.As and
// errors.Is still find an *Error, and its Temporary method reports true.
//
// # Why the exchange is written by hand
//
// golang.org/x/oauth2/clientcredentials was considered and not used:
//   - the credentials are loaded lazily from Secrets Manager, so a Config (and
//     its TokenSource cache) would have to be rebuilt on every mint anyway,
//     leaving only the HTTP exchange to reuse;
//   - its RetrieveError.Error prints the raw response body for non-OAuth error
//     bodies, while our error strings must stay bounded and free of secrets;
//   - it computes expiry with time.Now, so the refresh policy could not be
//     tested with WithClock, and it takes the HTTP client from a context value;
//   - its caveats (Scopes joined with spaces, AuthStyle detection, a context
//     kept inside a long-lived TokenSource) all need working around.
//
// The exchange itself is one form POST, so owning it is cheaper than the
// workarounds. Parameters go in the form-encoded body, never in the query
// string, as Adobe recommends; scope is one comma-separated string.
//
// # Errors
//
// A non-2xx answer from IMS is an *Error carrying the OAuth error code
// (CodeInvalidClient, CodeInvalidScope, ...). errors.Is(err,
// ErrInvalidClient) and errors.Is(err, ErrInvalidScope) tell "IMS refused the
// client credentials" from "IMS refused the scopes"; both are final.
// (*Error).Temporary reports 429 and 5xx, which were already retried as far
// as the policy and the time budget allowed; (*Error).RetryAfter is the
// Retry-After IMS sent. A 2xx answer without a usable token wraps
// ErrMalformedResponse.
//
// # What this package must never do
//
// It never logs, never stores a caller's context, never retries a refusal
// (invalid_client, invalid_scope, other 4xx), never starts a wait past the
// time budget, and never puts the client secret or an access token into an
// error string, String/GoString output or a slog value.
package imsauth
