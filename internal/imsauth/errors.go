package imsauth

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// OAuth 2 error codes IMS returns in the "error" field (RFC 6749 section 5.2).
const (
	// CodeInvalidClient: IMS refused the client credentials (unknown client
	// ID, wrong or rotated client secret).
	CodeInvalidClient = "invalid_client"
	// CodeInvalidScope: IMS refused the requested scopes; compare them with
	// the credential page in Adobe Developer Console.
	CodeInvalidScope = "invalid_scope"
	// CodeUnauthorizedClient: the client may not use this grant type.
	CodeUnauthorizedClient = "unauthorized_client"
	// CodeInvalidRequest: a parameter is missing or malformed.
	CodeInvalidRequest = "invalid_request"
	// CodeInvalidGrant: the grant is invalid or expired.
	CodeInvalidGrant = "invalid_grant"
	// CodeUnsupportedGrantType: IMS does not support the grant type.
	CodeUnsupportedGrantType = "unsupported_grant_type"
)

var (
	// ErrInvalidClient matches, through errors.Is, an *Error whose Code is
	// CodeInvalidClient or CodeUnauthorizedClient: IMS refused the client
	// credentials.
	ErrInvalidClient = errors.New("imsauth: IMS refused the client credentials")
	// ErrInvalidScope matches, through errors.Is, an *Error whose Code is
	// CodeInvalidScope: IMS refused the requested scopes.
	ErrInvalidScope = errors.New("imsauth: IMS refused the requested scopes")
	// ErrMalformedResponse is wrapped when IMS answers 2xx without a usable
	// token (not JSON, no access_token, no positive expires_in). The Source
	// does not retry it itself; a later call may well succeed.
	ErrMalformedResponse = errors.New("imsauth: malformed token response")
)

// Error is a non-2xx answer from the IMS token endpoint. Code and
// Description are the OAuth "error" and "error_description" fields (empty
// when the body was not OAuth JSON). Description never contains the client
// secret.
type Error struct {
	StatusCode  int
	Code        string
	Description string
	// RetryAfter is the Retry-After header, in its seconds or HTTP-date form;
	// zero when absent, unparseable or in the past, and capped at 24 hours.
	RetryAfter time.Duration
}

// maxDescriptionInError bounds how much of IMS's description Error() repeats.
const maxDescriptionInError = 256

// Error says what IMS refused, with the HTTP status, code and description.
func (e *Error) Error() string {
	what := "IMS token request failed"
	switch {
	case errors.Is(e, ErrInvalidClient):
		what = "IMS refused the client credentials"
	case errors.Is(e, ErrInvalidScope):
		what = "IMS refused the requested scopes"
	}
	s := fmt.Sprintf("imsauth: %s (HTTP %d", what, e.StatusCode)
	if e.Code != "" {
		s += ", " + e.Code
	}
	s += ")"
	if e.Description != "" {
		d := e.Description
		if len(d) > maxDescriptionInError {
			d = strings.ToValidUTF8(d[:maxDescriptionInError], "") + "..."
		}
		s += ": " + d
	}
	return s
}

// Temporary reports whether retrying may help: true for 429 and any 5xx.
func (e *Error) Temporary() bool {
	return e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500
}

// Is makes errors.Is(err, ErrInvalidClient) and errors.Is(err,
// ErrInvalidScope) match on Code.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrInvalidClient:
		return e.Code == CodeInvalidClient || e.Code == CodeUnauthorizedClient
	case ErrInvalidScope:
		return e.Code == CodeInvalidScope
	}
	return false
}
