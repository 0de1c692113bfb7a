// Package metricstest provides an in-memory metrics recorder for tests.
package metricstest

import (
	"sync"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/metrics"
)

// Recorder keeps every recorded invocation.
type Recorder struct {
	mu  sync.Mutex
	got []metrics.Invocation
}

// Record keeps inv.
func (r *Recorder) Record(inv metrics.Invocation) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, inv)
	return nil
}

// Invocations returns what was recorded, durations zeroed.
func (r *Recorder) Invocations() []metrics.Invocation {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]metrics.Invocation, len(r.got))
	for i, inv := range r.got {
		inv.Duration = 0
		out[i] = inv
	}
	return out
}
