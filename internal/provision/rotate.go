package provision

import (
	"context"
	"errors"
	"regexp"
	"strings"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/eventbus"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/flowservice"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/ledger"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/secrets"
)

// DetailTypeCredentialsUpdated is the detail type of the event published
// for each connection whose keys were updated after a rotation.
const DetailTypeCredentialsUpdated = "Kinesis Connection Credentials Updated"

// Outcomes of updating one connection's keys.
const (
	CredentialsUpdated = "updated"
	// CredentialsMissing: Flow Service no longer has the connection; the
	// next provisioning or reconciliation makes it again.
	CredentialsMissing = "missing"
)

// StepUpdateConnection names the update step in errors.
const StepUpdateConnection = "update the connection's keys"

// ErrSecretNotOurs is returned by RotateKeys for a secret that is not the
// Kinesis keys' secret (or an instance of its template).
var ErrSecretNotOurs = errors.New("the secret is not the Kinesis keys' secret")

// RotationRequest names a secret whose value changed (a Secrets Manager
// RotationSucceeded event, or CloudTrail PutSecretValue / UpdateSecret).
type RotationRequest struct {
	// SecretID is the secret's name or ARN, as the event gives it.
	SecretID      string
	Trigger       Trigger
	CorrelationID string
}

// KeysUpdated is the outcome for one connection; it is also the detail of
// the event published for it. It never holds the keys.
type KeysUpdated struct {
	Status         string  `json:"status"`
	ConnectionID   string  `json:"connectionId"`
	ETag           string  `json:"etag,omitempty"`
	AccountID      string  `json:"accountId"`
	Region         string  `json:"region"`
	Sandbox        string  `json:"sandbox"`
	SecretID       string  `json:"secretId"`
	ConnectionTest string  `json:"connectionTest"`
	Trigger        Trigger `json:"trigger"`
	CorrelationID  string  `json:"correlationId"`
}

// RotateKeys carries a rotated Kinesis secret to Adobe: every base
// connection that uses it gets the new keys (PATCH with If-Match, re-read
// and retried on 412), is tested, and one event per connection says so. A
// connection whose test fails after the update is reported, not rolled back.
func (s *Service) RotateKeys(ctx context.Context, req RotationRequest) ([]KeysUpdated, error) {
	account, region, ok := s.matchSecret(req.SecretID)
	if !ok {
		return nil, ErrSecretNotOurs
	}
	recs, err := s.deps.Ledger.Bases(ctx, account)
	if err != nil {
		return nil, &StepError{Step: StepLedger, Err: err}
	}
	var out []KeysUpdated
	fresh := map[string]secrets.KinesisKeys{}
	for _, rec := range recs {
		if rec.State != ledger.Ready || (region != "" && rec.Key.Region != region) {
			continue
		}
		secretID := secrets.ExpandID(s.cfg.KinesisSecretID, rec.Key.AccountID, rec.Key.Region)
		keys, ok := fresh[secretID]
		if !ok {
			if keys, err = s.rereadKeys(ctx, secretID); err != nil {
				return out, &StepError{Step: StepReadKeys, Err: err}
			}
			fresh[secretID] = keys
		}
		u, err := s.updateKeys(ctx, rec, secretID, keys, req)
		if err != nil {
			return out, err
		}
		if err := s.deps.Publisher.Publish(ctx, eventbus.Event{DetailType: DetailTypeCredentialsUpdated, Detail: u}); err != nil {
			return out, &StepError{Step: StepPublish, ConnectionID: u.ConnectionID, Err: err}
		}
		out = append(out, u)
	}
	return out, nil
}

// updateKeys puts keys on one connection and tests it.
func (s *Service) updateKeys(ctx context.Context, rec ledger.Record, secretID string, keys secrets.KinesisKeys, req RotationRequest) (KeysUpdated, error) {
	u := KeysUpdated{
		ConnectionID: rec.ConnectionID, AccountID: rec.Key.AccountID, Region: rec.Key.Region, Sandbox: rec.Key.Sandbox,
		SecretID: secretID, ConnectionTest: TestSkipped, Trigger: req.Trigger, CorrelationID: req.CorrelationID,
	}
	ops := []flowservice.PatchOperation{{Op: flowservice.PatchOpReplace, Path: "/auth/params", Value: authParams(keys, rec.Key.Region)}}
	etag := rec.ETag
	for attempt := 1; ; attempt++ {
		updated, err := s.deps.Flow.UpdateConnection(ctx, rec.Key.Sandbox, rec.ConnectionID, etag, ops)
		var fsErr *flowservice.Error
		switch {
		case err == nil:
			u.Status, u.ETag = CredentialsUpdated, updated.ETag
		case errors.As(err, &fsErr) && fsErr.NotFound():
			u.Status = CredentialsMissing
			return u, nil
		case errors.As(err, &fsErr) && fsErr.PreconditionFailed() && attempt < 3:
			// Someone changed the connection since the etag was recorded:
			// read the current one and try again.
			c, err := s.deps.Flow.GetConnection(ctx, rec.Key.Sandbox, rec.ConnectionID)
			if err != nil {
				return u, &StepError{Step: StepUpdateConnection, ConnectionID: rec.ConnectionID, Err: err}
			}
			etag = c.ETag
			continue
		default:
			return u, &StepError{Step: StepUpdateConnection, ConnectionID: rec.ConnectionID, Err: err}
		}
		break
	}
	if err := s.deps.Ledger.Annotate(ctx, rec.Key, rec.ConnectionID, ledger.Note{ETag: u.ETag}); err != nil {
		return u, &StepError{Step: StepLedger, ConnectionID: rec.ConnectionID, Err: err}
	}
	u.ConnectionTest = s.testConnection(ctx, rec.Key.Sandbox, rec.ConnectionID, &run{})
	return u, nil
}

// matchSecret tells whether secretRef (a name or an ARN) is the Kinesis
// secret, or an instance of its template; it returns the account and region
// the instance is for ("" when the template does not depend on them).
func (s *Service) matchSecret(secretRef string) (account, region string, ok bool) {
	pattern := secretPattern(secretName(s.cfg.KinesisSecretID))
	for _, candidate := range secretNames(secretRef) {
		m := pattern.FindStringSubmatch(candidate)
		if m == nil {
			continue
		}
		for i, name := range pattern.SubexpNames() {
			switch name {
			case "account":
				account = m[i]
			case "region":
				region = m[i]
			}
		}
		return account, region, true
	}
	return "", "", false
}

// secretPattern turns a secret id template into a regular expression.
func secretPattern(template string) *regexp.Regexp {
	quoted := regexp.QuoteMeta(template)
	quoted = strings.Replace(quoted, regexp.QuoteMeta("{accountId}"), `(?P<account>[0-9]{12})`, 1)
	quoted = strings.ReplaceAll(quoted, regexp.QuoteMeta("{accountId}"), `[0-9]{12}`)
	quoted = strings.Replace(quoted, regexp.QuoteMeta("{region}"), `(?P<region>[a-z]{2}(?:-[a-z]+)+-[0-9]+)`, 1)
	quoted = strings.ReplaceAll(quoted, regexp.QuoteMeta("{region}"), `[a-z0-9-]+`)
	return regexp.MustCompile("^" + quoted + "$")
}

// arnSuffix is the random suffix Secrets Manager appends to a secret's name
// in its ARN.
var arnSuffix = regexp.MustCompile(`-[A-Za-z0-9]{6}$`)

// secretName is the name part of a secret id (its ARN's, without the
// random suffix).
func secretName(id string) string {
	if _, name, ok := strings.Cut(id, ":secret:"); ok && strings.HasPrefix(id, "arn:") {
		return arnSuffix.ReplaceAllString(name, "")
	}
	return id
}

// secretNames are the names a secret reference may stand for: an ARN's name
// with and without what looks like the random suffix.
func secretNames(ref string) []string {
	if _, name, ok := strings.Cut(ref, ":secret:"); ok && strings.HasPrefix(ref, "arn:") {
		return []string{arnSuffix.ReplaceAllString(name, ""), name}
	}
	return []string{ref}
}
