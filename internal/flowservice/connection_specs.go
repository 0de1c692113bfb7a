package flowservice

import (
	"context"
	"encoding/json"
	"fmt"
)

// ConnectionSpec describes a source or destination type, e.g. Amazon Kinesis
// (contracts.KinesisConnectionSpecID). Only the fields the provisioner uses
// are decoded.
type ConnectionSpec struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	ProviderID string     `json:"providerId"`
	Version    string     `json:"version"`
	AuthSpec   []AuthSpec `json:"authSpec"`
}

// AuthSpec is one way to authenticate a connection of a spec. Name is what
// Auth.SpecName must be set to; Spec is the JSON schema of the parameters.
type AuthSpec struct {
	Name string          `json:"name"`
	Type string          `json:"type"`
	Spec json.RawMessage `json:"spec"`
}

// AuthSpecNames returns the names of the spec's auth specs, in order.
func (s *ConnectionSpec) AuthSpecNames() []string {
	names := make([]string, 0, len(s.AuthSpec))
	for _, a := range s.AuthSpec {
		names = append(names, a.Name)
	}
	return names
}

// GetConnectionSpec returns one connection spec. Flow Service answers with an
// "items" array; an empty array yields an *Error with StatusCode 404.
//
// Adobe API docs: https://developer.adobe.com/experience-platform-apis/references/flow-service/
//
//meta:operation GET /connectionSpecs/{CONNECTION_SPEC_ID}
func (c *Client) GetConnectionSpec(ctx context.Context, sandbox, id string) (*ConnectionSpec, error) {
	spec, err := getOne[ConnectionSpec](ctx, c, "connectionSpecs", sandbox, id)
	if err != nil {
		return nil, fmt.Errorf("flowservice: get connection spec %q: %w", id, err)
	}
	return spec, nil
}
