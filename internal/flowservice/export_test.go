package flowservice

import (
	"context"
	"net/http"
	"time"
)

// This file exposes unexported internals to the external test package
// flowservice_test, which can then use flowservicetest without an import
// cycle.

// SetClock replaces the clock used to turn Retry-After dates into durations.
func SetClock(c *Client, now func() time.Time) { c.now = now }

// NewRequest calls the unexported request funnel.
func NewRequest(ctx context.Context, c *Client, method, path, sandbox string, body any) (*http.Request, error) {
	return c.newRequest(ctx, method, path, sandbox, body)
}

// Do calls the unexported do.
func Do(c *Client, req *http.Request, v any) (*http.Response, error) { return c.do(req, v) }

// CheckResponse calls the unexported checkResponse.
func CheckResponse(c *Client, r *http.Response) error { return c.checkResponse(r) }

// SetSleep replaces the wait between attempts, so that tests record the
// waits the retry loop asks for instead of sleeping.
func SetSleep(c *Client, sleep func(ctx context.Context, d time.Duration) error) { c.sleep = sleep }
