package provision

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/contracts"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/flowservice"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/ledger"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/secrets"
)

// Outcomes of the connection test run right after a base connection is
// created.
const (
	TestPassed  = "passed"
	TestFailed  = "failed"
	TestSkipped = "skipped"
)

// baseResource is the base connection of an account, region and sandbox.
func (s *Service) baseResource(req Request, key ledger.Key, rn *run) resource {
	name := s.ConnectionName(req.AccountID, req.Region, req.Sandbox)
	return resource{
		key:  key,
		name: name,
		what: "Flow Service connection",
		verify: func(ctx context.Context, id string) (bool, error) {
			return exists(s.deps.Flow.GetConnection(ctx, req.Sandbox, id))
		},
		find: func(ctx context.Context) ([]found, error) {
			conns, err := s.deps.Flow.FindConnections(ctx, req.Sandbox, "name=="+name, "connectionSpec.id=="+contracts.KinesisConnectionSpecID)
			var out []found
			for _, c := range conns {
				// The listing's filter is the server's: check again.
				if c.Name == name && c.ConnectionSpec.ID == contracts.KinesisConnectionSpecID {
					out = append(out, found{id: c.ID, etag: c.ETag, createdAt: c.CreatedAt, enabled: c.State == "" || c.State == "enabled"})
				}
			}
			return out, err
		},
		create: func(ctx context.Context) (ledger.Completion, error) {
			return s.createBase(ctx, req, name, rn)
		},
		afterCreate: func(ctx context.Context, id, etag string) { s.startTest(ctx, req, id, etag, rn) },
		createdBy:   req.CorrelationID,
		verifyStep:  StepVerifyConnection,
		findStep:    StepFindConnection,
	}
}

// createBase reads the keys, creates the connection and tests it once.
func (s *Service) createBase(ctx context.Context, req Request, name string, rn *run) (ledger.Completion, error) {
	secretID := secrets.ExpandID(s.cfg.KinesisSecretID, req.AccountID, req.Region)
	var (
		keys     secrets.KinesisKeys
		keysErr  error
		specName string
		wg       sync.WaitGroup
	)
	// The keys and the auth spec name do not depend on each other.
	wg.Go(func() { keys, keysErr = s.deps.Keys.KinesisKeys(ctx, secretID) })
	specName, specWarning, specErr := s.authSpecName(ctx, req.Sandbox)
	wg.Wait()
	if keysErr != nil {
		return ledger.Completion{}, &StepError{Step: StepReadKeys, Err: keysErr}
	}
	if specErr != nil {
		return ledger.Completion{}, &StepError{Step: StepAuthSpec, Err: specErr}
	}
	if specWarning != "" {
		rn.warn("%s", specWarning)
	}
	if keys.Region != "" && keys.Region != req.Region {
		rn.warn("secret %q names region %q but the stream is in %q; the connection uses the stream's region", secretID, keys.Region, req.Region)
	}
	newRequest := func(keys secrets.KinesisKeys) *flowservice.ConnectionRequest {
		return &flowservice.ConnectionRequest{
			Name:        name,
			Description: fmt.Sprintf("Amazon Kinesis streams of AWS account %s in %s, managed by aep-kinesis-provisioner", req.AccountID, req.Region),
			ProviderID:  s.cfg.ProviderID,
			Auth: flowservice.Auth{
				SpecName: specName,
				Params:   authParams(keys, req.Region),
			},
			ConnectionSpec: flowservice.SpecRef{ID: contracts.KinesisConnectionSpecID, Version: connectionSpecVersion},
		}
	}
	created, err := s.deps.Flow.CreateConnection(ctx, req.Sandbox, newRequest(keys))
	if credentialsRefused(err) {
		// The keys may have been rotated since they were cached: read the
		// secret again, once, and try again only if it changed.
		fresh, rerr := s.rereadKeys(ctx, secretID)
		if rerr != nil {
			return ledger.Completion{}, &StepError{Step: StepReadKeys, Err: rerr}
		}
		if fresh == keys {
			return ledger.Completion{}, &StepError{Step: StepCreateConnection, Err: &CredentialsRejectedError{SecretID: secretID, Err: err}}
		}
		rn.warn("the Kinesis keys in secret %q had changed since they were cached; creating the connection with the new ones", secretID)
		keys = fresh
		created, err = s.deps.Flow.CreateConnection(ctx, req.Sandbox, newRequest(keys))
		if credentialsRefused(err) {
			return ledger.Completion{}, &StepError{Step: StepCreateConnection, Err: &CredentialsRejectedError{SecretID: secretID, Reread: true, Err: err}}
		}
	}
	if err != nil {
		return ledger.Completion{}, &StepError{Step: StepCreateConnection, Err: err}
	}
	return ledger.Completion{ConnectionID: created.ID, ETag: created.ETag, Name: name, CreatedBy: req.CorrelationID}, nil
}

// startTest tests a connection this call created. The test runs while the
// connection is recorded and the stream's source connection is made;
// provision waits for it before publishing.
func (s *Service) startTest(ctx context.Context, req Request, id, etag string, rn *run) {
	rn.baseTest = make(chan tested, 1)
	go func() {
		secretID := secrets.ExpandID(s.cfg.KinesisSecretID, req.AccountID, req.Region)
		var outcome, newETag string
		keys, err := s.deps.Keys.KinesisKeys(ctx, secretID) // cached by the creation
		if err != nil {
			rn.warn("the test of connection %s could not run: %v", id, err)
			outcome = TestSkipped
		} else if outcome, newETag = s.testWithFreshKeys(ctx, req, secretID, keys, id, etag, rn); newETag == etag {
			newETag = ""
		}
		rn.baseTest <- tested{outcome: outcome, etag: newETag}
	}()
}

func authParams(keys secrets.KinesisKeys, region string) flowservice.KinesisAuthParams {
	return flowservice.KinesisAuthParams{AccessKeyID: keys.AccessKeyID, SecretKey: keys.SecretKey, Region: region}
}

// rereadKeys reads the Kinesis secret again, bypassing the cache.
func (s *Service) rereadKeys(ctx context.Context, secretID string) (secrets.KinesisKeys, error) {
	s.deps.Keys.Forget(secretID)
	return s.deps.Keys.KinesisKeys(ctx, secretID)
}

// testWithFreshKeys tests a new connection; when the test fails it reads the
// secret again, once, and if the keys rotated meanwhile puts the new ones on
// the connection (PATCH with If-Match) and tests again. A connection whose
// keys are still rejected is reported, not rolled back. It returns the test
// outcome and the connection's etag.
func (s *Service) testWithFreshKeys(ctx context.Context, req Request, secretID string, keys secrets.KinesisKeys, id, etag string, rn *run) (string, string) {
	test := s.testConnection(ctx, req.Sandbox, id, rn)
	if test != TestFailed {
		return test, etag
	}
	fresh, err := s.rereadKeys(ctx, secretID)
	if err != nil {
		rn.warn("could not re-read secret %q after the failed test: %v", secretID, err)
		return test, etag
	}
	if fresh != keys {
		updated, err := s.deps.Flow.UpdateConnection(ctx, req.Sandbox, id, etag, []flowservice.PatchOperation{
			{Op: flowservice.PatchOpReplace, Path: "/auth/params", Value: authParams(fresh, req.Region)},
		})
		if err != nil {
			rn.warn("could not put the rotated keys of secret %q on connection %s: %v", secretID, id, err)
			return test, etag
		}
		etag = updated.ETag
		rn.warn("the Kinesis keys in secret %q had changed; connection %s now uses the new ones", secretID, id)
	}
	if test = s.testConnection(ctx, req.Sandbox, id, rn); test == TestFailed {
		rn.warn("credentials rejected: Flow Service's test of connection %s still fails with the current keys of secret %q", id, secretID)
	}
	return test, etag
}

// credentialsRefused reports whether Flow Service refused a create in a way
// that may be about the keys: a 400 that is not about the request's shape
// (1000 validation, 1304 missing field) or the auth spec (1415). Adobe
// documents no specific code for rejected Kinesis keys.
func credentialsRefused(err error) bool {
	var fsErr *flowservice.Error
	if !errors.As(err, &fsErr) || fsErr.StatusCode != http.StatusBadRequest {
		return false
	}
	for _, shape := range []string{"1000", "1304", "1415"} {
		if strings.Contains(fsErr.Code, shape) {
			return false
		}
	}
	return true
}

// CredentialsRejectedError reports Kinesis keys that Adobe refuses, after
// the secret was read again.
type CredentialsRejectedError struct {
	SecretID string
	// Reread is true when the secret had changed and the new keys were
	// refused too.
	Reread bool
	Err    error
}

func (e *CredentialsRejectedError) Error() string {
	how := "the secret is unchanged since they were used"
	if e.Reread {
		how = "the keys were re-read from the secret and refused again"
	}
	return fmt.Sprintf("credentials rejected: Adobe refused the Kinesis keys of secret %q (%s): %v", e.SecretID, how, e.Err)
}

func (e *CredentialsRejectedError) Unwrap() error { return e.Err }

// testConnection runs GET /connections/{id}/test.
func (s *Service) testConnection(ctx context.Context, sandbox, id string, rn *run) string {
	ok, err := s.deps.Flow.TestConnection(ctx, sandbox, id)
	switch {
	case err != nil:
		rn.warn("the test of connection %s could not run: %v", id, err)
		return TestSkipped
	case !ok:
		rn.warn("connection %s was created but Flow Service's test of it failed: check the Kinesis keys' permissions (kinesis:GetShardIterator, GetRecords, DescribeStream, ListStreams)", id)
		return TestFailed
	}
	return TestPassed
}

// authSpecName returns the auth spec name to create connections with: the
// configured one when the Kinesis connection spec lists it, else the listed
// spec that takes access keys (with a warning). The spec is read once per
// container; when reading it fails, the configured name is used.
func (s *Service) authSpecName(ctx context.Context, sandbox string) (name, warning string, err error) {
	s.specMu.Lock()
	defer s.specMu.Unlock()
	if s.specNames == nil {
		spec, err := s.deps.Flow.GetConnectionSpec(ctx, sandbox, contracts.KinesisConnectionSpecID)
		if err != nil {
			return s.cfg.AuthSpecName, "", nil
		}
		s.specNames = spec.AuthSpec
	}
	names := make([]string, len(s.specNames))
	for i, a := range s.specNames {
		names[i] = a.Name
	}
	if slices.Contains(names, s.cfg.AuthSpecName) {
		return s.cfg.AuthSpecName, "", nil
	}
	for _, a := range s.specNames {
		if takesAccessKeys(a.Spec) {
			return a.Name, fmt.Sprintf("auth spec %q is not listed by the Kinesis connection spec; using %q, which takes access keys (set AUTH_SPEC_NAME to it)", s.cfg.AuthSpecName, a.Name), nil
		}
	}
	return "", "", &AuthSpecError{Configured: s.cfg.AuthSpecName, Listed: names}
}

// takesAccessKeys reports whether an auth spec's JSON schema has the
// accessKeyId and secretKey properties.
func takesAccessKeys(spec json.RawMessage) bool {
	var s struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if json.Unmarshal(spec, &s) != nil {
		return false
	}
	_, id := s.Properties["accessKeyId"]
	_, key := s.Properties["secretKey"]
	return id && key
}

// AuthSpecError reports that the Kinesis connection spec lists no auth spec
// that takes access keys.
type AuthSpecError struct {
	Configured string
	Listed     []string
}

func (e *AuthSpecError) Error() string {
	return fmt.Sprintf("the Kinesis connection spec lists no auth spec that takes access keys (configured %q; listed %q)", e.Configured, e.Listed)
}

// exists turns a Flow Service GET into whether the resource exists.
func exists[T any](_ *T, err error) (bool, error) {
	var fsErr *flowservice.Error
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &fsErr) && fsErr.NotFound():
		return false, nil
	}
	return false, err
}
