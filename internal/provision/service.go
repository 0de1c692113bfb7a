package provision

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/contracts"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/eventbus"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/flowservice"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/secrets"
)

// DetailTypeProvisioned is the detail type of the event published for every
// provisioned connection.
const DetailTypeProvisioned = "Kinesis Connection Provisioned"

// connectionSpecVersion is the Kinesis connection spec version Flow Service
// documents.
const connectionSpecVersion = "1.0"

// DefaultNameTemplate names connections so people can tell in the Experience
// Platform UI which account and region each serves.
const DefaultNameTemplate = "Amazon Kinesis {accountId} {region}"

// KeyReader reads the Kinesis access keys. *secrets.Store satisfies it.
type KeyReader interface {
	KinesisKeys(ctx context.Context, secretID string) (secrets.KinesisKeys, error)
}

// FlowService is the part of Flow Service the use case calls.
// *flowservice.Client satisfies it.
type FlowService interface {
	CreateConnection(ctx context.Context, sandbox string, req *flowservice.ConnectionRequest) (*flowservice.Created, error)
}

// Publisher publishes events. *eventbus.Publisher satisfies it.
type Publisher interface {
	Publish(ctx context.Context, events ...eventbus.Event) error
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
}

// Service provisions connections. It is safe for concurrent use.
type Service struct {
	cfg  Config
	keys KeyReader
	flow FlowService
	pub  Publisher
}

var namePlaceholder = regexp.MustCompile(`\{[^{}]*\}`)

// NewService returns a Service. It refuses a name template with a comma (a
// comma means OR in Flow Service's list filters) or an unknown placeholder.
func NewService(cfg Config, keys KeyReader, flow FlowService, pub Publisher) (*Service, error) {
	if keys == nil || flow == nil || pub == nil {
		return nil, errors.New("provision: nil dependency")
	}
	if cfg.KinesisSecretID == "" || cfg.AuthSpecName == "" {
		return nil, errors.New("provision: Kinesis secret id and auth spec name are required")
	}
	if cfg.NameTemplate == "" {
		cfg.NameTemplate = DefaultNameTemplate
	}
	if strings.Contains(cfg.NameTemplate, ",") {
		return nil, fmt.Errorf("provision: connection name template %q contains a comma, which Flow Service filters read as OR", cfg.NameTemplate)
	}
	for _, p := range namePlaceholder.FindAllString(cfg.NameTemplate, -1) {
		if p != "{accountId}" && p != "{region}" && p != "{sandbox}" {
			return nil, fmt.Errorf("provision: connection name template: unknown placeholder %s", p)
		}
	}
	return &Service{cfg: cfg, keys: keys, flow: flow, pub: pub}, nil
}

// Result says which connection serves the request. It is also the detail of
// the published event and the body of the API's answer.
type Result struct {
	ConnectionID     string  `json:"connectionId"`
	ETag             string  `json:"etag"`
	Created          bool    `json:"created"`
	AccountID        string  `json:"accountId"`
	Region           string  `json:"region"`
	StreamName       string  `json:"streamName,omitempty"`
	StreamARN        string  `json:"streamArn,omitempty"`
	Sandbox          string  `json:"sandbox"`
	ConnectionSpecID string  `json:"connectionSpecId"`
	Trigger          Trigger `json:"trigger"`
	CorrelationID    string  `json:"correlationId"`
	// Warnings are for the log, not for the event.
	Warnings []string `json:"-"`
}

// Steps of Provision, named in *StepError.
const (
	StepReadKeys         = "read Kinesis keys"
	StepCreateConnection = "create Flow Service connection"
	StepPublish          = "publish event"
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

// Provision makes sure the connection exists and publishes its id.
func (s *Service) Provision(ctx context.Context, req Request) (Result, error) {
	if err := req.Validate(); err != nil {
		return Result{}, err
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

	secretID := secrets.ExpandID(s.cfg.KinesisSecretID, req.AccountID, req.Region)
	keys, err := s.keys.KinesisKeys(ctx, secretID)
	if err != nil {
		return Result{}, &StepError{Step: StepReadKeys, Err: err}
	}
	if keys.Region != "" && keys.Region != req.Region {
		res.Warnings = append(res.Warnings, fmt.Sprintf("secret %q names region %q but the stream is in %q; the connection uses the stream's region", secretID, keys.Region, req.Region))
	}

	created, err := s.flow.CreateConnection(ctx, req.Sandbox, s.connectionRequest(req, keys))
	if err != nil {
		return Result{}, &StepError{Step: StepCreateConnection, Err: err}
	}
	res.ConnectionID, res.ETag, res.Created = created.ID, created.ETag, true

	if err := s.publish(ctx, res); err != nil {
		return Result{}, &StepError{Step: StepPublish, ConnectionID: res.ConnectionID, Err: err}
	}
	return res, nil
}

func (s *Service) publish(ctx context.Context, res Result) error {
	e := eventbus.Event{DetailType: DetailTypeProvisioned, Detail: res}
	if res.StreamARN != "" {
		e.Resources = []string{res.StreamARN}
	}
	return s.pub.Publish(ctx, e)
}

// ConnectionName is the name the connection of an account, region and
// sandbox gets.
func (s *Service) ConnectionName(accountID, region, sandbox string) string {
	return strings.NewReplacer("{accountId}", accountID, "{region}", region, "{sandbox}", sandbox).Replace(s.cfg.NameTemplate)
}

func (s *Service) connectionRequest(req Request, keys secrets.KinesisKeys) *flowservice.ConnectionRequest {
	return &flowservice.ConnectionRequest{
		Name:        s.ConnectionName(req.AccountID, req.Region, req.Sandbox),
		Description: fmt.Sprintf("Amazon Kinesis streams of AWS account %s in %s, managed by aep-kinesis-provisioner", req.AccountID, req.Region),
		ProviderID:  s.cfg.ProviderID,
		Auth: flowservice.Auth{
			SpecName: s.cfg.AuthSpecName,
			Params: flowservice.KinesisAuthParams{
				AccessKeyID: keys.AccessKeyID,
				SecretKey:   keys.SecretKey,
				Region:      req.Region,
			},
		},
		ConnectionSpec: flowservice.SpecRef{ID: contracts.KinesisConnectionSpecID, Version: connectionSpecVersion},
	}
}
