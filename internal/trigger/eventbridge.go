package trigger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/provision"
)

// Event shapes the function handles.
const (
	cloudTrailDetailType = "AWS API Call via CloudTrail"
	kinesisSource        = "aws.kinesis"
	kinesisEventSource   = "kinesis.amazonaws.com"
	createStream         = "CreateStream"
	deleteStream         = "DeleteStream"
	// ProvisionDetailType is the detail type of the custom provisioning
	// event.
	ProvisionDetailType = "Provision Kinesis Connection"
)

// Outcome is the function's result for an EventBridge event.
type Outcome struct {
	// Status is "provisioned", "deprovisioned" or "skipped".
	Status string `json:"status"`
	// Reason says why an event was skipped.
	Reason        string                       `json:"reason,omitempty"`
	Result        *provision.Result            `json:"result,omitempty"`
	Deprovisioned []provision.Deprovisioned    `json:"deprovisioned,omitempty"`
	Reconciled    []provision.ReconcileSummary `json:"reconciled,omitempty"`
	KeysUpdated   []provision.KeysUpdated      `json:"keysUpdated,omitempty"`
}

// skip is a decision not to act on an event, logged at level.
type skip struct {
	reason string
	level  slog.Level
}

func (d *Dispatcher) handleEvent(ctx context.Context, payload []byte, sum *summary) (any, error) {
	var e events.EventBridgeEvent
	if err := json.Unmarshal(payload, &e); err != nil {
		return d.skipped(sum, skip{"the EventBridge envelope could not be decoded", slog.LevelWarn}), nil
	}
	sum.correlID = e.ID
	if resp, ok, err := d.fleetEvent(ctx, e, sum); ok {
		return resp, err
	}
	ke := &kinesisEvent{EventBridgeEvent: e}
	if del, sk, ok := d.deleteStreamRequest(ctx, ke); ok {
		if sk != nil {
			return d.skipped(sum, *sk), nil
		}
		return d.deprovision(ctx, del, sum)
	}
	req, sk := d.eventRequest(ctx, ke)
	if sk != nil {
		return d.skipped(sum, *sk), nil
	}
	sum.trigger = req.Trigger
	res, err := d.svc.Provision(ctx, req)
	if err != nil {
		f := classifyError(err)
		var notSelected *provision.NotSelectedError
		switch {
		case errors.As(err, &notSelected):
			return d.skipped(sum, skip{err.Error(), slog.LevelInfo}), nil
		case f.status == 400:
			// The event is ours but can never succeed: retrying is pointless.
			return d.skipped(sum, skip{"invalid provisioning request: " + err.Error(), slog.LevelError}), nil
		}
		sum.outcome, sum.err = "failed", err
		return nil, lambdaError(f, err)
	}
	sum.outcome, sum.result = "provisioned", &res
	return Outcome{Status: "provisioned", Result: &res}, nil
}

func (d *Dispatcher) skipped(sum *summary, sk skip) Outcome {
	sum.outcome, sum.reason, sum.level = "skipped", sk.reason, sk.level
	return Outcome{Status: "skipped", Reason: sk.reason}
}

// eventRequest turns an event into a request, or says why it is skipped.
func (d *Dispatcher) eventRequest(ctx context.Context, e *kinesisEvent) (provision.Request, *skip) {
	switch {
	case e.Source == d.cfg.OwnEventSource:
		return provision.Request{}, &skip{"the function's own event (source " + e.Source + ") is not processed", slog.LevelInfo}
	case e.DetailType == cloudTrailDetailType:
		return d.cloudTrailRequest(ctx, e)
	case e.DetailType == ProvisionDetailType && e.Source == d.cfg.ProvisionEventSource:
		return d.customRequest(ctx, e.EventBridgeEvent)
	case e.DetailType == ProvisionDetailType:
		return provision.Request{}, &skip{fmt.Sprintf("provisioning event from source %s; only %q is accepted", truncate(e.Source), d.cfg.ProvisionEventSource), slog.LevelWarn}
	}
	return provision.Request{}, &skip{fmt.Sprintf("event %s from %s is not handled by this function", truncate(e.DetailType), truncate(e.Source)), slog.LevelInfo}
}

// kinesisEvent is an event with its CloudTrail record, decoded once for
// every handler that looks at it.
type kinesisEvent struct {
	events.EventBridgeEvent
	decoded bool
	rec     cloudTrailRecord
	err     error
}

func (k *kinesisEvent) record() (cloudTrailRecord, error) {
	if !k.decoded {
		k.decoded = true
		k.err = json.Unmarshal(k.Detail, &k.rec)
	}
	return k.rec, k.err
}

// cloudTrailRecord is the part of a CloudTrail record the function reads.
type cloudTrailRecord struct {
	EventSource        string `json:"eventSource"`
	EventName          string `json:"eventName"`
	AWSRegion          string `json:"awsRegion"`
	RecipientAccountID string `json:"recipientAccountId"`
	ErrorCode          string `json:"errorCode"`
	RequestParameters  *struct {
		StreamName string `json:"streamName"`
		StreamARN  string `json:"streamARN"`
		// Tags given at creation.
		Tags map[string]string `json:"tags"`
	} `json:"requestParameters"`
}

// deleteStreamRequest recognises a CloudTrail DeleteStream record (ok) and
// turns it into a request, or says why it is skipped.
func (d *Dispatcher) deleteStreamRequest(ctx context.Context, e *kinesisEvent) (provision.DeprovisionRequest, *skip, bool) {
	if e.DetailType != cloudTrailDetailType || e.Source != kinesisSource {
		return provision.DeprovisionRequest{}, nil, false
	}
	rec, err := e.record()
	if err != nil || rec.EventSource != kinesisEventSource || rec.EventName != deleteStream {
		return provision.DeprovisionRequest{}, nil, false
	}
	if rec.ErrorCode != "" {
		return provision.DeprovisionRequest{}, &skip{fmt.Sprintf("DeleteStream failed with %s; the stream still exists", echo(rec.ErrorCode)), slog.LevelInfo}, true
	}
	req := provision.DeprovisionRequest{
		AccountID: first(rec.RecipientAccountID, e.AccountID), Region: first(rec.AWSRegion, e.Region),
		Trigger: provision.TriggerCloudTrail, CorrelationID: e.ID,
	}
	if p := rec.RequestParameters; p != nil {
		req.StreamName = p.StreamName
		if p.StreamARN != "" {
			// arn:partition:kinesis:region:account:stream/name
			parts := strings.SplitN(p.StreamARN, ":", 6)
			if len(parts) == 6 && strings.HasPrefix(parts[5], "stream/") {
				req.Region, req.AccountID = first(parts[3], req.Region), first(parts[4], req.AccountID)
				req.StreamName = first(req.StreamName, strings.TrimPrefix(parts[5], "stream/"))
			}
		}
	}
	if req.StreamName == "" {
		return provision.DeprovisionRequest{}, &skip{"DeleteStream record names no stream (requestParameters.streamName or streamARN)", slog.LevelError}, true
	}
	if !d.serves(ctx, req.AccountID) {
		return provision.DeprovisionRequest{}, &skip{fmt.Sprintf("account %s is not served by this function", echo(req.AccountID)), slog.LevelWarn}, true
	}
	return req, nil, true
}

// deprovision runs a DeleteStream.
func (d *Dispatcher) deprovision(ctx context.Context, req provision.DeprovisionRequest, sum *summary) (any, error) {
	sum.trigger = req.Trigger
	out, err := d.svc.Deprovision(ctx, req)
	if err != nil {
		f := classifyError(err)
		if f.status == 400 {
			return d.skipped(sum, skip{"invalid DeleteStream record: " + err.Error(), slog.LevelError}), nil
		}
		sum.outcome, sum.err = "failed", err
		return nil, lambdaError(f, err)
	}
	statuses := make([]string, len(out))
	for i, o := range out {
		statuses[i] = o.Status
	}
	sum.outcome, sum.reason = "deprovisioned", strings.Join(statuses, ",")
	sum.deleted = countDeleted(out)
	if slices.Contains(statuses, provision.DeprovisionNeedsAttention) {
		sum.level = slog.LevelWarn
	}
	return Outcome{Status: "deprovisioned", Deprovisioned: out}, nil
}

func (d *Dispatcher) cloudTrailRequest(ctx context.Context, e *kinesisEvent) (provision.Request, *skip) {
	if e.Source != kinesisSource {
		// Only AWS can publish with an aws.* source; anything else claiming
		// to be a CloudTrail record is forged.
		return provision.Request{}, &skip{fmt.Sprintf("CloudTrail-shaped event from source %s refused: only %q is trusted", truncate(e.Source), kinesisSource), slog.LevelWarn}
	}
	rec, err := e.record()
	if err != nil {
		return provision.Request{}, &skip{"the CloudTrail record could not be decoded", slog.LevelError}
	}
	switch {
	case rec.EventSource != kinesisEventSource:
		return provision.Request{}, &skip{fmt.Sprintf("CloudTrail record from %s is not handled", truncate(rec.EventSource)), slog.LevelInfo}
	case rec.EventName != createStream:
		return provision.Request{}, &skip{fmt.Sprintf("CloudTrail %s is not handled", echo(rec.EventName)), slog.LevelInfo}
	case rec.ErrorCode != "":
		return provision.Request{}, &skip{fmt.Sprintf("CreateStream failed with %s; there is no stream to provision", echo(rec.ErrorCode)), slog.LevelInfo}
	case rec.RequestParameters == nil || rec.RequestParameters.StreamName == "":
		return provision.Request{}, &skip{"CreateStream record without requestParameters.streamName", slog.LevelError}
	}
	req := provision.Request{
		AccountID:     first(rec.RecipientAccountID, e.AccountID),
		Region:        first(rec.AWSRegion, e.Region),
		StreamName:    rec.RequestParameters.StreamName,
		Sandbox:       d.cfg.DefaultSandbox,
		Trigger:       provision.TriggerCloudTrail,
		CorrelationID: e.ID,
		Tags:          tagsOrEmpty(rec.RequestParameters.Tags),
	}
	if !d.serves(ctx, req.AccountID) {
		return provision.Request{}, &skip{fmt.Sprintf("account %s is not served by this function", echo(req.AccountID)), slog.LevelWarn}
	}
	return req, nil
}

func (d *Dispatcher) customRequest(ctx context.Context, e events.EventBridgeEvent) (provision.Request, *skip) {
	// Names are matched exactly and a name given twice is refused, as for
	// the API: {"ACCOUNTID": ...} must not pass for the accountId an
	// EventBridge rule filtering on detail.accountId would see. Other
	// members are ignored (the event schema allows them).
	fields, err := decodeObject(e.Detail)
	var det map[string]string
	if err == nil {
		det, err = stringFields(fields, provisionFields)
	}
	if err != nil {
		return provision.Request{}, &skip{"the provisioning event's detail must be an object of strings {region, streamName, accountId?, sandbox?}: " + err.Error(), slog.LevelError}
	}
	if det["streamName"] == "" {
		return provision.Request{}, &skip{"the provisioning event's detail has no streamName", slog.LevelError}
	}
	req := provision.Request{
		AccountID:     first(det["accountId"], e.AccountID),
		Region:        det["region"],
		StreamName:    det["streamName"],
		Sandbox:       first(det["sandbox"], d.cfg.DefaultSandbox),
		Trigger:       provision.TriggerEvent,
		CorrelationID: e.ID,
	}
	if !d.serves(ctx, req.AccountID) {
		return provision.Request{}, &skip{fmt.Sprintf("account %s is not served by this function", echo(req.AccountID)), slog.LevelWarn}
	}
	return req, nil
}

// tagsOrEmpty makes "created without tags" (known: none) differ from
// "tags unknown" (nil).
func tagsOrEmpty(tags map[string]string) map[string]string {
	if tags == nil {
		return map[string]string{}
	}
	return tags
}

func countDeleted(out []provision.Deprovisioned) int {
	n := 0
	for _, o := range out {
		if o.Status == provision.DeprovisionDeleted {
			n++
		}
	}
	return n
}

func first(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// handleDirect serves a direct invocation, whose payload is the API's body.
func (d *Dispatcher) handleDirect(ctx context.Context, payload []byte, sum *summary) (any, error) {
	sum.trigger = provision.TriggerDirect
	if fields, err := decodeObject(payload); err == nil {
		action, err := directAction(fields)
		if err != nil {
			sum.outcome, sum.err = "rejected", err
			return nil, &InvalidRequestError{Message: "invalid direct invocation: " + err.Error()}
		}
		if action == reconcileAction {
			return d.directReconcile(ctx, fields, sum)
		}
	}
	req, err := decodeProvisionBody(payload)
	if err != nil {
		sum.outcome, sum.err = "rejected", err
		return nil, &InvalidRequestError{Message: "invalid direct invocation: " + err.Error()}
	}
	correlationID := requestID(ctx)
	sum.correlID = correlationID
	req = d.fillDefaults(ctx, req, provision.TriggerDirect, correlationID)
	if !d.serves(ctx, req.AccountID) {
		err := &AccountNotServedError{AccountID: req.AccountID}
		sum.outcome, sum.err = "rejected", err
		return nil, err
	}
	res, err := d.svc.Provision(ctx, req)
	if err != nil {
		f := classifyError(err)
		sum.outcome, sum.err = "failed", err
		if f.status < 500 {
			sum.outcome = "rejected"
		}
		return nil, lambdaError(f, err)
	}
	sum.outcome, sum.result = "provisioned", &res
	return res, nil
}
