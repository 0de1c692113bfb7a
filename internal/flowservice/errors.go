package flowservice

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrNotFound matches, through errors.Is, any *Error whose NotFound method
// reports true.
var ErrNotFound = errors.New("flowservice: resource not found")

// Error is a non-2xx answer from Flow Service or the Adobe API gateway in
// front of it. Read it with errors.As.
//
// Code is Adobe's error code exactly as given: a six-digit gateway code such as
// "401013", or a Flow Service code such as "FLOW-1415-400" (taken from the last
// path segment of the problem "type") or "1415-400". It is empty when the body
// carried none.
type Error struct {
	// StatusCode is the HTTP status. GetConnection, GetConnectionSpec and
	// GetSourceConnection also return an Error with StatusCode 404 (and an
	// empty Code) when Adobe answers 200 with an empty "items" array.
	StatusCode int
	// Code is Adobe's error code, see the type comment.
	Code string
	// Title is the short problem title, e.g. "Resource not found".
	Title string
	// Message is the most specific explanation in the body:
	// report["detailed-message"], else "errorMessage", else "message", else
	// "detail", else a generic text for bodies that are not JSON.
	Message string
	// RequestID is the x-request-id header, else report["request-id"]. Quote it
	// when asking Adobe support.
	RequestID string
	// RetryAfter is the Retry-After header, in its seconds or HTTP-date form;
	// zero when absent, unparseable or in the past, and capped at 24 hours.
	RetryAfter time.Duration
}

// maxMessageInError bounds how much of Adobe's message Error() repeats;
// maxFieldInError bounds the code, the title and the request ID, which come
// from the body or a header too.
const (
	maxMessageInError = 512
	maxFieldInError   = 128
)

// Error returns the status, code, title, message and request ID. It never
// includes headers, tokens or request bodies.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "flow service returned %d", e.StatusCode)
	if t := http.StatusText(e.StatusCode); t != "" {
		b.WriteString(" " + t)
	}
	if e.Code != "" {
		b.WriteString(" (" + truncate(e.Code, maxFieldInError) + ")")
	}
	if e.Title != "" && e.Title != http.StatusText(e.StatusCode) {
		b.WriteString(": " + truncate(e.Title, maxFieldInError))
	}
	if e.Message != "" {
		b.WriteString(": " + truncate(e.Message, maxMessageInError))
	}
	if e.RequestID != "" {
		b.WriteString(" [request id " + truncate(e.RequestID, maxFieldInError) + "]")
	}
	return b.String()
}

// Temporary reports whether retrying may help: true for 429 and any 5xx.
func (e *Error) Temporary() bool {
	return e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500
}

// NotFound reports whether the resource does not exist: an HTTP 404, or a 200
// with empty "items" from a Get method.
func (e *Error) NotFound() bool { return e.StatusCode == http.StatusNotFound }

// SandboxNotFound reports that the request's sandbox (x-sandbox-name) does
// not exist for the organisation: a 404 with Flow code 2100 or 2101
// ("FLOW-2101-404"). Retrying cannot help; the request names a wrong sandbox.
func (e *Error) SandboxNotFound() bool {
	if e.StatusCode != http.StatusNotFound {
		return false
	}
	for part := range strings.SplitSeq(e.Code, "-") {
		if part == "2100" || part == "2101" {
			return true
		}
	}
	return false
}

// PreconditionFailed reports a 412: the If-Match etag is stale (Flow code
// 1404-412). Re-read the resource and retry with its new etag.
func (e *Error) PreconditionFailed() bool { return e.StatusCode == http.StatusPreconditionFailed }

// Is makes errors.Is(err, ErrNotFound) true for a not-found Error.
func (e *Error) Is(target error) bool {
	return target == ErrNotFound && e.NotFound()
}

// DecodeError reports a 2xx answer that could not be used: the body is not
// the JSON we expect, is empty, or lacks a field the call needs (such as the
// id of a created resource). Adobe answered, but with garbage, so the outcome
// is ambiguous.
type DecodeError struct {
	StatusCode int
	RequestID  string
	Err        error
}

// Error describes the status and what was wrong with the body.
func (e *DecodeError) Error() string {
	s := fmt.Sprintf("flow service returned %d with a malformed body: %v", e.StatusCode, e.Err)
	if e.RequestID != "" {
		s += " [request id " + e.RequestID + "]"
	}
	return s
}

// Unwrap returns the underlying decoding error.
func (e *DecodeError) Unwrap() error { return e.Err }

// Temporary reports true: a malformed success is treated as retryable. For a
// create, the resource may nevertheless exist; look it up before creating
// again.
func (e *DecodeError) Temporary() bool { return true }

// flowCode matches Flow Service codes such as "FLOW-1439-404" or "1415-400".
var flowCode = regexp.MustCompile(`^(?:[A-Z]+-)?\d+-\d{3}$`)

// errorBody holds every field of the four Adobe error shapes we know.
type errorBody struct {
	// Gateway: {"error_code":"401013","message":"Oauth token is not valid"}.
	ErrorCode looseString `json:"error_code"`
	Message   looseString `json:"message"`
	// Flow Service problem details, and the content-type shape.
	Type   looseString `json:"type"`
	Title  looseString `json:"title"`
	Detail looseString `json:"detail"`
	Report struct {
		DetailedMessage looseString `json:"detailed-message"`
		RequestID       looseString `json:"request-id"`
	} `json:"report"`
	ErrorMessage looseString `json:"errorMessage"`
	ErrorDetails looseString `json:"errorDetails"`
}

// looseString decodes a JSON string as itself, null as "", and any other value
// (number, object, array) as its compact JSON text, so that one odd field
// never hides the rest of an error body.
type looseString string

// UnmarshalJSON implements json.Unmarshaler.
func (s *looseString) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		*s = looseString(str)
		return nil
	}
	if string(b) == "null" {
		*s = ""
		return nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return err
	}
	*s = looseString(buf.String())
	return nil
}

// checkResponse returns nil for a 2xx answer and an *Error otherwise. The
// error body is read through a 1 MiB limit and put back on r.Body.
func (c *Client) checkResponse(r *http.Response) error {
	if r.StatusCode >= 200 && r.StatusCode <= 299 {
		return nil
	}
	e := &Error{
		StatusCode: r.StatusCode,
		RequestID:  r.Header.Get("x-request-id"),
		RetryAfter: parseRetryAfter(r.Header.Get("Retry-After"), c.now()),
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, maxErrorBodySize))
	if err == nil && data != nil {
		r.Body = io.NopCloser(bytes.NewReader(data))
	}

	var body errorBody
	switch {
	case err != nil:
		e.Message = "error body could not be read"
	case len(bytes.TrimSpace(data)) == 0:
		e.Message = "empty error body"
	case json.Unmarshal(data, &body) != nil:
		e.Message = "error body is not JSON"
	default:
		fillFromBody(e, &body)
	}
	return e
}

// fillFromBody copies the fields of whichever shape the body has into e.
func fillFromBody(e *Error, b *errorBody) {
	e.Code = string(b.ErrorCode)
	if e.Code == "" && b.Type != "" {
		seg := string(b.Type)
		if i := strings.LastIndex(seg, "/"); i >= 0 {
			seg = seg[i+1:]
		}
		if flowCode.MatchString(seg) {
			e.Code = seg
		}
	}
	e.Title = string(b.Title)
	e.Message = firstNonEmpty(string(b.Report.DetailedMessage), string(b.ErrorMessage), string(b.Message), string(b.Detail), string(b.ErrorDetails))
	if e.RequestID == "" {
		e.RequestID = string(b.Report.RequestID)
	}
	if e.Message == "" && e.Title == "" {
		e.Message = "error body has no message"
	}
}

// parseRetryAfter reads a Retry-After value in seconds or as an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(24*time.Hour/time.Second) {
			secs = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return min(d, 24*time.Hour)
		}
	}
	return 0
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}

// truncate shortens s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}
