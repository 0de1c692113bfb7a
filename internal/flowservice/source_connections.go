package flowservice

import (
	"context"
	"errors"
	"fmt"
)

// SourceConnectionRequest is the body of CreateSourceConnection. For Kinesis:
// Data.Format "json"; Params.Stream the stream name, Params.DataType "raw" or
// "xdm", Params.Reset "latest" or "earliest".
type SourceConnectionRequest struct {
	Name             string                 `json:"name"`
	Description      string                 `json:"description,omitempty"`
	BaseConnectionID string                 `json:"baseConnectionId"`
	ConnectionSpec   SpecRef                `json:"connectionSpec"`
	Data             SourceConnectionData   `json:"data"`
	Params           SourceConnectionParams `json:"params"`
}

// SourceConnectionData describes the data format of a source connection.
type SourceConnectionData struct {
	Format string `json:"format"`
}

// SourceConnectionParams are the Kinesis source parameters.
type SourceConnectionParams struct {
	Stream   string `json:"stream,omitempty"`
	DataType string `json:"dataType,omitempty"`
	Reset    string `json:"reset,omitempty"`
}

// SourceConnection is a source connection as Flow Service returns it.
type SourceConnection struct {
	ID               string                 `json:"id"`
	Name             string                 `json:"name"`
	Description      string                 `json:"description"`
	BaseConnectionID string                 `json:"baseConnectionId"`
	State            string                 `json:"state"`
	ETag             string                 `json:"etag"`
	CreatedAt        int64                  `json:"createdAt"` // epoch milliseconds
	UpdatedAt        int64                  `json:"updatedAt"` // epoch milliseconds
	SandboxName      string                 `json:"sandboxName"`
	ConnectionSpec   SpecRef                `json:"connectionSpec"`
	Data             SourceConnectionData   `json:"data"`
	Params           SourceConnectionParams `json:"params"`
}

// SourceConnectionPage is one page of ListSourceConnections.
type SourceConnectionPage struct {
	Items []SourceConnection
	// Next is the continuation token of the next page, "" on the last page.
	Next string
}

// CreateSourceConnection creates a source connection and returns its ID and
// etag. Streaming ingestion pauses for about five minutes afterwards.
//
// Adobe API docs: https://developer.adobe.com/experience-platform-apis/references/flow-service/
//
//meta:operation POST /sourceConnections
func (c *Client) CreateSourceConnection(ctx context.Context, sandbox string, req *SourceConnectionRequest) (*Created, error) {
	if req == nil {
		return nil, errors.New("flowservice: create source connection: request is nil")
	}
	created, err := c.create(ctx, "sourceConnections", sandbox, req)
	if err != nil {
		return nil, fmt.Errorf("flowservice: create source connection %q: %w", req.Name, err)
	}
	return created, nil
}

// ListSourceConnections returns one page of source connections.
//
// Adobe API docs: https://developer.adobe.com/experience-platform-apis/references/flow-service/
//
//meta:operation GET /sourceConnections
func (c *Client) ListSourceConnections(ctx context.Context, sandbox string, opts *ListOptions) (*SourceConnectionPage, error) {
	items, next, err := listPage[SourceConnection](ctx, c, "sourceConnections", sandbox, opts)
	if err != nil {
		return nil, fmt.Errorf("flowservice: list source connections: %w", err)
	}
	return &SourceConnectionPage{Items: items, Next: next}, nil
}

// FindSourceConnections returns every source connection matching filters
// (see ListOptions.Filters), following all pages. It stops with an error
// wrapping ErrPaging after 1000 pages or when a continuation token repeats.
//
// Adobe API docs: https://developer.adobe.com/experience-platform-apis/references/flow-service/
//
//meta:operation GET /sourceConnections
func (c *Client) FindSourceConnections(ctx context.Context, sandbox string, filters ...string) ([]SourceConnection, error) {
	items, err := findAll[SourceConnection](ctx, c, "sourceConnections", sandbox, filters)
	if err != nil {
		return nil, fmt.Errorf("flowservice: find source connections: %w", err)
	}
	return items, nil
}

// GetSourceConnection returns one source connection. Flow Service answers
// with an "items" array; an empty array yields an *Error with StatusCode 404.
//
// Adobe API docs: https://developer.adobe.com/experience-platform-apis/references/flow-service/
//
//meta:operation GET /sourceConnections/{SOURCE_CONNECTION_ID}
func (c *Client) GetSourceConnection(ctx context.Context, sandbox, id string) (*SourceConnection, error) {
	sc, err := getOne[SourceConnection](ctx, c, "sourceConnections", sandbox, id)
	if err != nil {
		return nil, fmt.Errorf("flowservice: get source connection %q: %w", id, err)
	}
	return sc, nil
}

// DeleteSourceConnection deletes a source connection.
//
// Adobe API docs: https://developer.adobe.com/experience-platform-apis/references/flow-service/
//
//meta:operation DELETE /sourceConnections/{SOURCE_CONNECTION_ID}
func (c *Client) DeleteSourceConnection(ctx context.Context, sandbox, id string) error {
	if err := c.deleteOne(ctx, "sourceConnections", sandbox, id); err != nil {
		return fmt.Errorf("flowservice: delete source connection %q: %w", id, err)
	}
	return nil
}
