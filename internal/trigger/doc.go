// Package trigger is the function's Lambda boundary. It takes the raw
// invocation payload, works out what sent it (API Gateway REST or HTTP API,
// an EventBridge event, or a direct invocation), translates it into a
// provision.Request, and translates the outcome back: an HTTP response for
// API callers, a result or a typed error for Lambda.
//
// Its rules: invalid API input is a 4xx JSON error; an event the function
// does not handle is a logged skip that succeeds, so Lambda does not retry
// it; a failure where retrying helps is returned as an error so Lambda
// retries it. It never panics and never sends a stack trace, an internal
// address or a secret to a caller. It logs one summary line per invocation.
package trigger
