package provision

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/contracts"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/eventbus"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/flowservice"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/ledger"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/secrets"
)

// DetailTypeProvisioned is the detail type of the event published for every
// provisioned connection.
const DetailTypeProvisioned = "Kinesis Connection Provisioned"

// connectionSpecVersion is the Kinesis connection spec version Flow Service
// documents.
const connectionSpecVersion = "1.0"

// Defaults of Config.
const (
	// DefaultNameTemplate names connections so people can tell in the
	// Experience Platform UI which account and region each serves.
	DefaultNameTemplate = "Amazon Kinesis {accountId} {region}"
	DefaultVerifyAfter  = 24 * time.Hour
	DefaultLockWait     = 10 * time.Second
	// defaultLockTTL is the lock's life when the context has no deadline.
	defaultLockTTL      = time.Minute
	defaultPollInterval = 200 * time.Millisecond
)

// KeyReader reads the Kinesis access keys. *secrets.Store satisfies it.
type KeyReader interface {
	KinesisKeys(ctx context.Context, secretID string) (secrets.KinesisKeys, error)
	// Forget drops a cached value, so the next read sees a rotated secret.
	Forget(secretID string)
}

// FlowService is the part of Flow Service the use case calls.
// *flowservice.Client satisfies it.
type FlowService interface {
	CreateConnection(ctx context.Context, sandbox string, req *flowservice.ConnectionRequest) (*flowservice.Created, error)
	FindConnections(ctx context.Context, sandbox string, filters ...string) ([]flowservice.Connection, error)
	GetConnection(ctx context.Context, sandbox, id string) (*flowservice.Connection, error)
	UpdateConnection(ctx context.Context, sandbox, id, etag string, ops []flowservice.PatchOperation) (*flowservice.Created, error)
	TestConnection(ctx context.Context, sandbox, id string) (bool, error)
	GetConnectionSpec(ctx context.Context, sandbox, id string) (*flowservice.ConnectionSpec, error)
	CreateSourceConnection(ctx context.Context, sandbox string, req *flowservice.SourceConnectionRequest) (*flowservice.Created, error)
	FindSourceConnections(ctx context.Context, sandbox string, filters ...string) ([]flowservice.SourceConnection, error)
	GetSourceConnection(ctx context.Context, sandbox, id string) (*flowservice.SourceConnection, error)
	DeleteSourceConnection(ctx context.Context, sandbox, id string) error
}

// Ledger records which connection serves which key, and locks a key while
// its connection is made. *ledger.Table satisfies it.
type Ledger interface {
	Get(ctx context.Context, keys ...ledger.Key) (map[ledger.Key]ledger.Record, error)
	Acquire(ctx context.Context, key ledger.Key, owner string, until time.Time, replacing string) (bool, error)
	Complete(ctx context.Context, key ledger.Key, owner string, c ledger.Completion) error
	Annotate(ctx context.Context, key ledger.Key, connectionID string, n ledger.Note) error
	Touch(ctx context.Context, key ledger.Key, connectionID string, at time.Time) error
	Release(ctx context.Context, key ledger.Key, owner string) error
	Delete(ctx context.Context, key ledger.Key, connectionID string) error
	Stream(ctx context.Context, accountID, region, stream string) ([]ledger.Record, error)
	Region(ctx context.Context, accountID, region string) ([]ledger.Record, error)
	Bases(ctx context.Context, accountID string) ([]ledger.Record, error)
}

// Publisher publishes events. *eventbus.Publisher satisfies it.
type Publisher interface {
	Publish(ctx context.Context, events ...eventbus.Event) error
}

// Deps are the Service's collaborators; all are required.
type Deps struct {
	Keys      KeyReader
	Flow      FlowService
	Ledger    Ledger
	Publisher Publisher
	// Streams lists an account's streams; only reconciliation needs it.
	Streams StreamLister
}

// Config holds the use case's settings.
type Config struct {
	// KinesisSecretID is the id of the Kinesis keys' secret; it may contain
	// {accountId} and {region}.
	KinesisSecretID string
	// AuthSpecName is the connection's auth.specName.
	AuthSpecName string
	// ProviderID is the connection's providerId; empty leaves it out.
	ProviderID string
	// NameTemplate names connections; it may contain {accountId}, {region}
	// and {sandbox}. Empty means DefaultNameTemplate.
	NameTemplate string
	// VerifyAfter is the age after which a ledger record is checked
	// against Flow Service before it is trusted. Zero means
	// DefaultVerifyAfter.
	VerifyAfter time.Duration
	// LockWait bounds how long an invocation waits for another one that
	// holds the lock of the same connection. Zero means DefaultLockWait.
	LockWait time.Duration
	// LockGrace is added to the invocation's deadline to give the lock's
	// expiry (the function keeps a margin before the Lambda deadline).
	LockGrace time.Duration
	// PollInterval is how often a waiting invocation reads the ledger.
	PollInterval time.Duration
	// NoSourceConnections turns off the source connection per stream (on by
	// default): only base connections are made.
	NoSourceConnections bool
	// SourceNameTemplate names source connections; it may contain
	// {accountId}, {region}, {sandbox} and {streamName}. Empty means
	// DefaultSourceNameTemplate.
	SourceNameTemplate string
	// DataType (raw or xdm) and Reset (latest or earliest) are the source
	// connections' params; empty means raw and latest.
	DataType, Reset string
	// Selection decides which streams are provisioned.
	Selection Selection
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Service provisions connections. It is safe for concurrent use.
type Service struct {
	cfg  Config
	deps Deps

	// specNames caches the Kinesis connection spec's auth specs for the
	// container's life.
	specMu    sync.Mutex
	specNames []flowservice.AuthSpec
}

var namePlaceholder = regexp.MustCompile(`\{[^{}]*\}`)

// NewService returns a Service. It refuses a name template with a comma (a
// comma means OR in Flow Service's list filters) or an unknown placeholder.
func NewService(cfg Config, deps Deps) (*Service, error) {
	if deps.Keys == nil || deps.Flow == nil || deps.Ledger == nil || deps.Publisher == nil {
		return nil, errors.New("provision: every dependency is required")
	}
	if cfg.KinesisSecretID == "" || cfg.AuthSpecName == "" {
		return nil, errors.New("provision: Kinesis secret id and auth spec name are required")
	}
	cfg.NameTemplate = cmp.Or(cfg.NameTemplate, DefaultNameTemplate)
	cfg.SourceNameTemplate = cmp.Or(cfg.SourceNameTemplate, DefaultSourceNameTemplate)
	cfg.DataType = cmp.Or(cfg.DataType, DataTypeRaw)
	cfg.Reset = cmp.Or(cfg.Reset, ResetLatest)
	if err := checkTemplate("connection", cfg.NameTemplate, "{accountId}", "{region}", "{sandbox}"); err != nil {
		return nil, err
	}
	if err := checkTemplate("source connection", cfg.SourceNameTemplate, "{accountId}", "{region}", "{sandbox}", "{streamName}"); err != nil {
		return nil, err
	}
	if !strings.Contains(cfg.SourceNameTemplate, "{streamName}") {
		return nil, errors.New("provision: the source connection name template must contain {streamName}, or streams would share one name")
	}
	if cfg.DataType != DataTypeRaw && cfg.DataType != DataTypeXDM {
		return nil, fmt.Errorf("provision: data type %q is not raw or xdm", cfg.DataType)
	}
	if cfg.Reset != ResetLatest && cfg.Reset != ResetEarliest {
		return nil, fmt.Errorf("provision: reset %q is not latest or earliest", cfg.Reset)
	}
	if err := cfg.Selection.Validate(); err != nil {
		return nil, err
	}
	if cfg.VerifyAfter <= 0 {
		cfg.VerifyAfter = DefaultVerifyAfter
	}
	if cfg.LockWait <= 0 {
		cfg.LockWait = DefaultLockWait
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = defaultPollInterval
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg, deps: deps}, nil
}

// checkTemplate refuses a name template with a comma (a comma means OR in
// Flow Service's list filters) or an unknown placeholder.
func checkTemplate(what, tmpl string, allowed ...string) error {
	if strings.Contains(tmpl, ",") {
		return fmt.Errorf("provision: %s name template %q contains a comma, which Flow Service filters read as OR", what, tmpl)
	}
	for _, p := range namePlaceholder.FindAllString(tmpl, -1) {
		if !slices.Contains(allowed, p) {
			return fmt.Errorf("provision: %s name template: unknown placeholder %s", what, p)
		}
	}
	return nil
}

// Result says which connection serves the request. It is also the detail of
// the published event and the body of the API's answer.
type Result struct {
	ConnectionID string `json:"connectionId"`
	ETag         string `json:"etag"`
	// Created is true when this request made the connection (its
	// invocation, or a Lambda retry of it); false when it already existed.
	Created          bool   `json:"created"`
	AccountID        string `json:"accountId"`
	Region           string `json:"region"`
	StreamName       string `json:"streamName,omitempty"`
	StreamARN        string `json:"streamArn,omitempty"`
	Sandbox          string `json:"sandbox"`
	ConnectionSpecID string `json:"connectionSpecId"`
	// ConnectionTest is the outcome of the test run when the connection was
	// created: passed or failed; skipped when it was not created now (or
	// the test could not run).
	ConnectionTest string `json:"connectionTest"`
	// SourceConnectionID is the stream's source connection (when sources
	// are on and the request names a stream); SourceCreated says whether
	// this request made it.
	SourceConnectionID string  `json:"sourceConnectionId,omitempty"`
	SourceCreated      bool    `json:"sourceConnectionCreated"`
	Trigger            Trigger `json:"trigger"`
	CorrelationID      string  `json:"correlationId"`
	// Warnings are for the log, not for the event.
	Warnings []string `json:"-"`
}

// Steps of Provision, named in *StepError.
const (
	StepLedger           = "read or write the connection ledger"
	StepVerifyConnection = "verify the recorded Flow Service connection"
	StepFindConnection   = "look up Flow Service connections by name"
	StepReadKeys         = "read Kinesis keys"
	StepCreateConnection = "create Flow Service connection"
	StepPublish          = "publish event"
	StepAuthSpec         = "choose the auth spec"
	StepVerifySource     = "verify the recorded source connection"
	StepFindSource       = "look up source connections by name"
	StepCreateSource     = "create the source connection"
	StepDeleteSource     = "delete the source connection"
)

// StepError reports which step of provisioning failed.
type StepError struct {
	Step string
	// ConnectionID is set when the connection exists although a later step
	// failed.
	ConnectionID string
	Err          error
}

func (e *StepError) Error() string { return e.Step + ": " + e.Err.Error() }

func (e *StepError) Unwrap() error { return e.Err }

// LockHeldError reports that another invocation is making the same
// connection and did not finish within the wait; retrying later succeeds.
type LockHeldError struct {
	Key ledger.Key
	// RetryAfter is when the other invocation's lock expires at the latest.
	RetryAfter time.Duration
}

func (e *LockHeldError) Error() string {
	return fmt.Sprintf("another invocation is provisioning %s; retry in %s", e.Key, e.RetryAfter.Round(time.Second))
}

// Provision makes sure the connection exists, exactly once however many
// invocations ask at the same time, and publishes its id.
func (s *Service) Provision(ctx context.Context, req Request) (Result, error) {
	return s.provision(ctx, req, runOpts{verifyAfter: s.cfg.VerifyAfter})
}

// runOpts vary one provisioning run.
type runOpts struct {
	// verifyAfter is the record age after which Flow Service is asked
	// whether the connection still exists (0: always).
	verifyAfter time.Duration
	// publishCreatedOnly publishes only when something was created (a
	// reconciliation reports the rest in its summary).
	publishCreatedOnly bool
}

func (s *Service) provision(ctx context.Context, req Request, opts runOpts) (Result, error) {
	if err := req.Validate(); err != nil {
		return Result{}, err
	}
	if req.StreamName != "" {
		d := s.cfg.Selection.Select(req.StreamName, req.Tags)
		if !d.Selected {
			return Result{}, &NotSelectedError{Stream: req.StreamName, Reason: d.Reason}
		}
		if d.Sandbox != "" {
			req.Sandbox = d.Sandbox
			if err := req.Validate(); err != nil {
				return Result{}, fmt.Errorf("the stream's sandbox tag: %w", err)
			}
		}
	}
	res := Result{
		AccountID:        req.AccountID,
		Region:           req.Region,
		StreamName:       req.StreamName,
		Sandbox:          req.Sandbox,
		ConnectionSpecID: contracts.KinesisConnectionSpecID,
		Trigger:          req.Trigger,
		CorrelationID:    req.CorrelationID,
	}
	if req.StreamName != "" {
		res.StreamARN = StreamARN(req.AccountID, req.Region, req.StreamName)
	}
	key := ledger.Key{AccountID: req.AccountID, Region: req.Region, Sandbox: req.Sandbox}
	keys := []ledger.Key{key}
	streamKey := key
	withSource := req.StreamName != "" && !s.cfg.NoSourceConnections
	if withSource {
		streamKey.Stream = req.StreamName
		keys = append(keys, streamKey)
	}
	// One round trip reads both records: a replay needs nothing else
	// before it publishes.
	recs, err := s.deps.Ledger.Get(ctx, keys...)
	if err != nil {
		return Result{}, &StepError{Step: StepLedger, Err: err}
	}
	known := &lookup{recs: recs}
	rn := &run{}
	if rec, ok := recs[key]; !ok || (rec.State == ledger.Pending && !rec.LockedAt(s.cfg.Now())) {
		// A base connection is likely to be made: read the keys and the
		// auth spec while the lock is taken and the name looked up. Both are
		// cached, so the creation finds them (or joins the reads).
		s.prefetch(ctx, req)
	}

	base, err := s.ensure(ctx, s.baseResource(req, key, rn), known, opts.verifyAfter, rn)
	if err != nil {
		return Result{}, err
	}
	res.ConnectionID, res.ETag = base.ConnectionID, base.ETag
	res.Created = announces(base, req)
	// The test runs when the connection is created (meanwhile the source
	// connection is made); its outcome goes with the event that announces
	// the creation.
	res.ConnectionTest = TestSkipped
	if res.Created && base.Test != "" {
		res.ConnectionTest = base.Test
	}

	var src ensured
	if withSource {
		r := s.sourceResource(req, streamKey, base.ConnectionID)
		if rec, ok := recs[streamKey]; ok && rec.State == ledger.Ready && rec.BaseConnectionID != base.ConnectionID {
			// The base connection was replaced: the stream's source
			// connection hangs off the old one and is made again.
			rec.VerifiedAt = time.Time{}
			known.recs[streamKey] = rec
			r.verify = func(context.Context, string) (bool, error) { return false, nil }
		}
		src, err = s.ensure(ctx, r, known, opts.verifyAfter, rn)
	}
	var test tested
	if base.created {
		test = <-rn.baseTest
		res.ConnectionTest = test.outcome
		res.ETag = cmp.Or(test.etag, res.ETag)
	}
	if err != nil {
		var stepErr *StepError
		if errors.As(err, &stepErr) && stepErr.ConnectionID == "" {
			stepErr.ConnectionID = base.ConnectionID
		}
		s.annotate(ctx, key, base.ConnectionID, ledger.Note{Test: test.outcome, ETag: test.etag}, rn)
		return Result{}, err
	}
	if withSource {
		res.SourceConnectionID, res.SourceCreated = src.ConnectionID, announces(src, req)
	}

	if opts.publishCreatedOnly && !res.Created && !res.SourceCreated {
		res.Warnings = rn.warnings
		return res, nil
	}
	if err := s.publish(ctx, res); err != nil {
		// Keep the test's outcome for the retry that announces the creation.
		s.annotate(ctx, key, base.ConnectionID, ledger.Note{Test: test.outcome, ETag: test.etag}, rn)
		return Result{}, &StepError{Step: StepPublish, ConnectionID: res.ConnectionID, Err: err}
	}
	var wg sync.WaitGroup
	if res.Created || test.outcome != "" {
		wg.Go(func() {
			s.annotate(ctx, key, res.ConnectionID, ledger.Note{Announced: res.Created, Test: test.outcome, ETag: test.etag}, rn)
		})
	}
	if res.SourceCreated {
		wg.Go(func() { s.annotate(ctx, streamKey, res.SourceConnectionID, ledger.Note{Announced: true}, rn) })
	}
	wg.Wait()
	res.Warnings = rn.warnings
	return res, nil
}

// prefetch starts reading what creating a base connection needs: the
// Kinesis keys, and the auth spec name (whose look-up mints the IMS token,
// reading the Adobe credentials, alongside the Kinesis keys).
func (s *Service) prefetch(ctx context.Context, req Request) {
	go func() {
		_, _ = s.deps.Keys.KinesisKeys(ctx, secrets.ExpandID(s.cfg.KinesisSecretID, req.AccountID, req.Region))
	}()
	go func() { _, _, _ = s.authSpecName(ctx, req.Sandbox) }()
}

// annotate records n, when there is something to record; a failure is a
// warning (the next provisioning of the key repeats at worst an
// announcement).
func (s *Service) annotate(ctx context.Context, key ledger.Key, id string, n ledger.Note, rn *run) {
	if id == "" || (!n.Announced && n.Test == "" && n.ETag == "") {
		return
	}
	cctx, cancel, ok := s.cleanupContext(ctx)
	if !ok {
		return
	}
	defer cancel()
	if err := s.deps.Ledger.Annotate(cctx, key, id, n); err != nil {
		rn.warn("could not record the outcome for %s (a retry may publish its creation again): %v", id, err)
	}
}

// announces reports whether the request's result says created: this call
// made the resource, or it is a Lambda retry (same correlation id) of the
// call that did, whose event could not be published.
func announces(e ensured, req Request) bool {
	return e.created || (!e.Announced && e.CreatedBy != "" && e.CreatedBy == req.CorrelationID)
}

func (s *Service) publish(ctx context.Context, res Result) error {
	e := eventbus.Event{DetailType: DetailTypeProvisioned, Detail: res}
	if res.StreamARN != "" {
		e.Resources = []string{res.StreamARN}
	}
	return s.deps.Publisher.Publish(ctx, e)
}

// ConnectionName is the name the connection of an account, region and
// sandbox gets.
func (s *Service) ConnectionName(accountID, region, sandbox string) string {
	return strings.NewReplacer("{accountId}", accountID, "{region}", region, "{sandbox}", sandbox).Replace(s.cfg.NameTemplate)
}

// newOwner returns a lock owner id unique to one Provision call.
func newOwner() string { return rand.Text() }
