package flowservicetest

import (
	"context"
	"fmt"
	"sync"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/flowservice"
)

// TokenSource is a fake flowservice.TokenSource that also implements
// flowservice.Invalidator. It starts with the token it was built with; each
// Invalidate of the current access token replaces it with a new one whose
// AccessToken gets a "-2", "-3", ... suffix. It is safe for concurrent use.
type TokenSource struct {
	mu            sync.Mutex
	base          flowservice.Token
	current       flowservice.Token
	generation    int
	calls         int
	invalidations []string
	err           error
}

// NewTokenSource returns a TokenSource that hands out tok.
func NewTokenSource(tok flowservice.Token) *TokenSource {
	return &TokenSource{base: tok, current: tok, generation: 1}
}

// Token returns the current token, or the error set with Fail.
func (s *TokenSource) Token(ctx context.Context) (flowservice.Token, error) {
	if err := ctx.Err(); err != nil {
		return flowservice.Token{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.err != nil {
		return flowservice.Token{}, s.err
	}
	return s.current, nil
}

// Invalidate records accessToken and, if it is the current one, rotates to a
// new token.
func (s *TokenSource) Invalidate(accessToken string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.invalidations = append(s.invalidations, accessToken)
	if accessToken != s.current.AccessToken {
		return
	}
	s.generation++
	s.current = s.base
	s.current.AccessToken = fmt.Sprintf("%s-%d", s.base.AccessToken, s.generation)
}

// Fail makes every later Token call return err; Fail(nil) undoes it.
func (s *TokenSource) Fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

// Calls returns how many times Token was called.
func (s *TokenSource) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// Invalidations returns the access tokens passed to Invalidate, in order.
func (s *TokenSource) Invalidations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.invalidations...)
}
