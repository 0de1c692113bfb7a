package imsauth

import (
	"context"
	"time"
)

// This file exposes unexported internals to the external test package.

// SetSleep replaces the wait between attempts, so that tests record the
// waits the retry loop asks for instead of sleeping. Call it before the
// first Token call.
func SetSleep(s *Source, sleep func(ctx context.Context, d time.Duration) error) { s.sleep = sleep }
