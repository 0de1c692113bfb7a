// Package ledgertest provides an in-memory ledger with the same conditional
// semantics as the DynamoDB one, for tests of the packages that use it.
package ledgertest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/ledger"
)

// Memory is an in-memory ledger. Its clock is Now (default time.Now); Err,
// when set, is returned by every call.
type Memory struct {
	Now func() time.Time
	Err error

	mu      sync.Mutex
	records map[ledger.Key]ledger.Record
	calls   int
}

func (m *Memory) begin() (time.Time, error) {
	m.calls++
	if m.records == nil {
		m.records = map[ledger.Key]ledger.Record{}
	}
	now := time.Now()
	if m.Now != nil {
		now = m.Now()
	}
	return now, m.Err
}

// Calls returns how many calls the ledger served.
func (m *Memory) Calls() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls
}

// Put stores a record as is.
func (m *Memory) Put(r ledger.Record) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.records == nil {
		m.records = map[ledger.Key]ledger.Record{}
	}
	m.records[r.Key] = r
}

// Record returns the record of key.
func (m *Memory) Record(key ledger.Key) (ledger.Record, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.records[key]
	return r, ok
}

// Get implements the ledger's Get.
func (m *Memory) Get(_ context.Context, keys ...ledger.Key) (map[ledger.Key]ledger.Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.begin(); err != nil {
		return nil, err
	}
	out := map[ledger.Key]ledger.Record{}
	for _, k := range keys {
		if r, ok := m.records[k]; ok {
			out[k] = r
		}
	}
	return out, nil
}

// Stream implements the ledger's Stream.
func (m *Memory) Stream(_ context.Context, accountID, region, stream string) ([]ledger.Record, error) {
	return m.filter(func(k ledger.Key) bool {
		return k.AccountID == accountID && k.Region == region && k.Stream == stream && stream != ""
	})
}

// Region implements the ledger's Region.
func (m *Memory) Region(_ context.Context, accountID, region string) ([]ledger.Record, error) {
	return m.filter(func(k ledger.Key) bool { return k.AccountID == accountID && k.Region == region })
}

func (m *Memory) filter(keep func(ledger.Key) bool) ([]ledger.Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.begin(); err != nil {
		return nil, err
	}
	var out []ledger.Record
	for k, r := range m.records {
		if keep(k) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b ledger.Record) int { return strings.Compare(a.Key.String(), b.Key.String()) })
	return out, nil
}

// Bases implements the ledger's Bases.
func (m *Memory) Bases(_ context.Context, accountID string) ([]ledger.Record, error) {
	return m.filter(func(k ledger.Key) bool { return k.Stream == "" && (accountID == "" || k.AccountID == accountID) })
}

// Acquire implements the ledger's Acquire.
func (m *Memory) Acquire(_ context.Context, key ledger.Key, owner string, until time.Time, replacing string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now, err := m.begin()
	if err != nil {
		return false, err
	}
	r, ok := m.records[key]
	free := !ok ||
		(r.State == ledger.Pending && r.LockUntil.Before(now)) ||
		(replacing != "" && r.State == ledger.Ready && r.ConnectionID == replacing)
	if !free {
		return false, nil
	}
	m.records[key] = ledger.Record{Key: key, State: ledger.Pending, LockOwner: owner, LockUntil: until, UpdatedAt: now}
	return true, nil
}

// Complete implements the ledger's Complete.
func (m *Memory) Complete(_ context.Context, key ledger.Key, owner string, c ledger.Completion) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now, err := m.begin()
	if err != nil {
		return err
	}
	r, ok := m.records[key]
	if !ok || r.State != ledger.Pending || r.LockOwner != owner {
		return fmt.Errorf("ledgertest: complete %s: %w", key, ledger.ErrLockLost)
	}
	m.records[key] = ledger.Record{
		Key: key, State: ledger.Ready, ConnectionID: c.ConnectionID, ETag: c.ETag, Name: c.Name,
		BaseConnectionID: c.BaseConnectionID, CreatedBy: c.CreatedBy, Announced: c.Announced, Test: c.Test, VerifiedAt: now, UpdatedAt: now,
	}
	return nil
}

func (m *Memory) update(key ledger.Key, connectionID string, f func(*ledger.Record)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.begin(); err != nil {
		return err
	}
	r, ok := m.records[key]
	if !ok || r.ConnectionID != connectionID {
		return fmt.Errorf("ledgertest: update %s: %w", key, ledger.ErrLockLost)
	}
	f(&r)
	m.records[key] = r
	return nil
}

// Annotate implements the ledger's Annotate.
func (m *Memory) Annotate(_ context.Context, key ledger.Key, connectionID string, n ledger.Note) error {
	return m.update(key, connectionID, func(r *ledger.Record) {
		r.Announced = r.Announced || n.Announced
		r.Test = cmp.Or(n.Test, r.Test)
		r.ETag = cmp.Or(n.ETag, r.ETag)
	})
}

// Touch implements the ledger's Touch.
func (m *Memory) Touch(_ context.Context, key ledger.Key, connectionID string, at time.Time) error {
	return m.update(key, connectionID, func(r *ledger.Record) { r.VerifiedAt = at })
}

// Release implements the ledger's Release.
func (m *Memory) Release(_ context.Context, key ledger.Key, owner string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.begin(); err != nil {
		return err
	}
	r, ok := m.records[key]
	if !ok || r.State != ledger.Pending || r.LockOwner != owner {
		return fmt.Errorf("ledgertest: release %s: %w", key, ledger.ErrLockLost)
	}
	delete(m.records, key)
	return nil
}

// Delete implements the ledger's Delete.
func (m *Memory) Delete(_ context.Context, key ledger.Key, connectionID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.begin(); err != nil {
		return err
	}
	r, ok := m.records[key]
	if !ok || r.ConnectionID != connectionID {
		return fmt.Errorf("ledgertest: delete %s: %w", key, ledger.ErrLockLost)
	}
	delete(m.records, key)
	return nil
}
