package provision

import (
	"context"
	"fmt"
	"strings"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/contracts"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/flowservice"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/ledger"
)

// Source connection parameters Flow Service documents for Kinesis.
const (
	DataTypeRaw   = "raw"
	DataTypeXDM   = "xdm"
	ResetLatest   = "latest"
	ResetEarliest = "earliest"
	// DefaultSourceNameTemplate names a stream's source connection.
	DefaultSourceNameTemplate = "Amazon Kinesis {accountId} {region} {streamName}"
)

// SourceName is the name the source connection of a stream gets.
func (s *Service) SourceName(accountID, region, sandbox, stream string) string {
	return strings.NewReplacer("{accountId}", accountID, "{region}", region, "{sandbox}", sandbox, "{streamName}", stream).Replace(s.cfg.SourceNameTemplate)
}

// sourceResource is the source connection of one stream, on baseID.
func (s *Service) sourceResource(req Request, key ledger.Key, baseID string) resource {
	name := s.SourceName(req.AccountID, req.Region, req.Sandbox, req.StreamName)
	return resource{
		key:  key,
		name: name,
		what: "Flow Service source connection",
		verify: func(ctx context.Context, id string) (bool, error) {
			return exists(s.deps.Flow.GetSourceConnection(ctx, req.Sandbox, id))
		},
		find: func(ctx context.Context) ([]found, error) {
			list, err := s.deps.Flow.FindSourceConnections(ctx, req.Sandbox, "name=="+name, "baseConnectionId=="+baseID)
			var out []found
			for _, c := range list {
				if c.Name == name && c.BaseConnectionID == baseID {
					out = append(out, found{id: c.ID, etag: c.ETag, createdAt: c.CreatedAt, enabled: c.State == "" || c.State == "enabled"})
				}
			}
			return out, err
		},
		create: func(ctx context.Context) (ledger.Completion, error) {
			created, err := s.deps.Flow.CreateSourceConnection(ctx, req.Sandbox, &flowservice.SourceConnectionRequest{
				Name:             name,
				Description:      fmt.Sprintf("Kinesis stream %s of AWS account %s in %s, managed by aep-kinesis-provisioner", req.StreamName, req.AccountID, req.Region),
				BaseConnectionID: baseID,
				ConnectionSpec:   flowservice.SpecRef{ID: contracts.KinesisConnectionSpecID, Version: connectionSpecVersion},
				Data:             flowservice.SourceConnectionData{Format: "json"},
				Params:           flowservice.SourceConnectionParams{Stream: req.StreamName, DataType: s.cfg.DataType, Reset: s.cfg.Reset},
			})
			if err != nil {
				return ledger.Completion{}, &StepError{Step: StepCreateSource, Err: err}
			}
			return ledger.Completion{ConnectionID: created.ID, ETag: created.ETag, Name: name, BaseConnectionID: baseID, CreatedBy: req.CorrelationID}, nil
		},
		afterCreate: func(context.Context, string, string) {},
		createdBy:   req.CorrelationID,
		verifyStep:  StepVerifySource,
		findStep:    StepFindSource,
	}
}
