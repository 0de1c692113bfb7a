// Package provisiontest provides a hand-written fake of the provisioning use
// case for tests of the packages that drive it.
package provisiontest

import (
	"context"
	"sync"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/contracts"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/provision"
)

// Recorder records every request and answers with Err, or with a result
// built from the request (connection id ConnectionID, Created as set).
type Recorder struct {
	ConnectionID string
	Created      bool
	Warnings     []string
	Err          error
	// Panic makes Provision panic with this value (to test recovery).
	Panic any

	// Deprovisioned and StatusResult are the answers of Deprovision and
	// Status.
	Deprovisioned   []provision.Deprovisioned
	StatusResult    provision.Status
	ReconcileResult provision.ReconcileSummary
	KeysUpdated     []provision.KeysUpdated

	mu           sync.Mutex
	requests     []provision.Request
	deprovisions []provision.DeprovisionRequest
	reconciles   []provision.ReconcileRequest
	rotations    []provision.RotationRequest
}

// Provision implements the use case's signature.
func (r *Recorder) Provision(_ context.Context, req provision.Request) (provision.Result, error) {
	r.mu.Lock()
	r.requests = append(r.requests, req)
	r.mu.Unlock()
	if r.Panic != nil {
		panic(r.Panic)
	}
	if r.Err != nil {
		return provision.Result{}, r.Err
	}
	if err := req.Validate(); err != nil {
		return provision.Result{}, err
	}
	res := provision.Result{
		ConnectionID:     r.ConnectionID,
		ETag:             `"etag-1"`,
		Created:          r.Created,
		AccountID:        req.AccountID,
		Region:           req.Region,
		StreamName:       req.StreamName,
		Sandbox:          req.Sandbox,
		ConnectionSpecID: contracts.KinesisConnectionSpecID,
		Trigger:          req.Trigger,
		CorrelationID:    req.CorrelationID,
		Warnings:         r.Warnings,
	}
	if req.StreamName != "" {
		res.StreamARN = provision.StreamARN(req.AccountID, req.Region, req.StreamName)
	}
	return res, nil
}

// Deprovision records the request and reports the stream as not
// provisioned (or Err).
func (r *Recorder) Deprovision(_ context.Context, req provision.DeprovisionRequest) ([]provision.Deprovisioned, error) {
	r.mu.Lock()
	r.deprovisions = append(r.deprovisions, req)
	r.mu.Unlock()
	if r.Err != nil {
		return nil, r.Err
	}
	if r.Deprovisioned != nil {
		return r.Deprovisioned, nil
	}
	return []provision.Deprovisioned{{Status: provision.DeprovisionNotProvisioned, AccountID: req.AccountID, Region: req.Region, StreamName: req.StreamName, Sandbox: req.Sandbox}}, nil
}

// Status answers with StatusResult, or Err.
func (r *Recorder) Status(_ context.Context, accountID, region, sandbox string) (provision.Status, error) {
	if r.Err != nil {
		return provision.Status{}, r.Err
	}
	st := r.StatusResult
	st.AccountID, st.Region, st.Sandbox = accountID, region, sandbox
	return st, nil
}

// Reconcile records the request and answers with ReconcileResult (its
// scope filled in), or Err.
func (r *Recorder) Reconcile(_ context.Context, req provision.ReconcileRequest) (provision.ReconcileSummary, error) {
	r.mu.Lock()
	r.reconciles = append(r.reconciles, req)
	r.mu.Unlock()
	if r.Err != nil {
		return provision.ReconcileSummary{}, r.Err
	}
	s := r.ReconcileResult
	s.AccountID, s.Region, s.Sandbox, s.Trigger, s.CorrelationID = req.AccountID, req.Region, req.Sandbox, req.Trigger, req.CorrelationID
	return s, nil
}

// RotateKeys records the request and answers with KeysUpdated, or Err.
func (r *Recorder) RotateKeys(_ context.Context, req provision.RotationRequest) ([]provision.KeysUpdated, error) {
	r.mu.Lock()
	r.rotations = append(r.rotations, req)
	r.mu.Unlock()
	return r.KeysUpdated, r.Err
}

// Reconciles returns the reconciliation requests received so far.
func (r *Recorder) Reconciles() []provision.ReconcileRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]provision.ReconcileRequest(nil), r.reconciles...)
}

// Rotations returns the rotation requests received so far.
func (r *Recorder) Rotations() []provision.RotationRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]provision.RotationRequest(nil), r.rotations...)
}

// Deprovisions returns the deprovisioning requests received so far.
func (r *Recorder) Deprovisions() []provision.DeprovisionRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]provision.DeprovisionRequest(nil), r.deprovisions...)
}

// Requests returns the requests received so far.
func (r *Recorder) Requests() []provision.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]provision.Request(nil), r.requests...)
}
