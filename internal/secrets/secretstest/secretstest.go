// Package secretstest provides hand-written secret readers for tests of the
// packages that read credentials.
package secretstest

import (
	"context"
	"sync"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/secrets"
)

// Static serves fixed Kinesis keys per secret id and, like the real store,
// caches them: Reads counts the reads that reached "Secrets Manager" (the
// first, and the first after a Forget). A secret id it does not know is a
// *secrets.Error with NotFound set, as the real store reports it.
type Static struct {
	Keys map[string]secrets.KinesisKeys

	mu      sync.Mutex
	reads   map[string]int
	forgets map[string]int
	rotated map[string]secrets.KinesisKeys
	cached  map[string]bool
}

// KinesisKeys returns the keys stored under secretID.
func (s *Static) KinesisKeys(_ context.Context, secretID string) (secrets.KinesisKeys, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reads == nil {
		s.reads = map[string]int{}
	}
	if !s.cached[secretID] {
		s.reads[secretID]++
	}
	k, ok := s.Keys[secretID]
	if ok {
		if s.cached == nil {
			s.cached = map[string]bool{}
		}
		s.cached[secretID] = true
	}
	if !ok {
		return secrets.KinesisKeys{}, &secrets.Error{SecretID: secretID, Reason: "does not exist (or has no AWSCURRENT version)", NotFound: true}
	}
	return k, nil
}

// Forget makes a rotation (see Rotate) visible, as dropping the real
// store's cache would. It counts the calls.
func (s *Static) Forget(secretID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.forgets == nil {
		s.forgets = map[string]int{}
	}
	s.forgets[secretID]++
	delete(s.cached, secretID)
	if k, ok := s.rotated[secretID]; ok {
		s.Keys[secretID] = k
		delete(s.rotated, secretID)
	}
}

// Rotate changes secretID's keys in "Secrets Manager": reads keep returning
// the cached old keys until Forget is called.
func (s *Static) Rotate(secretID string, k secrets.KinesisKeys) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rotated == nil {
		s.rotated = map[string]secrets.KinesisKeys{}
	}
	s.rotated[secretID] = k
}

// Set replaces the keys of secretID (a rotation).
func (s *Static) Set(secretID string, k secrets.KinesisKeys) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Keys == nil {
		s.Keys = map[string]secrets.KinesisKeys{}
	}
	s.Keys[secretID] = k
}

// Forgets returns how many times secretID's cache was dropped.
func (s *Static) Forgets(secretID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.forgets[secretID]
}

// Reads returns how many times secretID was read.
func (s *Static) Reads(secretID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads[secretID]
}
