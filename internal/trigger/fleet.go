package trigger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/aws/aws-lambda-go/events"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/provision"
)

// Event shapes of fleet management.
const (
	scheduledDetailType     = "Scheduled Event"
	eventsSource            = "aws.events"
	serviceEventDetailType  = "AWS Service Event via CloudTrail"
	secretsManagerSource    = "aws.secretsmanager"
	secretsManagerEventSrc  = "secretsmanager.amazonaws.com"
	rotationSucceeded       = "RotationSucceeded"
	reconcileAction         = "reconcile"
	reconcileActionField    = "action"
	statusReconciled        = "reconciled"
	statusKeysUpdated       = "keys-updated"
	skipSecretNotOursReason = "is not the Kinesis keys' secret"
)

// fleetEvent handles the scheduled reconciliation and Secrets Manager
// events; ok is false for any other event.
func (d *Dispatcher) fleetEvent(ctx context.Context, e events.EventBridgeEvent, sum *summary) (resp any, ok bool, err error) {
	switch {
	case e.DetailType == scheduledDetailType && e.Source == eventsSource:
		sum.trigger = provision.TriggerSchedule
		resp, err = d.reconcileAll(ctx, d.scheduledScope(ctx), provision.TriggerSchedule, e.ID, sum)
		return resp, true, err
	case (e.DetailType == cloudTrailDetailType || e.DetailType == serviceEventDetailType) && e.Source == secretsManagerSource:
		resp, err = d.rotation(ctx, e, sum)
		return resp, true, err
	}
	return nil, false, nil
}

// secretsManagerRecord is the part of a Secrets Manager CloudTrail record
// the function reads.
type secretsManagerRecord struct {
	EventSource         string `json:"eventSource"`
	EventName           string `json:"eventName"`
	ErrorCode           string `json:"errorCode"`
	AdditionalEventData *struct {
		SecretID string `json:"SecretId"`
	} `json:"additionalEventData"`
	RequestParameters *struct {
		SecretID string `json:"secretId"`
	} `json:"requestParameters"`
}

// rotation carries a changed Kinesis secret to Adobe.
func (d *Dispatcher) rotation(ctx context.Context, e events.EventBridgeEvent, sum *summary) (any, error) {
	sum.trigger = provision.TriggerRotation
	var rec secretsManagerRecord
	if err := json.Unmarshal(e.Detail, &rec); err != nil {
		return d.skipped(sum, skip{"the Secrets Manager record could not be decoded", slog.LevelError}), nil
	}
	var secretID string
	switch {
	case rec.EventSource != secretsManagerEventSrc:
		return d.skipped(sum, skip{fmt.Sprintf("record from %s is not handled", echo(rec.EventSource)), slog.LevelInfo}), nil
	case rec.ErrorCode != "":
		return d.skipped(sum, skip{fmt.Sprintf("%s failed with %s; the secret did not change", echo(rec.EventName), echo(rec.ErrorCode)), slog.LevelInfo}), nil
	case rec.EventName == rotationSucceeded && rec.AdditionalEventData != nil:
		secretID = rec.AdditionalEventData.SecretID
	case (rec.EventName == "PutSecretValue" || rec.EventName == "UpdateSecret") && rec.RequestParameters != nil:
		secretID = rec.RequestParameters.SecretID
	default:
		return d.skipped(sum, skip{fmt.Sprintf("Secrets Manager %s is not handled", echo(rec.EventName)), slog.LevelInfo}), nil
	}
	if secretID == "" {
		return d.skipped(sum, skip{"the Secrets Manager record names no secret", slog.LevelError}), nil
	}
	out, err := d.svc.RotateKeys(ctx, provision.RotationRequest{SecretID: secretID, Trigger: provision.TriggerRotation, CorrelationID: e.ID})
	switch {
	case errors.Is(err, provision.ErrSecretNotOurs):
		return d.skipped(sum, skip{fmt.Sprintf("secret %s %s", echo(secretID), skipSecretNotOursReason), slog.LevelInfo}), nil
	case err != nil:
		sum.outcome, sum.err = "failed", err
		return nil, lambdaError(classifyError(err), err)
	}
	sum.outcome, sum.reason = statusKeysUpdated, fmt.Sprintf("%d connection(s)", len(out))
	for _, u := range out {
		if u.ConnectionTest == provision.TestFailed {
			sum.level = slog.LevelWarn
		}
	}
	return Outcome{Status: statusKeysUpdated, KeysUpdated: out}, nil
}

// reconcileScope is which accounts and regions a reconciliation covers.
type reconcileScope struct {
	accounts, regions []string
	sandbox           string
}

// scheduledScope is every served account in every configured region.
func (d *Dispatcher) scheduledScope(ctx context.Context) reconcileScope {
	accounts := d.cfg.AllowedAccountIDs
	if len(accounts) == 0 {
		accounts = []string{functionAccount(ctx)}
	}
	return reconcileScope{accounts: accounts, regions: d.cfg.ReconcileRegions, sandbox: d.cfg.DefaultSandbox}
}

// reconcileAll runs one reconciliation per account and region. Streams that
// failed make the invocation fail (after every summary was published) so
// that the failure is seen and retried.
func (d *Dispatcher) reconcileAll(ctx context.Context, scope reconcileScope, t provision.Trigger, correlationID string, sum *summary) (any, error) {
	if len(scope.regions) == 0 {
		err := errors.New("no region to reconcile (set RECONCILE_REGIONS)")
		sum.outcome, sum.err = "failed", err
		return nil, &ProvisioningError{Message: err.Error()}
	}
	var out []provision.ReconcileSummary
	failed := 0
	for _, account := range scope.accounts {
		for _, region := range scope.regions {
			s, err := d.svc.Reconcile(ctx, provision.ReconcileRequest{AccountID: account, Region: region, Sandbox: scope.sandbox, Trigger: t, CorrelationID: correlationID})
			if err != nil {
				sum.outcome, sum.err = "failed", err
				return nil, lambdaError(classifyError(err), err)
			}
			failed += s.Failed
			out = append(out, s)
		}
	}
	sum.outcome, sum.reason = statusReconciled, reconcileReason(out)
	if failed > 0 {
		err := fmt.Errorf("%d stream(s) could not be provisioned; the summary event lists them", failed)
		sum.outcome, sum.err = "failed", err
		return nil, &RetryableError{Message: "reconciliation incomplete: " + err.Error()}
	}
	return Outcome{Status: statusReconciled, Reconciled: out}, nil
}

func reconcileReason(out []provision.ReconcileSummary) string {
	var seen, created, present, failed int
	for _, s := range out {
		seen, created, present, failed = seen+s.Seen, created+s.Created, present+s.AlreadyPresent, failed+s.Failed
	}
	return fmt.Sprintf("seen %d, created %d, already present %d, failed %d", seen, created, present, failed)
}

// postReconcile reconciles one account and region: POST /reconcile with
// {"region", "accountId"?, "sandbox"?}.
func (d *Dispatcher) postReconcile(ctx context.Context, r httpRequest, _ map[string]string, sum *summary) response {
	if err := noQuery(r); err != nil {
		return reject(sum, http.StatusBadRequest, "InvalidRequest", err)
	}
	body, status, err := requestBody(r)
	if err != nil {
		return reject(sum, status, statusCode(status), err)
	}
	req, err := decodeProvisionBody(body)
	if err == nil && req.StreamName != "" {
		err = errors.New("POST /reconcile takes no streamName: it covers every stream of the account and region")
	}
	if err != nil {
		return reject(sum, http.StatusBadRequest, "InvalidRequest", err)
	}
	req = d.fillDefaults(ctx, req, provision.TriggerReconcile, r.requestID)
	if !d.serves(ctx, req.AccountID) {
		return reject(sum, http.StatusForbidden, "AccountNotServed", &AccountNotServedError{AccountID: req.AccountID})
	}
	s, err := d.svc.Reconcile(ctx, provision.ReconcileRequest{AccountID: req.AccountID, Region: req.Region, Sandbox: req.Sandbox, Trigger: provision.TriggerReconcile, CorrelationID: r.requestID})
	if err != nil {
		return fail(ctx, sum, err)
	}
	sum.outcome, sum.status, sum.reason = statusReconciled, http.StatusOK, reconcileReason([]provision.ReconcileSummary{s})
	return jsonResponse(http.StatusOK, s)
}

// directReconcile serves {"action":"reconcile", "region"?, "accountId"?,
// "sandbox"?}: without a region every RECONCILE_REGIONS region.
func (d *Dispatcher) directReconcile(ctx context.Context, fields map[string]json.RawMessage, sum *summary) (any, error) {
	sum.trigger = provision.TriggerReconcile
	delete(fields, reconcileActionField)
	req, err := requestFromFields(fields)
	if err == nil && req.StreamName != "" {
		err = errors.New("a reconciliation takes no streamName")
	}
	if err != nil {
		sum.outcome, sum.err = "rejected", err
		return nil, &InvalidRequestError{Message: "invalid direct invocation: " + err.Error()}
	}
	correlationID := requestID(ctx)
	sum.correlID = correlationID
	req = d.fillDefaults(ctx, req, provision.TriggerReconcile, correlationID)
	if !d.serves(ctx, req.AccountID) {
		err := &AccountNotServedError{AccountID: req.AccountID}
		sum.outcome, sum.err = "rejected", err
		return nil, err
	}
	scope := reconcileScope{accounts: []string{req.AccountID}, regions: d.cfg.ReconcileRegions, sandbox: req.Sandbox}
	if req.Region != "" {
		scope.regions = []string{req.Region}
	}
	return d.reconcileAll(ctx, scope, provision.TriggerReconcile, correlationID, sum)
}

// directAction reads the optional "action" of a direct invocation.
func directAction(fields map[string]json.RawMessage) (string, error) {
	raw, ok := fields[reconcileActionField]
	if !ok {
		return "", nil
	}
	var action string
	if err := json.Unmarshal(raw, &action); err != nil || action != reconcileAction {
		return "", fmt.Errorf("field %q must be %q (or absent, to provision)", reconcileActionField, reconcileAction)
	}
	return reconcileAction, nil
}
