// Package eventbustest provides a hand-written in-memory publisher for tests
// of the packages that publish events.
package eventbustest

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/eventbus"
)

// Recorder keeps every event it is asked to publish. Failures scripted with
// FailNext are returned, in order, before anything is recorded.
type Recorder struct {
	mu     sync.Mutex
	events []Published
	fail   []error
}

// Published is one recorded event with its detail as JSON.
type Published struct {
	DetailType string
	Detail     json.RawMessage
	Resources  []string
}

// Publish records the events, or returns the next scripted failure.
func (r *Recorder) Publish(_ context.Context, events ...eventbus.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.fail) > 0 {
		err := r.fail[0]
		r.fail = r.fail[1:]
		return err
	}
	for _, e := range events {
		detail, err := json.Marshal(e.Detail)
		if err != nil {
			return err
		}
		r.events = append(r.events, Published{DetailType: e.DetailType, Detail: detail, Resources: e.Resources})
	}
	return nil
}

// FailNext makes the next Publish calls fail with errs, one each.
func (r *Recorder) FailNext(errs ...error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = append(r.fail, errs...)
}

// Events returns what was published so far.
func (r *Recorder) Events() []Published {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Published(nil), r.events...)
}
