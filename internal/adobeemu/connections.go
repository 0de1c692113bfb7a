package adobeemu

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/contracts"
)

// kinesisAuthParams are the auth.params the Kinesis authSpec requires.
var kinesisAuthParams = []string{"accessKeyId", "secretKey", "region"}

// hiddenParams are the auth.params the API never returns. Adobe says
// connections carry "a partial view of the credentials" without saying which
// part; the emulator omits the secret and keeps the rest.
var hiddenParams = []string{"secretKey", "secretAccessKey", "password"}

var connectionResource = resource[*connRecord]{
	path: "/connections",
	fields: map[string]field[*connRecord]{
		"id":                {get: func(c *connRecord) fieldValue { return str(c.ID) }},
		"name":              {get: func(c *connRecord) fieldValue { return str(c.Name) }},
		"description":       {get: func(c *connRecord) fieldValue { return str(c.Description) }},
		"connectionSpec.id": {get: func(c *connRecord) fieldValue { return str(c.ConnectionSpec.ID) }},
		"state":             {get: func(c *connRecord) fieldValue { return str(c.State) }},
		"auth.specName":     {get: func(c *connRecord) fieldValue { return str(c.Auth.SpecName) }},
		"createdAt":         {numeric: true, get: func(c *connRecord) fieldValue { return num(c.CreatedAt) }},
		"updatedAt":         {numeric: true, get: func(c *connRecord) fieldValue { return num(c.UpdatedAt) }},
	},
	sortable: []string{"name", "createdAt", "updatedAt"},
	seq:      func(c *connRecord) int64 { return c.seq },
}

// publicView is c as the API returns it: without secret auth params.
func (c Connection) publicView() Connection {
	c = c.clone()
	for _, k := range hiddenParams {
		delete(c.Auth.Params, k)
	}
	return c
}

// idEtag is the answer of creates and updates.
type idEtag struct {
	ID   string `json:"id"`
	ETag string `json:"etag"`
}

// listConnections answers GET /connections: filters, order, paging and count
// as documented in flowservice.md section 5 (see parseListQuery).
func (e *Emulator) listConnections(w http.ResponseWriter, r *http.Request, c *call) *apiError {
	lq, apiErr := parseListQuery(r.URL.Query(), connectionResource, e.opts.PageSize)
	if apiErr != nil {
		return apiErr
	}
	e.mu.Lock()
	recs := slices.Collect(maps.Values(e.sandboxLocked(c.sandbox).conns))
	pg, total, next := page(recs, lq, connectionResource)
	items := make([]Connection, len(pg))
	for i, rec := range pg {
		items[i] = rec.publicView()
	}
	e.mu.Unlock()
	if lq.count {
		writeJSON(w, http.StatusOK, countResponse{Count: total})
		return nil
	}
	writeJSON(w, http.StatusOK, listResponse[Connection]{Items: items, Links: nextLink(connectionResource.path, next)})
	return nil
}

type createConnectionRequest struct {
	Name        *string `json:"name"`
	Description string  `json:"description"`
	ProviderID  string  `json:"providerId"`
	Auth        *struct {
		SpecName string         `json:"specName"`
		Params   map[string]any `json:"params"`
	} `json:"auth"`
	ConnectionSpec SpecRef `json:"connectionSpec"`
}

// createConnection answers POST /connections for the Kinesis source.
//
// Checks after spec validation, in order: name present and non-empty
// (1304); connectionSpec the Kinesis one (other specs 400 1000: the emulator
// only knows Kinesis) at version 1.0 (400 1000); providerId, when sent, the
// streaming provider (400 1000); auth present (1304); auth.specName one of the
// current authSpec names (1415); accessKeyId, secretKey and region present,
// non-empty strings (1304 naming the field), other params strings (1000);
// the key pair accepted by Options.KinesisKeys (CodeCredentialsRejected).
func (e *Emulator) createConnection(w http.ResponseWriter, c *call) *apiError {
	var req createConnectionRequest
	if err := json.Unmarshal(c.body, &req); err != nil {
		return badRequest("1000", "The request body is invalid.")
	}
	if req.Name == nil || strings.TrimSpace(*req.Name) == "" {
		return missingField("name")
	}
	if err := checkKinesisSpec(req.ConnectionSpec); err != nil {
		return err
	}
	if req.ProviderID != "" && req.ProviderID != KinesisProviderID {
		return badRequest("1000", "The providerId %s does not match the connection spec's provider %s.", req.ProviderID, KinesisProviderID)
	}
	if req.Auth == nil {
		return missingField("auth")
	}
	if err := e.checkSpecName(req.Auth.SpecName); err != nil {
		return err
	}
	params, apiErr := stringParams("auth.params", req.Auth.Params)
	if apiErr != nil {
		return apiErr
	}
	if apiErr := e.checkKinesisParams(params); apiErr != nil {
		return apiErr
	}

	now := e.now()
	conn := Connection{
		ID:             newUUID(),
		Name:           *req.Name,
		Description:    req.Description,
		ProviderID:     KinesisProviderID,
		Auth:           Auth{SpecName: req.Auth.SpecName, Params: params},
		ConnectionSpec: req.ConnectionSpec,
		State:          "enabled",
		CreatedAt:      now.UnixMilli(),
		UpdatedAt:      now.UnixMilli(),
		CreatedBy:      c.clientID,
		UpdatedBy:      c.clientID,
		CreatedClient:  c.clientID,
		UpdatedClient:  c.clientID,
		SandboxID:      e.sandboxIDs[c.sandbox],
		SandboxName:    c.sandbox,
		IMSOrgID:       e.opts.OrgID,
		ETag:           newETag(now),
	}
	conn.Version = conn.ETag
	e.mu.Lock()
	e.sandboxLocked(c.sandbox).conns[conn.ID] = &connRecord{Connection: conn, seq: e.nextSeq()}
	e.mu.Unlock()

	w.Header().Set("Location", FlowBasePath+"/connections/"+conn.ID)
	writeJSON(w, http.StatusCreated, idEtag{ID: conn.ID, ETag: conn.ETag})
	return nil
}

func checkKinesisSpec(s SpecRef) *apiError {
	if s.ID != contracts.KinesisConnectionSpecID {
		return badRequest("1000", "The connection spec %s is not supported by the emulator, which only knows Amazon Kinesis (%s).",
			s.ID, contracts.KinesisConnectionSpecID)
	}
	if s.Version != KinesisSpecVersion {
		return badRequest("1000", "The version %s of connection spec %s does not exist; use %s.", s.Version, s.ID, KinesisSpecVersion)
	}
	return nil
}

func (e *Emulator) checkSpecName(name string) *apiError {
	e.mu.Lock()
	ok := slices.Contains(e.authSpecNames, name)
	e.mu.Unlock()
	if !ok {
		return badRequest("1415", "The auth spec %q could not be found for the connection spec ID %s.", name, contracts.KinesisConnectionSpecID)
	}
	return nil
}

// stringParams converts JSON params to strings. A non-string value is 400
// 1000 naming the field, never the value.
func stringParams(prefix string, in map[string]any) (map[string]string, *apiError) {
	out := make(map[string]string, len(in))
	for k, v := range in {
		s, ok := v.(string)
		if !ok {
			return nil, badRequest("1000", "The field %s.%s must be a string.", prefix, k)
		}
		out[k] = s
	}
	return out, nil
}

// checkKinesisParams checks the Kinesis auth params: required fields first
// (1304, naming the field), then Options.KinesisKeys.
func (e *Emulator) checkKinesisParams(params map[string]string) *apiError {
	for _, k := range kinesisAuthParams {
		if strings.TrimSpace(params[k]) == "" {
			return missingField("auth.params." + k)
		}
	}
	if !e.keysAccepted(params) {
		return &apiError{status: http.StatusBadRequest, code: "1900", title: "Bad Request",
			msg: "The source rejected the credentials in auth.params (accessKeyId/secretKey). Please check the credentials and try again."}
	}
	return nil
}

// keysAccepted reports whether "AWS" accepts the key pair in params.
func (e *Emulator) keysAccepted(params map[string]string) bool {
	id, secret := params["accessKeyId"], params["secretKey"]
	if id == "" || secret == "" {
		return false
	}
	if e.opts.KinesisKeys == nil {
		return true
	}
	want, ok := e.opts.KinesisKeys[id]
	return ok && want == secret
}

// retrieveConnection answers GET /connections/{id} with {"items":[conn]}.
func (e *Emulator) retrieveConnection(w http.ResponseWriter, c *call) *apiError {
	id := c.route.Params["BASE_CONNECTION_ID"]
	e.mu.Lock()
	rec, ok := e.sandboxLocked(c.sandbox).conns[id]
	var view Connection
	if ok {
		view = rec.publicView()
	}
	e.mu.Unlock()
	if !ok {
		return notFound("connection", id)
	}
	writeJSON(w, http.StatusOK, listResponse[Connection]{Items: []Connection{view}})
	return nil
}

type testResponse struct {
	Result bool `json:"result"`
}

// testConnection answers GET /connections/{id}/test: result is false when
// Options.KinesisKeys is set and the stored key pair is not in it.
func (e *Emulator) testConnection(w http.ResponseWriter, c *call) *apiError {
	id := c.route.Params["BASE_CONNECTION_ID"]
	e.mu.Lock()
	rec, ok := e.sandboxLocked(c.sandbox).conns[id]
	var params map[string]string
	if ok {
		params = maps.Clone(rec.Auth.Params)
	}
	e.mu.Unlock()
	if !ok {
		return notFound("connection", id)
	}
	writeJSON(w, http.StatusOK, testResponse{Result: e.keysAccepted(params)})
	return nil
}

type patchOp struct {
	Op    string          `json:"op"`
	Path  string          `json:"path"`
	Value json.RawMessage `json:"value"`
}

// patchConnection answers PATCH /connections/{id} (a JSON Patch document).
// If-Match must carry the current etag, with or without its quotes (the
// update tutorial shows it without), else 412 1404. Supported paths: /name,
// /description, /auth/specName, /auth/params and /auth/params/<field>, with
// add, replace (both set the value) and remove. Other paths are 400 1365.
// The result must still pass the create checks. The answer is {"id","etag"}
// with a new etag.
func (e *Emulator) patchConnection(w http.ResponseWriter, r *http.Request, c *call) *apiError {
	id := c.route.Params["BASE_CONNECTION_ID"]
	var ops []patchOp
	if err := json.Unmarshal(c.body, &ops); err != nil {
		return badRequest("1000", "The request body must be a JSON Patch array.")
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	rec, ok := e.sandboxLocked(c.sandbox).conns[id]
	if !ok {
		return notFound("connection", id)
	}
	if !etagMatches(r.Header.Get("If-Match"), rec.ETag) {
		return errorf(http.StatusPreconditionFailed, "1404", "Precondition Failed",
			"Supplied version=[%s] does not match the current version on entity=[%s]. Please fetch the connection and retry with its etag.",
			r.Header.Get("If-Match"), id)
	}
	updated := rec.clone()
	if updated.Auth.Params == nil {
		updated.Auth.Params = map[string]string{}
	}
	for _, op := range ops {
		if apiErr := applyPatch(&updated, op); apiErr != nil {
			return apiErr
		}
	}
	if strings.TrimSpace(updated.Name) == "" {
		return missingField("name")
	}
	if !slices.Contains(e.authSpecNames, updated.Auth.SpecName) {
		return badRequest("1415", "The auth spec %q could not be found for the connection spec ID %s.", updated.Auth.SpecName, updated.ConnectionSpec.ID)
	}
	if apiErr := e.checkKinesisParams(updated.Auth.Params); apiErr != nil {
		return apiErr
	}
	now := e.now()
	updated.UpdatedAt = now.UnixMilli()
	updated.UpdatedBy = c.clientID
	updated.UpdatedClient = c.clientID
	updated.ETag = newETag(now)
	updated.Version = updated.ETag
	rec.Connection = updated

	writeJSON(w, http.StatusOK, idEtag{ID: id, ETag: updated.ETag})
	return nil
}

// etagMatches compares an If-Match value with an etag, ignoring a weak
// prefix and the surrounding quotes on either side.
func etagMatches(ifMatch, etag string) bool {
	norm := func(s string) string {
		s = strings.TrimSpace(s)
		s = strings.TrimPrefix(s, "W/")
		return strings.Trim(s, `"`)
	}
	return norm(ifMatch) != "" && norm(ifMatch) == norm(etag)
}

func applyPatch(c *Connection, op patchOp) *apiError {
	kind := strings.ToLower(op.Op)
	set := kind == "add" || kind == "replace"
	hasValue := len(bytes.TrimSpace(op.Value)) > 0
	if set && !hasValue {
		return badRequest("1000", "The %s operation on %s needs a value.", kind, op.Path)
	}
	str := func() (string, *apiError) {
		var s string
		if err := json.Unmarshal(op.Value, &s); err != nil {
			return "", badRequest("1000", "The value for %s must be a string.", op.Path)
		}
		return s, nil
	}
	switch {
	case op.Path == "/name" || op.Path == "/description" || op.Path == "/auth/specName":
		var v string
		if set {
			s, apiErr := str()
			if apiErr != nil {
				return apiErr
			}
			v = s
		}
		switch op.Path {
		case "/name":
			c.Name = v
		case "/description":
			c.Description = v
		default:
			c.Auth.SpecName = v
		}
	case op.Path == "/auth/params":
		params := map[string]string{}
		if set {
			var raw map[string]any
			if err := json.Unmarshal(op.Value, &raw); err != nil {
				return badRequest("1000", "The value for /auth/params must be an object.")
			}
			p, apiErr := stringParams("auth.params", raw)
			if apiErr != nil {
				return apiErr
			}
			params = p
		}
		c.Auth.Params = params
	case strings.HasPrefix(op.Path, "/auth/params/") && !strings.Contains(op.Path[len("/auth/params/"):], "/"):
		name := op.Path[len("/auth/params/"):]
		if !set {
			delete(c.Auth.Params, name)
			return nil
		}
		s, apiErr := str()
		if apiErr != nil {
			return apiErr
		}
		c.Auth.Params[name] = s
	default:
		return badRequest("1365", "The path %s provided in ops is invalid. Please provide a valid path and try again.", op.Path)
	}
	return nil
}

// deleteConnection answers DELETE /connections/{id}: 204, or 400 1418 when
// one of its source connections is used by a dataflow. Its other source
// connections stay.
func (e *Emulator) deleteConnection(w http.ResponseWriter, c *call) *apiError {
	id := c.route.Params["BASE_CONNECTION_ID"]
	e.mu.Lock()
	defer e.mu.Unlock()
	sb := e.sandboxLocked(c.sandbox)
	if _, ok := sb.conns[id]; !ok {
		return notFound("connection", id)
	}
	for _, src := range sb.sources {
		if src.BaseConnectionID == id && e.dataflows[src.ID] {
			return badRequest("1418", "The base connection %s cannot be deleted because it is used in one or more flows.", id)
		}
	}
	delete(sb.conns, id)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// retrieveConnectionSpec answers GET /connectionSpecs/{id} for the Kinesis
// spec, listing the current authSpec names; other IDs are 404 1101.
func (e *Emulator) retrieveConnectionSpec(w http.ResponseWriter, c *call) *apiError {
	id := c.route.Params["CONNECTION_SPEC_ID"]
	if id != contracts.KinesisConnectionSpecID {
		return notFound("connection spec", id)
	}
	e.mu.Lock()
	names := slices.Clone(e.authSpecNames)
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"items": []any{kinesisConnectionSpec(names)}})
	return nil
}

// kinesisConnectionSpec is the emulator's Amazon Kinesis connection spec.
func kinesisConnectionSpec(authSpecNames []string) map[string]any {
	authSpecs := make([]any, 0, len(authSpecNames))
	for _, name := range authSpecNames {
		authSpecs = append(authSpecs, map[string]any{
			"name": name,
			"type": "KeyBased",
			"spec": map[string]any{
				"$schema":     "http://json-schema.org/draft-07/schema#",
				"type":        "object",
				"description": "Defines auth params required for connecting to Amazon Kinesis.",
				"properties": map[string]any{
					"accessKeyId": map[string]any{"type": "string", "description": "Access key ID of the AWS account."},
					"secretKey":   map[string]any{"type": "string", "format": "password", "description": "Secret access key of the AWS account."},
					"region":      map[string]any{"type": "string", "description": "AWS region of the Kinesis stream."},
				},
				"required": []string{"accessKeyId", "secretKey", "region"},
			},
		})
	}
	return map[string]any{
		"id":         contracts.KinesisConnectionSpecID,
		"name":       "Amazon Kinesis",
		"providerId": KinesisProviderID,
		"version":    KinesisSpecVersion,
		"authSpec":   authSpecs,
		"sourceSpec": map[string]any{
			"spec": map[string]any{
				"$schema": "http://json-schema.org/draft-07/schema#",
				"type":    "object",
				"properties": map[string]any{
					"stream":   map[string]any{"type": "string", "description": "Name of the Kinesis stream."},
					"dataType": map[string]any{"type": "string", "enum": []string{"raw", "xdm"}},
					"reset":    map[string]any{"type": "string", "enum": []string{"latest", "earliest"}},
				},
				"required": []string{"stream"},
			},
		},
		"attributes": map[string]any{
			"category":      "Cloud Storage",
			"connectorName": "Amazon Kinesis",
			"isSource":      true,
		},
	}
}
