// Package secretstest provides hand-written secret readers for tests of the
// packages that read credentials.
package secretstest

import (
	"context"
	"sync"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/secrets"
)

// Static serves fixed Kinesis keys per secret id and counts reads. A secret
// id it does not know is a *secrets.Error with NotFound set, as the real
// store reports it.
type Static struct {
	Keys map[string]secrets.KinesisKeys

	mu    sync.Mutex
	reads map[string]int
}

// KinesisKeys returns the keys stored under secretID.
func (s *Static) KinesisKeys(_ context.Context, secretID string) (secrets.KinesisKeys, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reads == nil {
		s.reads = map[string]int{}
	}
	s.reads[secretID]++
	k, ok := s.Keys[secretID]
	if !ok {
		return secrets.KinesisKeys{}, &secrets.Error{SecretID: secretID, Reason: "does not exist (or has no AWSCURRENT version)", NotFound: true}
	}
	return k, nil
}

// Reads returns how many times secretID was read.
func (s *Static) Reads(secretID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads[secretID]
}
