package provision

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/flowservice"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/ledger"
)

// resource is one kind of Flow Service object the ledger records (a base
// connection or a source connection), with the steps that find, check and
// make it. ensure runs the same exactly-once protocol for both.
type resource struct {
	key  ledger.Key
	name string
	// what names the resource in messages.
	what string
	// verify reports whether Flow Service still has id.
	verify func(ctx context.Context, id string) (bool, error)
	// find lists the resources named name; adopt picks among them.
	find func(ctx context.Context) ([]found, error)
	// create makes the resource and returns the fields to record.
	create func(ctx context.Context) (ledger.Completion, error)
	// afterCreate runs once the resource this call made is known (the
	// base connection's test).
	afterCreate func(ctx context.Context, id, etag string)
	// createdBy is the correlation id recorded with a creation.
	createdBy string
	// steps name the steps in errors.
	verifyStep, findStep string
}

// found is a resource a name look-up returned.
type found struct {
	id, etag  string
	createdAt int64
	enabled   bool
}

// ensured is a ready record, and whether this call created the resource.
type ensured struct {
	ledger.Record
	created bool
}

// ensure finds or creates r:
//
//  1. a ready ledger record younger than verifyAfter is trusted as is; an
//     older one is checked with Flow Service and replaced if the resource is
//     gone;
//  2. otherwise the caller takes the record's lock (a conditional write), or
//     waits, briefly, for the invocation that holds it;
//  3. holding the lock, it looks the resource up by name (adopting one made
//     elsewhere) and creates it only when none is found.
//
// known is the record read beforehand, if any (nil: not read yet).
func (s *Service) ensure(ctx context.Context, r resource, known *lookup, verifyAfter time.Duration, rn *run) (ensured, error) {
	owner := newOwner()
	replacing := ""
	waitUntil := s.cfg.Now().Add(s.cfg.LockWait)
	if dl, ok := ctx.Deadline(); ok && dl.Before(waitUntil) {
		waitUntil = dl
	}
	for {
		rec, ok, err := known.take(ctx, s.deps.Ledger, r.key)
		if err != nil {
			return ensured{}, &StepError{Step: StepLedger, Err: err}
		}
		now := s.cfg.Now()
		switch {
		case ok && rec.State == ledger.Ready:
			if verifyAfter > 0 && now.Sub(rec.VerifiedAt) < verifyAfter {
				return ensured{Record: rec}, nil
			}
			exists, err := r.verify(ctx, rec.ConnectionID)
			if err != nil {
				return ensured{}, &StepError{Step: r.verifyStep, ConnectionID: rec.ConnectionID, Err: err}
			}
			if exists {
				if err := s.deps.Ledger.Touch(ctx, r.key, rec.ConnectionID, now); err != nil {
					rn.warn("could not record the verification of %s: %v", rec.ConnectionID, err)
				}
				return ensured{Record: rec}, nil
			}
			rn.warn("%s %s recorded for %s no longer exists in Flow Service; making it again", r.what, rec.ConnectionID, r.key)
			replacing = rec.ConnectionID
		case ok && rec.LockedAt(now) && rec.LockOwner == owner:
			// Our own lock: the conditional write took effect but its answer
			// was lost, and the SDK's retry then failed its own condition.
			return s.makeLocked(ctx, r, owner, replacing, startFind(ctx, r), rn)
		case ok && rec.LockedAt(now):
			if !now.Before(waitUntil) {
				return ensured{}, &LockHeldError{Key: r.key, RetryAfter: max(rec.LockUntil.Sub(now), time.Second)}
			}
			if err := sleep(ctx, min(s.cfg.PollInterval, waitUntil.Sub(now))); err != nil {
				return ensured{}, &StepError{Step: StepLedger, Err: err}
			}
			continue
		}
		// The name look-up runs while the lock is taken. Its answer is
		// good once the lock is held: whoever makes the resource holds the
		// lock, so had anyone made it since, the lock would not be free.
		found := startFind(ctx, r)
		acquired, err := s.deps.Ledger.Acquire(ctx, r.key, owner, s.lockUntil(ctx), replacing)
		if err != nil {
			return ensured{}, &StepError{Step: StepLedger, Err: err}
		}
		if !acquired {
			// Another invocation got there first: read what it holds.
			replacing = ""
			continue
		}
		return s.makeLocked(ctx, r, owner, replacing, found, rn)
	}
}

// startFind starts r's name look-up and returns its answer's future.
func startFind(ctx context.Context, r resource) func() ([]found, error) {
	type answer struct {
		list []found
		err  error
	}
	ch := make(chan answer, 1)
	go func() {
		list, err := r.find(ctx)
		ch <- answer{list, err}
	}()
	return func() ([]found, error) {
		a := <-ch
		return a.list, a.err
	}
}

// lookup holds ledger records read ahead of ensure (one round trip for the
// base and the stream records); each is used once, later reads go to the
// ledger.
type lookup struct {
	recs map[ledger.Key]ledger.Record
	used map[ledger.Key]bool
}

func (l *lookup) take(ctx context.Context, lg Ledger, key ledger.Key) (ledger.Record, bool, error) {
	if l != nil && l.recs != nil && !l.used[key] {
		if l.used == nil {
			l.used = map[ledger.Key]bool{}
		}
		l.used[key] = true
		rec, ok := l.recs[key]
		return rec, ok, nil
	}
	recs, err := lg.Get(ctx, key)
	if err != nil {
		return ledger.Record{}, false, err
	}
	rec, ok := recs[key]
	return rec, ok, nil
}

// lockUntil is when the caller's lock expires: the invocation's deadline.
func (s *Service) lockUntil(ctx context.Context) time.Time {
	if dl, ok := ctx.Deadline(); ok {
		return dl.Add(s.cfg.LockGrace)
	}
	return s.cfg.Now().Add(defaultLockTTL)
}

// makeLocked runs with the lock held: adopt a resource of the right name,
// or create one, and record it. After an ambiguous create failure (the
// resource may exist) it looks the resource up again before creating again.
func (s *Service) makeLocked(ctx context.Context, r resource, owner, replacing string, found func() ([]found, error), rn *run) (ensured, error) {
	for attempt := 1; ; attempt++ {
		if attempt > 1 {
			found = startFind(ctx, r)
		}
		list, err := found()
		if err != nil {
			s.release(ctx, r.key, owner, rn)
			return ensured{}, &StepError{Step: r.findStep, Err: err}
		}
		if f, n := oldestEnabled(list, replacing); f != nil {
			if n > 1 {
				rn.warn("%d enabled %ss are named %q; adopted the oldest, %s", n, r.what, r.name, f.id)
			}
			if attempt > 1 {
				// The look-up before the create found nothing and the lock
				// was held since: this is the resource the ambiguous create
				// made. It is this call's creation.
				r.afterCreate(ctx, f.id, f.etag)
				return s.complete(ctx, r.key, owner, ledger.Completion{ConnectionID: f.id, ETag: f.etag, Name: r.name, CreatedBy: r.createdBy}, true)
			}
			return s.complete(ctx, r.key, owner, ledger.Completion{ConnectionID: f.id, ETag: f.etag, Name: r.name, Announced: true}, false)
		}
		c, err := r.create(ctx)
		if err == nil {
			r.afterCreate(ctx, c.ConnectionID, c.ETag)
			return s.complete(ctx, r.key, owner, c, true)
		}
		if !ambiguous(err) {
			s.release(ctx, r.key, owner, rn)
			return ensured{}, err
		}
		if attempt == 2 || ctx.Err() != nil {
			// The resource may exist: the lock is kept until it expires,
			// and whoever takes it next looks the resource up first.
			return ensured{}, err
		}
		rn.warn("creating the %s failed ambiguously (%v); looking it up before trying again", r.what, err)
	}
}

func (s *Service) complete(ctx context.Context, key ledger.Key, owner string, c ledger.Completion, created bool) (ensured, error) {
	if err := s.deps.Ledger.Complete(ctx, key, owner, c); err != nil && !s.completedAlready(ctx, key, c.ConnectionID, err) {
		// The resource exists; the next attempt adopts it by name.
		return ensured{}, &StepError{Step: StepLedger, ConnectionID: c.ConnectionID, Err: err}
	}
	return ensured{
		Record: ledger.Record{
			Key: key, State: ledger.Ready, ConnectionID: c.ConnectionID, ETag: c.ETag, Name: c.Name,
			BaseConnectionID: c.BaseConnectionID, CreatedBy: c.CreatedBy, Announced: c.Announced, Test: c.Test,
			VerifiedAt: s.cfg.Now(),
		},
		created: created,
	}, nil
}

// completedAlready tells whether a Complete that failed its condition had in
// fact taken effect (its answer lost, the SDK's retry refused).
func (s *Service) completedAlready(ctx context.Context, key ledger.Key, id string, err error) bool {
	if !errors.Is(err, ledger.ErrLockLost) {
		return false
	}
	recs, gerr := s.deps.Ledger.Get(ctx, key)
	rec, ok := recs[key]
	return gerr == nil && ok && rec.State == ledger.Ready && rec.ConnectionID == id
}

// release gives the lock up early, so others need not wait for it to
// expire. Once the invocation is out of time it does nothing: the lock
// expires at the deadline anyway, and the function must answer first.
func (s *Service) release(ctx context.Context, key ledger.Key, owner string, rn *run) {
	cctx, cancel, ok := s.cleanupContext(ctx)
	if !ok {
		return
	}
	defer cancel()
	if err := s.deps.Ledger.Release(cctx, key, owner); err != nil {
		rn.warn("could not release the lock of %s early (it expires at the invocation's deadline): %v", key, err)
	}
}

// cleanupContext is the context of a write made after the work failed: the
// invocation's own while it lasts; once it is done, a short one within the
// margin kept before the Lambda deadline (LockGrace); none without margin.
func (s *Service) cleanupContext(ctx context.Context) (context.Context, context.CancelFunc, bool) {
	if ctx.Err() == nil {
		return ctx, func() {}, true
	}
	if s.cfg.LockGrace <= 0 {
		return nil, nil, false
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.LockGrace/2)
	return cctx, cancel, true
}

// ambiguous reports whether a failed create may still have made the
// resource: the request was sent and its outcome is unknown (a 5xx, a
// timeout, a reset, a malformed answer).
func ambiguous(err error) bool { return flowservice.Ambiguous(err) }

// oldestEnabled picks the oldest enabled resource that is not the one being
// replaced, and says how many qualified.
func oldestEnabled(list []found, replacing string) (*found, int) {
	var best *found
	n := 0
	for i := range list {
		f := &list[i]
		if !f.enabled || f.id == replacing {
			continue
		}
		n++
		if best == nil || f.createdAt < best.createdAt || (f.createdAt == best.createdAt && f.id < best.id) {
			best = f
		}
	}
	return best, n
}

// run is the state one provisioning call shares among its goroutines.
type run struct {
	mu       sync.Mutex
	warnings []string
	// baseTest receives the outcome of the test of a base connection this
	// call created (it runs while the call goes on).
	baseTest chan tested
}

// tested is the outcome of a connection test, with the connection's etag
// when the test put rotated keys on it.
type tested struct {
	outcome, etag string
}

func (rn *run) warn(format string, args ...any) {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	rn.warnings = append(rn.warnings, fmt.Sprintf(format, args...))
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
