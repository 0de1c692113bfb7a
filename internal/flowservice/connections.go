package flowservice

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
)

// KinesisAuthSpecName is the auth spec name current Adobe docs give for the
// Amazon Kinesis source. GetConnectionSpec lists the names the live spec
// accepts.
const KinesisAuthSpecName = "Aws Kinesis authentication credentials"

// JSON Patch operations (RFC 6902), lower-case as the Flow Service tutorials
// send them.
const (
	PatchOpAdd     = "add"
	PatchOpRemove  = "remove"
	PatchOpReplace = "replace"
	PatchOpMove    = "move"
	PatchOpCopy    = "copy"
	PatchOpTest    = "test"
)

// SpecRef refers to a connection spec by ID and version, e.g.
// {ID: "86043421-563b-46ec-8e6c-e23184711bf6", Version: "1.0"} for Kinesis.
type SpecRef struct {
	ID      string `json:"id"`
	Version string `json:"version"`
}

// ConnectionRequest is the body of CreateConnection.
type ConnectionRequest struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// ProviderID is Adobe's provider ID; the Kinesis tutorial sends the
	// streaming provider "521eee4d-8cbe-4906-bb48-fb6bd4450033". Omitted when
	// empty (the OpenAPI schema does not list it).
	ProviderID     string  `json:"providerId,omitempty"`
	Auth           Auth    `json:"auth"`
	ConnectionSpec SpecRef `json:"connectionSpec"`
}

// Auth is the credential block of a ConnectionRequest.
type Auth struct {
	// SpecName names one of the connection spec's auth specs, e.g.
	// KinesisAuthSpecName.
	SpecName string            `json:"specName"`
	Params   KinesisAuthParams `json:"params"`
}

// KinesisAuthParams are the Kinesis source credentials. They marshal to JSON
// in full (Flow Service needs them), but String, GoString and LogValue redact
// the access key ID and the secret key.
type KinesisAuthParams struct {
	AccessKeyID string `json:"accessKeyId"`
	SecretKey   string `json:"secretKey"`
	Region      string `json:"region"`
}

// String returns the parameters with both keys redacted.
func (p KinesisAuthParams) String() string {
	return fmt.Sprintf("flowservice.KinesisAuthParams{AccessKeyID: %s, SecretKey: %s, Region: %q}",
		redact(p.AccessKeyID), redact(p.SecretKey), p.Region)
}

// GoString returns the parameters with both keys redacted, for %#v.
func (p KinesisAuthParams) GoString() string { return p.String() }

// LogValue implements slog.LogValuer with both keys redacted.
func (p KinesisAuthParams) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("access_key_id", redact(p.AccessKeyID)),
		slog.String("secret_key", redact(p.SecretKey)),
		slog.String("region", p.Region),
	)
}

// Created is the answer to a create or update: the resource ID and its etag.
// ETag keeps the double quotes Adobe puts inside it; pass it unchanged as
// If-Match.
type Created struct {
	ID   string `json:"id"`
	ETag string `json:"etag"`
}

// Connection is a base connection as Flow Service returns it. Credentials are
// deliberately not decoded beyond the auth spec name and region.
type Connection struct {
	ID             string         `json:"id"`
	Name           string         `json:"name"`
	Description    string         `json:"description"`
	State          string         `json:"state"`
	ETag           string         `json:"etag"`
	CreatedAt      int64          `json:"createdAt"` // epoch milliseconds
	UpdatedAt      int64          `json:"updatedAt"` // epoch milliseconds
	SandboxName    string         `json:"sandboxName"`
	IMSOrgID       string         `json:"imsOrgId"`
	ConnectionSpec SpecRef        `json:"connectionSpec"`
	Auth           ConnectionAuth `json:"auth"`
}

// ConnectionAuth is the non-secret part of a connection's credentials.
type ConnectionAuth struct {
	SpecName string               `json:"specName"`
	Params   ConnectionAuthParams `json:"params"`
}

// ConnectionAuthParams holds the non-secret auth parameters. accessKeyId and
// secretKey are never decoded, whether Adobe masks them or not.
type ConnectionAuthParams struct {
	Region string `json:"region"`
}

// ConnectionPage is one page of ListConnections.
type ConnectionPage struct {
	Items []Connection
	// Next is the continuation token of the next page, "" on the last page.
	Next string
}

// PatchOperation is one JSON Patch (RFC 6902) operation. Op is lower-case,
// one of the PatchOp constants; Value is omitted when nil (as for "remove").
type PatchOperation struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}

// CreateConnection creates a base connection and returns its ID and etag.
//
// Adobe API docs: https://developer.adobe.com/experience-platform-apis/references/flow-service/
//
//meta:operation POST /connections
func (c *Client) CreateConnection(ctx context.Context, sandbox string, req *ConnectionRequest) (*Created, error) {
	if req == nil {
		return nil, errors.New("flowservice: create connection: request is nil")
	}
	created, err := c.create(ctx, "connections", sandbox, req)
	if err != nil {
		return nil, fmt.Errorf("flowservice: create connection %q: %w", req.Name, err)
	}
	return created, nil
}

// ListConnections returns one page of base connections.
//
// Adobe API docs: https://developer.adobe.com/experience-platform-apis/references/flow-service/
//
//meta:operation GET /connections
func (c *Client) ListConnections(ctx context.Context, sandbox string, opts *ListOptions) (*ConnectionPage, error) {
	items, next, err := listPage[Connection](ctx, c, "connections", sandbox, opts)
	if err != nil {
		return nil, fmt.Errorf("flowservice: list connections: %w", err)
	}
	return &ConnectionPage{Items: items, Next: next}, nil
}

// FindConnections returns every base connection matching filters (see
// ListOptions.Filters), following all pages. It stops with an error wrapping
// ErrPaging after 1000 pages or when a continuation token repeats.
//
// Adobe API docs: https://developer.adobe.com/experience-platform-apis/references/flow-service/
//
//meta:operation GET /connections
func (c *Client) FindConnections(ctx context.Context, sandbox string, filters ...string) ([]Connection, error) {
	items, err := findAll[Connection](ctx, c, "connections", sandbox, filters)
	if err != nil {
		return nil, fmt.Errorf("flowservice: find connections: %w", err)
	}
	return items, nil
}

// GetConnection returns one base connection. Flow Service answers with an
// "items" array; an empty array yields an *Error with StatusCode 404.
//
// Adobe API docs: https://developer.adobe.com/experience-platform-apis/references/flow-service/
//
//meta:operation GET /connections/{BASE_CONNECTION_ID}
func (c *Client) GetConnection(ctx context.Context, sandbox, id string) (*Connection, error) {
	conn, err := getOne[Connection](ctx, c, "connections", sandbox, id)
	if err != nil {
		return nil, fmt.Errorf("flowservice: get connection %q: %w", id, err)
	}
	return conn, nil
}

// TestConnection asks Flow Service to check a base connection's credentials
// and reports the result.
//
// Adobe API docs: https://developer.adobe.com/experience-platform-apis/references/flow-service/
//
//meta:operation GET /connections/{BASE_CONNECTION_ID}/test
func (c *Client) TestConnection(ctx context.Context, sandbox, id string) (bool, error) {
	ok, err := c.testConnection(ctx, sandbox, id)
	if err != nil {
		return false, fmt.Errorf("flowservice: test connection %q: %w", id, err)
	}
	return ok, nil
}

func (c *Client) testConnection(ctx context.Context, sandbox, id string) (bool, error) {
	p, err := resourcePath("connections", id)
	if err != nil {
		return false, err
	}
	req, err := c.newRequest(ctx, http.MethodGet, p+"/test", sandbox, nil)
	if err != nil {
		return false, err
	}
	var body struct {
		Result *bool `json:"result"`
	}
	resp, err := c.do(req, &body)
	if err != nil {
		return false, err
	}
	if body.Result == nil {
		return false, &DecodeError{StatusCode: resp.StatusCode, RequestID: resp.Header.Get("x-request-id"), Err: errors.New(`no "result" field`)}
	}
	return *body.Result, nil
}

// UpdateConnection applies JSON Patch operations to a base connection. etag
// is sent as If-Match exactly as given (with its embedded quotes); a stale one
// yields an *Error whose PreconditionFailed method reports true.
//
// Adobe API docs: https://developer.adobe.com/experience-platform-apis/references/flow-service/
//
//meta:operation PATCH /connections/{BASE_CONNECTION_ID}
func (c *Client) UpdateConnection(ctx context.Context, sandbox, id, etag string, ops []PatchOperation) (*Created, error) {
	updated, err := c.update(ctx, sandbox, id, etag, ops)
	if err != nil {
		return nil, fmt.Errorf("flowservice: update connection %q: %w", id, err)
	}
	return updated, nil
}

func (c *Client) update(ctx context.Context, sandbox, id, etag string, ops []PatchOperation) (*Created, error) {
	p, err := resourcePath("connections", id)
	if err != nil {
		return nil, err
	}
	if etag == "" {
		return nil, errors.New("etag is empty (If-Match is required)")
	}
	if len(ops) == 0 {
		return nil, errors.New("no patch operations")
	}
	for i, op := range ops {
		switch op.Op {
		case PatchOpAdd, PatchOpRemove, PatchOpReplace, PatchOpMove, PatchOpCopy, PatchOpTest:
		default:
			return nil, fmt.Errorf("patch operation %d: op %q is not a lower-case RFC 6902 operation", i, op.Op)
		}
	}
	req, err := c.newRequest(ctx, http.MethodPatch, p, sandbox, ops)
	if err != nil {
		return nil, err
	}
	req.Header.Set("If-Match", etag)
	return c.doCreated(req)
}

// DeleteConnection deletes a base connection. Flow Service refuses (400,
// code 1418-400) while dataflows still use it.
//
// Adobe API docs: https://developer.adobe.com/experience-platform-apis/references/flow-service/
//
//meta:operation DELETE /connections/{BASE_CONNECTION_ID}
func (c *Client) DeleteConnection(ctx context.Context, sandbox, id string) error {
	if err := c.deleteOne(ctx, "connections", sandbox, id); err != nil {
		return fmt.Errorf("flowservice: delete connection %q: %w", id, err)
	}
	return nil
}

// resourcePath joins a collection and an escaped, non-empty ID.
func resourcePath(collection, id string) (string, error) {
	if id == "" {
		return "", errors.New("id is empty")
	}
	return collection + "/" + url.PathEscape(id), nil
}

// create POSTs body to collection and returns the created ID and etag.
func (c *Client) create(ctx context.Context, collection, sandbox string, body any) (*Created, error) {
	req, err := c.newRequest(ctx, http.MethodPost, collection, sandbox, body)
	if err != nil {
		return nil, err
	}
	return c.doCreated(req)
}

// doCreated sends req and decodes a {id, etag} answer, which must carry an id.
// A 2xx without one leaves the outcome of a POST or PATCH ambiguous.
func (c *Client) doCreated(req *http.Request) (*Created, error) {
	created := new(Created)
	resp, err := c.do(req, created)
	if err != nil {
		return nil, err
	}
	if created.ID == "" {
		return nil, markAmbiguous(req.Method, &DecodeError{StatusCode: resp.StatusCode, RequestID: resp.Header.Get("x-request-id"), Err: errors.New(`no "id" field`)})
	}
	return created, nil
}

// getOne GETs collection/id and returns items[0].
func getOne[T any](ctx context.Context, c *Client, collection, sandbox, id string) (*T, error) {
	p, err := resourcePath(collection, id)
	if err != nil {
		return nil, err
	}
	req, err := c.newRequest(ctx, http.MethodGet, p, sandbox, nil)
	if err != nil {
		return nil, err
	}
	var body struct {
		Items []T `json:"items"`
	}
	resp, err := c.do(req, &body)
	if err != nil {
		return nil, err
	}
	if len(body.Items) == 0 {
		return nil, &Error{
			StatusCode: http.StatusNotFound,
			Message:    "flow service answered 200 with no items",
			RequestID:  resp.Header.Get("x-request-id"),
		}
	}
	return &body.Items[0], nil
}

// deleteOne DELETEs collection/id.
func (c *Client) deleteOne(ctx context.Context, collection, sandbox, id string) error {
	p, err := resourcePath(collection, id)
	if err != nil {
		return err
	}
	req, err := c.newRequest(ctx, http.MethodDelete, p, sandbox, nil)
	if err != nil {
		return err
	}
	_, err = c.do(req, nil)
	return err
}
