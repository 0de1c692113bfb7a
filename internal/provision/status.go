package provision

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/contracts"
)

// ErrNotProvisioned is returned by Status for an account and region with no
// recorded connection in the sandbox.
var ErrNotProvisioned = errors.New("no connection is recorded for this account, region and sandbox")

// Status is what the function knows of an account's connection in a region
// and sandbox.
type Status struct {
	AccountID        string         `json:"accountId"`
	Region           string         `json:"region"`
	Sandbox          string         `json:"sandbox"`
	ConnectionID     string         `json:"connectionId"`
	ConnectionSpecID string         `json:"connectionSpecId"`
	State            string         `json:"state"`
	ConnectionTest   string         `json:"connectionTest,omitempty"`
	VerifiedAt       *time.Time     `json:"verifiedAt,omitempty"`
	Sources          []SourceStatus `json:"sourceConnections"`
}

// SourceStatus is one stream's source connection.
type SourceStatus struct {
	StreamName         string `json:"streamName"`
	StreamARN          string `json:"streamArn"`
	SourceConnectionID string `json:"sourceConnectionId,omitempty"`
	State              string `json:"state"`
}

// Status reads what the ledger records for an account, region and sandbox,
// in one Query.
func (s *Service) Status(ctx context.Context, accountID, region, sandbox string) (Status, error) {
	if err := (Request{AccountID: accountID, Region: region, Sandbox: sandbox}).Validate(); err != nil {
		return Status{}, err
	}
	recs, err := s.deps.Ledger.Region(ctx, accountID, region)
	if err != nil {
		return Status{}, &StepError{Step: StepLedger, Err: err}
	}
	st := Status{AccountID: accountID, Region: region, Sandbox: sandbox, ConnectionSpecID: contracts.KinesisConnectionSpecID, Sources: []SourceStatus{}}
	found := false
	for _, r := range recs {
		if r.Key.Sandbox != sandbox {
			continue
		}
		if r.Key.Stream == "" {
			found = true
			st.ConnectionID, st.State, st.ConnectionTest = r.ConnectionID, string(r.State), r.Test
			if !r.VerifiedAt.IsZero() {
				at := r.VerifiedAt.UTC()
				st.VerifiedAt = &at
			}
			continue
		}
		st.Sources = append(st.Sources, SourceStatus{
			StreamName: r.Key.Stream, StreamARN: StreamARN(accountID, region, r.Key.Stream),
			SourceConnectionID: r.ConnectionID, State: string(r.State),
		})
	}
	if !found {
		return Status{}, ErrNotProvisioned
	}
	slices.SortFunc(st.Sources, func(a, b SourceStatus) int { return strings.Compare(a.StreamName, b.StreamName) })
	return st, nil
}
