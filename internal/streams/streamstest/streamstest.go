// Package streamstest provides a fixed stream lister for tests.
package streamstest

import (
	"context"
	"sync"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/secrets"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/streams"
)

// Static lists the same streams for every account, or fails with Err.
type Static struct {
	Streams []streams.Stream
	Err     error

	mu    sync.Mutex
	calls int
}

// List returns Streams.
func (s *Static) List(context.Context, secrets.KinesisKeys, string) ([]streams.Stream, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	return s.Streams, s.Err
}

// Calls returns how many listings were asked for.
func (s *Static) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}
