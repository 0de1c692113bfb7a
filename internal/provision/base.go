package provision

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/contracts"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/flowservice"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/ledger"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/secrets"
)

// baseConnection is the ready ledger record of a base connection, and
// whether this call created it.
type baseConnection struct {
	ledger.Record
	created bool
}

// ensureBase finds or creates the base connection of key:
//
//  1. a ready ledger record younger than VerifyAfter is trusted as is; an
//     older one is checked with GET /connections/{id} and replaced if Flow
//     Service no longer has the connection;
//  2. otherwise the caller takes the record's lock (a conditional write), or
//     waits, briefly, for the invocation that holds it;
//  3. holding the lock, it looks the connection up by name in Flow Service
//     (adopting one made elsewhere) and creates it only when none is found.
func (s *Service) ensureBase(ctx context.Context, req Request, key ledger.Key, res *Result) (baseConnection, error) {
	owner := newOwner()
	replacing := ""
	waitUntil := s.cfg.Now().Add(s.cfg.LockWait)
	if dl, ok := ctx.Deadline(); ok && dl.Before(waitUntil) {
		waitUntil = dl
	}
	for {
		recs, err := s.deps.Ledger.Get(ctx, key)
		if err != nil {
			return baseConnection{}, &StepError{Step: StepLedger, Err: err}
		}
		rec, found := recs[key]
		now := s.cfg.Now()
		switch {
		case found && rec.State == ledger.Ready:
			if now.Sub(rec.VerifiedAt) < s.cfg.VerifyAfter {
				return baseConnection{Record: rec}, nil
			}
			exists, err := s.verify(ctx, req.Sandbox, rec.ConnectionID)
			if err != nil {
				return baseConnection{}, &StepError{Step: StepVerifyConnection, ConnectionID: rec.ConnectionID, Err: err}
			}
			if exists {
				if err := s.deps.Ledger.Touch(ctx, key, rec.ConnectionID, now); err != nil {
					res.Warnings = append(res.Warnings, "could not record the connection's verification: "+err.Error())
				}
				return baseConnection{Record: rec}, nil
			}
			res.Warnings = append(res.Warnings, fmt.Sprintf("connection %s recorded for %s no longer exists in Flow Service; making it again", rec.ConnectionID, key))
			replacing = rec.ConnectionID
		case found && rec.LockedAt(now):
			if !now.Before(waitUntil) {
				return baseConnection{}, &LockHeldError{Key: key, RetryAfter: max(rec.LockUntil.Sub(now), time.Second)}
			}
			if err := sleep(ctx, min(s.cfg.PollInterval, waitUntil.Sub(now))); err != nil {
				return baseConnection{}, &StepError{Step: StepLedger, Err: err}
			}
			continue
		}
		acquired, err := s.deps.Ledger.Acquire(ctx, key, owner, s.lockUntil(ctx), replacing)
		if err != nil {
			return baseConnection{}, &StepError{Step: StepLedger, Err: err}
		}
		if !acquired {
			// Another invocation got there first: read what it holds.
			replacing = ""
			continue
		}
		return s.makeBase(ctx, req, key, owner, replacing, res)
	}
}

// lockUntil is when the caller's lock expires: the invocation's deadline.
func (s *Service) lockUntil(ctx context.Context) time.Time {
	if dl, ok := ctx.Deadline(); ok {
		return dl.Add(s.cfg.LockGrace)
	}
	return s.cfg.Now().Add(defaultLockTTL)
}

// verify reports whether Flow Service still has connection id.
func (s *Service) verify(ctx context.Context, sandbox, id string) (bool, error) {
	_, err := s.deps.Flow.GetConnection(ctx, sandbox, id)
	var fsErr *flowservice.Error
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &fsErr) && fsErr.NotFound():
		return false, nil
	}
	return false, err
}

// makeBase runs with the lock held: adopt a connection of the right name,
// or create one, and record it.
func (s *Service) makeBase(ctx context.Context, req Request, key ledger.Key, owner, replacing string, res *Result) (baseConnection, error) {
	name := s.ConnectionName(req.AccountID, req.Region, req.Sandbox)
	existing, err := s.deps.Flow.FindConnections(ctx, req.Sandbox, "name=="+name, "connectionSpec.id=="+contracts.KinesisConnectionSpecID)
	if err != nil {
		s.release(ctx, key, owner, res)
		return baseConnection{}, &StepError{Step: StepFindConnection, Err: err}
	}
	if c, n := oldestEnabled(existing, name, replacing); c != nil {
		if n > 1 {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%d enabled Flow Service connections are named %q; adopted the oldest, %s", n, name, c.ID))
		}
		return s.complete(ctx, key, owner, ledger.Completion{ConnectionID: c.ID, ETag: c.ETag, Name: name, Announced: true}, false)
	}

	secretID := secrets.ExpandID(s.cfg.KinesisSecretID, req.AccountID, req.Region)
	keys, err := s.deps.Keys.KinesisKeys(ctx, secretID)
	if err != nil {
		s.release(ctx, key, owner, res)
		return baseConnection{}, &StepError{Step: StepReadKeys, Err: err}
	}
	if keys.Region != "" && keys.Region != req.Region {
		res.Warnings = append(res.Warnings, fmt.Sprintf("secret %q names region %q but the stream is in %q; the connection uses the stream's region", secretID, keys.Region, req.Region))
	}
	created, err := s.deps.Flow.CreateConnection(ctx, req.Sandbox, s.connectionRequest(req, keys))
	if err != nil {
		if !ambiguous(err) {
			s.release(ctx, key, owner, res)
		}
		// After an ambiguous failure the connection may exist: the lock is
		// kept until it expires, and whoever takes it next looks the
		// connection up by name before creating.
		return baseConnection{}, &StepError{Step: StepCreateConnection, Err: err}
	}
	return s.complete(ctx, key, owner, ledger.Completion{ConnectionID: created.ID, ETag: created.ETag, Name: name, CreatedBy: req.CorrelationID}, true)
}

func (s *Service) complete(ctx context.Context, key ledger.Key, owner string, c ledger.Completion, created bool) (baseConnection, error) {
	if err := s.deps.Ledger.Complete(ctx, key, owner, c); err != nil {
		// The connection exists; the next attempt adopts it by name.
		return baseConnection{}, &StepError{Step: StepLedger, ConnectionID: c.ConnectionID, Err: err}
	}
	return baseConnection{
		Record: ledger.Record{
			Key: key, State: ledger.Ready, ConnectionID: c.ConnectionID, ETag: c.ETag, Name: c.Name,
			CreatedBy: c.CreatedBy, Announced: c.Announced,
		},
		created: created,
	}, nil
}

// release gives the lock up early, so others need not wait for it to expire.
func (s *Service) release(ctx context.Context, key ledger.Key, owner string, res *Result) {
	if err := s.deps.Ledger.Release(context.WithoutCancel(ctx), key, owner); err != nil {
		res.Warnings = append(res.Warnings, "could not release the lock early (it expires at the invocation's deadline): "+err.Error())
	}
}

// ambiguous reports whether a failed create may still have created the
// connection: anything but a refusal Adobe answered with a 4xx.
func ambiguous(err error) bool {
	var fsErr *flowservice.Error
	return !errors.As(err, &fsErr) || fsErr.StatusCode >= 500
}

// oldestEnabled picks, among connections listed for name, the oldest enabled
// one that is not the one being replaced, and says how many qualified. The
// name and spec are checked again here: the listing's filter is the
// server's.
func oldestEnabled(conns []flowservice.Connection, name, replacing string) (*flowservice.Connection, int) {
	var ok []flowservice.Connection
	for _, c := range conns {
		if c.Name == name && c.ID != replacing && c.ConnectionSpec.ID == contracts.KinesisConnectionSpecID && (c.State == "" || c.State == "enabled") {
			ok = append(ok, c)
		}
	}
	if len(ok) == 0 {
		return nil, 0
	}
	oldest := slices.MinFunc(ok, func(a, b flowservice.Connection) int {
		if a.CreatedAt != b.CreatedAt {
			return cmp.Compare(a.CreatedAt, b.CreatedAt)
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return &oldest, len(ok)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
