package provision

import (
	"context"
	"errors"
	"fmt"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/eventbus"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/flowservice"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/ledger"
)

// Detail types of the events published when a stream goes away.
const (
	DetailTypeSourceDeleted        = "Kinesis Source Connection Deleted"
	DetailTypeSourceNeedsAttention = "Kinesis Source Connection Needs Attention"
)

// Outcomes of deprovisioning one stream in one sandbox.
const (
	DeprovisionDeleted        = "deleted"
	DeprovisionNeedsAttention = "needs-attention"
	DeprovisionNotProvisioned = "not-provisioned"
)

// DeprovisionRequest names a stream whose source connection is removed. An
// empty Sandbox means every sandbox the stream was provisioned in.
type DeprovisionRequest struct {
	AccountID     string
	Region        string
	StreamName    string
	Sandbox       string
	Trigger       Trigger
	CorrelationID string
}

// Deprovisioned is the outcome for one sandbox; it is also the detail of the
// event published for it.
type Deprovisioned struct {
	Status             string  `json:"status"`
	SourceConnectionID string  `json:"sourceConnectionId,omitempty"`
	BaseConnectionID   string  `json:"baseConnectionId,omitempty"`
	AccountID          string  `json:"accountId"`
	Region             string  `json:"region"`
	StreamName         string  `json:"streamName"`
	StreamARN          string  `json:"streamArn"`
	Sandbox            string  `json:"sandbox,omitempty"`
	Trigger            Trigger `json:"trigger"`
	CorrelationID      string  `json:"correlationId"`
	// AdobeCode and AdobeMessage say why Adobe refused the delete.
	AdobeCode    string `json:"adobeCode,omitempty"`
	AdobeMessage string `json:"adobeMessage,omitempty"`
}

// Deprovision removes a stream's source connection (never the base
// connection) and publishes what happened. A stream that was never
// provisioned is a no-op. When Adobe refuses the delete (a dataflow still
// uses the source connection) it publishes a "needs attention" event and
// returns without error, so the refusal is not retried forever.
func (s *Service) Deprovision(ctx context.Context, req DeprovisionRequest) ([]Deprovisioned, error) {
	check := Request{AccountID: req.AccountID, Region: req.Region, StreamName: req.StreamName, Sandbox: req.Sandbox}
	if check.Sandbox == "" {
		check.Sandbox = "any"
	}
	if err := check.Validate(); err != nil {
		return nil, err
	}
	if req.StreamName == "" {
		return nil, &RequestError{"streamName", "is required"}
	}
	recs, err := s.deps.Ledger.Stream(ctx, req.AccountID, req.Region, req.StreamName)
	if err != nil {
		return nil, &StepError{Step: StepLedger, Err: err}
	}
	base := Deprovisioned{
		Status:    DeprovisionNotProvisioned,
		AccountID: req.AccountID, Region: req.Region, StreamName: req.StreamName,
		StreamARN: StreamARN(req.AccountID, req.Region, req.StreamName),
		Sandbox:   req.Sandbox, Trigger: req.Trigger, CorrelationID: req.CorrelationID,
	}
	var out []Deprovisioned
	for _, rec := range recs {
		if rec.State != ledger.Ready || (req.Sandbox != "" && rec.Key.Sandbox != req.Sandbox) {
			continue
		}
		d, err := s.deleteSource(ctx, rec, base)
		if err != nil {
			return out, err
		}
		out = append(out, d)
	}
	if len(out) == 0 {
		return []Deprovisioned{base}, nil
	}
	return out, nil
}

func (s *Service) deleteSource(ctx context.Context, rec ledger.Record, d Deprovisioned) (Deprovisioned, error) {
	d.Sandbox, d.SourceConnectionID, d.BaseConnectionID = rec.Key.Sandbox, rec.ConnectionID, rec.BaseConnectionID
	err := s.deps.Flow.DeleteSourceConnection(ctx, rec.Key.Sandbox, rec.ConnectionID)
	var fsErr *flowservice.Error
	detailType := DetailTypeSourceDeleted
	switch {
	case err == nil, errors.As(err, &fsErr) && fsErr.NotFound():
		d.Status = DeprovisionDeleted
	case errors.As(err, &fsErr) && !fsErr.Temporary() && fsErr.StatusCode >= 400 && fsErr.StatusCode < 500:
		// Typically FLOW-1418-400: a dataflow still uses it. Retrying
		// cannot help until someone removes the dataflow.
		d.Status, d.AdobeCode, d.AdobeMessage = DeprovisionNeedsAttention, fsErr.Code, fsErr.Message
		detailType = DetailTypeSourceNeedsAttention
	default:
		return Deprovisioned{}, &StepError{Step: StepDeleteSource, ConnectionID: rec.ConnectionID, Err: err}
	}
	if err := s.deps.Publisher.Publish(ctx, eventbus.Event{DetailType: detailType, Detail: d, Resources: []string{d.StreamARN}}); err != nil {
		// The record is kept until the event is out: the retry deletes
		// (a 404 counts as deleted) and publishes again.
		return Deprovisioned{}, &StepError{Step: StepPublish, ConnectionID: rec.ConnectionID, Err: err}
	}
	if d.Status == DeprovisionDeleted {
		if err := s.deps.Ledger.Delete(ctx, rec.Key, rec.ConnectionID); err != nil {
			return Deprovisioned{}, &StepError{Step: StepLedger, ConnectionID: rec.ConnectionID, Err: fmt.Errorf("forget the deleted source connection: %w", err)}
		}
	}
	return d, nil
}
