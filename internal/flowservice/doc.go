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
// # Errors
//
// A non-2xx answer becomes an *Error, whatever shape the body had (gateway
// {"error_code","message"}, Flow Service problem details, the older
// {"errorMessage"}, the content-type {"type","status","title","detail"}, or
// no JSON at all). Use errors.As:
//
//	var fsErr *flowservice.Error
//	if errors.As(err, &fsErr) && fsErr.Temporary() {
//		// 429 or 5xx: retry with backoff, honouring fsErr.RetryAfter
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
// It never logs (it returns errors), never retries on its own beyond the
// single 401 replay, never stores a context, and never puts headers, access
// tokens, request bodies or secrets (such as KinesisAuthParams.SecretKey) into
// error strings or String output.
package flowservice
