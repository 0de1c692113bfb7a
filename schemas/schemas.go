// Package schemas carries the JSON Schemas of every event the function
// publishes and every event or request it accepts, so that consumers can
// generate bindings and tests can check real payloads against them.
package schemas

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// FS holds the *.schema.json files.
//
//go:embed *.schema.json
var FS embed.FS

// Schema file names.
const (
	ConnectionProvisioned          = "kinesis-connection-provisioned.schema.json"
	SourceConnectionDeleted        = "kinesis-source-connection-deleted.schema.json"
	SourceConnectionNeedsAttention = "kinesis-source-connection-needs-attention.schema.json"
	ProvisionRequest               = "provision-request.schema.json"
	ProvisionEvent                 = "provision-kinesis-connection-event.schema.json"
	CloudTrailStreamEvent          = "cloudtrail-kinesis-stream-event.schema.json"
	APIError                       = "api-error.schema.json"
	ConnectionStatus               = "connection-status.schema.json"
	CredentialsUpdated             = "kinesis-connection-credentials-updated.schema.json"
	ReconciliationCompleted        = "kinesis-reconciliation-completed.schema.json"
	FleetEvent                     = "fleet-event.schema.json"
)

// ByDetailType maps the detail type of each published event to the schema
// of its detail.
var ByDetailType = map[string]string{
	"Kinesis Connection Provisioned":            ConnectionProvisioned,
	"Kinesis Source Connection Deleted":         SourceConnectionDeleted,
	"Kinesis Source Connection Needs Attention": SourceConnectionNeedsAttention,
	"Kinesis Connection Credentials Updated":    CredentialsUpdated,
	"Kinesis Reconciliation Completed":          ReconciliationCompleted,
}

// Set is the compiled schemas.
type Set struct {
	byName map[string]*jsonschema.Schema
}

// Compile compiles every schema of FS.
func Compile() (*Set, error) {
	entries, err := fs.Glob(FS, "*.schema.json")
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for _, name := range entries {
		b, err := FS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("schemas: %s: %w", name, err)
		}
		if err := c.AddResource(name, doc); err != nil {
			return nil, fmt.Errorf("schemas: %s: %w", name, err)
		}
	}
	set := &Set{byName: make(map[string]*jsonschema.Schema, len(entries))}
	for _, name := range entries {
		sch, err := c.Compile(name)
		if err != nil {
			return nil, fmt.Errorf("schemas: %s: %w", name, err)
		}
		set.byName[name] = sch
	}
	return set, nil
}

// Validate checks the JSON document b against the schema in file name.
func (s *Set) Validate(name string, b []byte) error {
	sch, ok := s.byName[name]
	if !ok {
		return fmt.Errorf("schemas: no schema %q", name)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("schemas: %s: the document is not JSON: %w", name, err)
	}
	if err := sch.Validate(v); err != nil {
		return fmt.Errorf("schemas: %s: %w", name, err)
	}
	return nil
}
