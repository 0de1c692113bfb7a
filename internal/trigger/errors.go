package trigger

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/eventbus"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/flowservice"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/imsauth"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/provision"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/secrets"
)

// The errors below are what Lambda reports, by type name, as errorType when
// the function fails a direct or asynchronous invocation.

// InvalidRequestError reports input that can never succeed as sent.
type InvalidRequestError struct{ Message string }

func (e *InvalidRequestError) Error() string { return e.Message }

// AccountNotServedError reports a request for an account the function is not
// configured to serve.
type AccountNotServedError struct{ AccountID string }

func (e *AccountNotServedError) Error() string {
	return "account " + echo(e.AccountID) + " is not served by this function (see ALLOWED_ACCOUNT_IDS)"
}

// StreamNotSelectedError reports a stream the configured selection leaves
// out (STREAM_INCLUDE, STREAM_EXCLUDE, the opt tag).
type StreamNotSelectedError struct{ Message string }

func (e *StreamNotSelectedError) Error() string { return e.Message }

// RetryableError reports a failure that a later attempt may not meet:
// throttling, an unavailable dependency, a timeout, an event that could not
// be published yet.
type RetryableError struct{ Message string }

func (e *RetryableError) Error() string { return e.Message }

// ProvisioningError reports a failure that retrying will not fix without a
// change: rejected credentials, a missing secret, a refused request.
type ProvisioningError struct{ Message string }

func (e *ProvisioningError) Error() string { return e.Message }

// InternalError reports a bug; the logs have the details.
type InternalError struct{ Message string }

func (e *InternalError) Error() string { return e.Message }

// failure is how the boundary presents an error from the use case.
type failure struct {
	status     int    // HTTP status for API callers
	code       string // error code for API callers
	message    string // safe for any caller: no internals, no secrets
	retryable  bool
	retryAfter time.Duration
}

// classify maps a use-case error to what callers are told. Messages name
// what failed and what to do, never addresses, secret ids or values.
func classifyError(err error) failure {
	var (
		reqErr   *provision.RequestError
		stepErr  *provision.StepError
		flowErr  *flowservice.Error
		imsErr   *imsauth.Error
		secErr   *secrets.Error
		entryErr *eventbus.EntryError
		heldErr  *provision.LockHeldError
		notSel   *provision.NotSelectedError
		rejected *provision.CredentialsRejectedError
	)
	switch {
	case errors.As(err, &reqErr):
		return failure{status: http.StatusBadRequest, code: "InvalidRequest", message: reqErr.Error()}
	case errors.As(err, &notSel):
		return failure{status: http.StatusUnprocessableEntity, code: "StreamNotSelected", message: notSel.Error()}
	case errors.As(err, &rejected):
		return failure{status: http.StatusBadGateway, code: "CredentialsRejected", message: "Adobe rejected the Kinesis keys (re-read from their secret); check the keys and their IAM permissions"}
	case errors.As(err, &heldErr):
		return failure{status: http.StatusServiceUnavailable, code: "ProvisioningInProgress", message: "another invocation is provisioning this connection; retry shortly", retryable: true, retryAfter: heldErr.RetryAfter}
	case errors.Is(err, context.DeadlineExceeded):
		return failure{status: http.StatusGatewayTimeout, code: "Timeout", message: "the function ran out of time before provisioning finished; retry", retryable: true}
	case errors.Is(err, context.Canceled):
		return failure{status: http.StatusServiceUnavailable, code: "Cancelled", message: "the invocation was cancelled; retry", retryable: true}
	case errors.As(err, &secErr):
		return failure{status: http.StatusInternalServerError, code: "ConfigurationError", message: "a credentials secret of the function is missing or invalid; the function's logs name it"}
	case errors.As(err, &imsErr):
		if imsErr.Temporary() {
			return failure{status: http.StatusServiceUnavailable, code: "AdobeUnavailable", message: "Adobe IMS is unavailable; retry later", retryable: true}
		}
		return failure{status: http.StatusBadGateway, code: "AdobeAuthFailed", message: "Adobe IMS refused the function's credentials (" + imsErr.Code + ")"}
	case errors.As(err, &flowErr):
		if flowErr.SandboxNotFound() {
			// The caller named a sandbox Experience Platform does not have.
			return failure{status: http.StatusBadRequest, code: "InvalidRequest", message: "sandbox: Adobe Experience Platform has no such sandbox, or the function's credential cannot use it (" + flowErr.Code + ")"}
		}
		if flowErr.Temporary() {
			return failure{status: http.StatusServiceUnavailable, code: "AdobeUnavailable", message: "Adobe Flow Service is unavailable or throttling; retry later", retryable: true, retryAfter: flowErr.RetryAfter}
		}
		msg := "Adobe Flow Service refused the request"
		if flowErr.Code != "" {
			msg += " (" + flowErr.Code + ")"
		}
		return failure{status: http.StatusBadGateway, code: "AdobeRejected", message: msg}
	case errors.As(err, &entryErr), errors.As(err, &stepErr) && stepErr.Step == provision.StepPublish:
		return failure{status: http.StatusServiceUnavailable, code: "PublishFailed", message: "the connection exists but its event could not be published yet; retry", retryable: true, retryAfter: time.Second}
	}
	// Anything else comes from an AWS SDK call or the network: worth a retry.
	return failure{status: http.StatusServiceUnavailable, code: "DependencyUnavailable", message: "a dependency of the function failed; retry later", retryable: true}
}

// lambdaError is the error returned to Lambda for a failed direct or
// asynchronous invocation.
func lambdaError(f failure, err error) error {
	switch {
	case f.status == http.StatusBadRequest:
		return &InvalidRequestError{Message: err.Error()}
	case f.status == http.StatusUnprocessableEntity:
		return &StreamNotSelectedError{Message: err.Error()}
	case f.retryable:
		return &RetryableError{Message: f.message + ": " + err.Error()}
	default:
		return &ProvisioningError{Message: f.message + ": " + err.Error()}
	}
}
