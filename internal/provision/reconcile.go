package provision

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/eventbus"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/secrets"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/streams"
)

// DetailTypeReconciled is the detail type of the event each reconciliation
// run publishes.
const DetailTypeReconciled = "Kinesis Reconciliation Completed"

// StreamLister lists an account's streams with its keys.
// *streams.Lister satisfies it.
type StreamLister interface {
	List(ctx context.Context, keys secrets.KinesisKeys, region string) ([]streams.Stream, error)
}

// StepListStreams names the listing step in errors.
const StepListStreams = "list the account's Kinesis streams"

// reconcileParallel bounds how many streams are provisioned at once.
const reconcileParallel = 4

// ReconcileRequest asks to bring Experience Platform in line with an
// account's streams in a region.
type ReconcileRequest struct {
	AccountID, Region, Sandbox string
	Trigger                    Trigger
	CorrelationID              string
}

// ReconcileSummary is the outcome of one run; it is also the detail of the
// event the run publishes.
type ReconcileSummary struct {
	AccountID string `json:"accountId"`
	Region    string `json:"region"`
	Sandbox   string `json:"sandbox"`
	// ConnectionID is the account's base connection in Sandbox, when known.
	ConnectionID   string          `json:"connectionId,omitempty"`
	Seen           int             `json:"seen"`
	Selected       int             `json:"selected"`
	Created        int             `json:"created"`
	AlreadyPresent int             `json:"alreadyPresent"`
	Failed         int             `json:"failed"`
	Failures       []StreamFailure `json:"failures,omitempty"`
	Trigger        Trigger         `json:"trigger"`
	CorrelationID  string          `json:"correlationId"`
}

// StreamFailure names a stream that could not be provisioned, and why.
type StreamFailure struct {
	StreamName string `json:"streamName"`
	Error      string `json:"error"`
}

// Reconcile lists the account's streams in the region with its Kinesis keys
// and makes sure every selected stream has its source connection; a
// recorded base connection Adobe no longer has is made again. It is safe to
// run twice at once and to re-run after a failure: it is built on the same
// exactly-once provisioning. Every run publishes one summary event.
func (s *Service) Reconcile(ctx context.Context, req ReconcileRequest) (ReconcileSummary, error) {
	if err := (Request{AccountID: req.AccountID, Region: req.Region, Sandbox: req.Sandbox}).Validate(); err != nil {
		return ReconcileSummary{}, err
	}
	if s.deps.Streams == nil {
		return ReconcileSummary{}, errors.New("provision: reconciliation needs a stream lister")
	}
	sum := ReconcileSummary{AccountID: req.AccountID, Region: req.Region, Sandbox: req.Sandbox, Trigger: req.Trigger, CorrelationID: req.CorrelationID}
	keys, err := s.deps.Keys.KinesisKeys(ctx, secrets.ExpandID(s.cfg.KinesisSecretID, req.AccountID, req.Region))
	if err != nil {
		return sum, &StepError{Step: StepReadKeys, Err: err}
	}
	list, err := s.deps.Streams.List(ctx, keys, req.Region)
	if err != nil {
		return sum, &StepError{Step: StepListStreams, Err: err}
	}
	sum.Seen = len(list)

	// Group the selected streams by sandbox (a tag may pick it).
	bySandbox := map[string][]streams.Stream{}
	for _, st := range list {
		d := s.cfg.Selection.Select(st.Name, st.Tags)
		if !d.Selected {
			continue
		}
		sum.Selected++
		bySandbox[cmp.Or(d.Sandbox, req.Sandbox)] = append(bySandbox[cmp.Or(d.Sandbox, req.Sandbox)], st)
	}

	var mu sync.Mutex
	record := func(stream string, res Result, err error) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err != nil:
			sum.Failed++
			sum.Failures = append(sum.Failures, StreamFailure{StreamName: stream, Error: err.Error()})
		case res.Created || res.SourceCreated:
			sum.Created++
		default:
			sum.AlreadyPresent++
		}
		if res.Sandbox == req.Sandbox && res.ConnectionID != "" {
			sum.ConnectionID = res.ConnectionID
		}
	}
	for _, sandbox := range slices.Sorted(maps.Keys(bySandbox)) {
		// The base connection first, checked against Flow Service: a
		// recorded connection Adobe no longer has is made again.
		base := Request{AccountID: req.AccountID, Region: req.Region, Sandbox: sandbox, Trigger: req.Trigger, CorrelationID: req.CorrelationID}
		res, err := s.provision(ctx, base, runOpts{verifyAfter: 0, publishCreatedOnly: true})
		if err != nil {
			for _, st := range bySandbox[sandbox] {
				record(st.Name, Result{}, fmt.Errorf("the base connection: %w", err))
			}
			continue
		}
		if sandbox == req.Sandbox {
			sum.ConnectionID = res.ConnectionID
		}
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(reconcileParallel)
		for _, st := range bySandbox[sandbox] {
			g.Go(func() error {
				r := Request{
					AccountID: req.AccountID, Region: req.Region, StreamName: st.Name, Sandbox: sandbox,
					Trigger: req.Trigger, CorrelationID: req.CorrelationID + "/" + st.Name, Tags: st.Tags,
				}
				res, err := s.provision(gctx, r, runOpts{verifyAfter: s.cfg.VerifyAfter, publishCreatedOnly: true})
				record(st.Name, res, err)
				return nil
			})
		}
		_ = g.Wait()
	}
	slices.SortFunc(sum.Failures, func(a, b StreamFailure) int { return strings.Compare(a.StreamName, b.StreamName) })
	if err := s.deps.Publisher.Publish(ctx, eventbus.Event{DetailType: DetailTypeReconciled, Detail: sum}); err != nil {
		return sum, &StepError{Step: StepPublish, Err: err}
	}
	return sum, nil
}
