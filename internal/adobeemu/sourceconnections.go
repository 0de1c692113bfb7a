package adobeemu

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
)

var sourceResource = resource[*sourceRecord]{
	path: "/sourceConnections",
	fields: map[string]field[*sourceRecord]{
		"id":                {get: func(s *sourceRecord) fieldValue { return str(s.ID) }},
		"name":              {get: func(s *sourceRecord) fieldValue { return str(s.Name) }},
		"description":       {get: func(s *sourceRecord) fieldValue { return str(s.Description) }},
		"connectionSpec.id": {get: func(s *sourceRecord) fieldValue { return str(s.ConnectionSpec.ID) }},
		"state":             {get: func(s *sourceRecord) fieldValue { return str(s.State) }},
		"baseConnectionId":  {get: func(s *sourceRecord) fieldValue { return str(s.BaseConnectionID) }},
		"data.format":       {get: func(s *sourceRecord) fieldValue { return str(s.Data.Format) }},
		"params.stream":     {get: func(s *sourceRecord) fieldValue { return str(s.Params["stream"]) }},
		"createdAt":         {numeric: true, get: func(s *sourceRecord) fieldValue { return num(s.CreatedAt) }},
		"updatedAt":         {numeric: true, get: func(s *sourceRecord) fieldValue { return num(s.UpdatedAt) }},
	},
	sortable: []string{"name", "createdAt", "updatedAt"},
	seq:      func(s *sourceRecord) int64 { return s.seq },
}

// listSourceConnections answers GET /sourceConnections, with the same query
// rules as GET /connections plus the baseConnectionId, data.format and
// params.stream filters.
func (e *Emulator) listSourceConnections(w http.ResponseWriter, r *http.Request, c *call) *apiError {
	lq, apiErr := parseListQuery(r.URL.Query(), sourceResource, e.opts.PageSize)
	if apiErr != nil {
		return apiErr
	}
	e.mu.Lock()
	recs := slices.Collect(maps.Values(e.sandboxLocked(c.sandbox).sources))
	pg, total, next := page(recs, lq, sourceResource)
	items := make([]SourceConnection, len(pg))
	for i, rec := range pg {
		items[i] = rec.clone()
	}
	e.mu.Unlock()
	if lq.count {
		writeJSON(w, http.StatusOK, countResponse{Count: total})
		return nil
	}
	writeJSON(w, http.StatusOK, listResponse[SourceConnection]{Items: items, Links: nextLink(sourceResource.path, next)})
	return nil
}

type createSourceRequest struct {
	Name             string         `json:"name"`
	Description      string         `json:"description"`
	BaseConnectionID string         `json:"baseConnectionId"`
	ConnectionSpec   SpecRef        `json:"connectionSpec"`
	Data             SourceData     `json:"data"`
	Params           map[string]any `json:"params"`
}

// createSourceConnection answers POST /sourceConnections for Kinesis.
//
// Checks after spec validation, in order: a body (the spec marks it optional;
// 400 1000); name non-empty (1304); baseConnectionId present (1304) and an
// existing base connection of the sandbox (400 1000, the emulator's choice);
// connectionSpec the base connection's (400 1000); data.format "json" (1327);
// params strings (1000); params.stream present (1304); params.dataType, when
// sent, raw or xdm, and params.reset, when sent, latest or earliest (1312).
func (e *Emulator) createSourceConnection(w http.ResponseWriter, c *call) *apiError {
	if len(c.body) == 0 {
		return badRequest("1000", "The request body is required.")
	}
	var req createSourceRequest
	if err := json.Unmarshal(c.body, &req); err != nil {
		return badRequest("1000", "The request body is invalid.")
	}
	if strings.TrimSpace(req.Name) == "" {
		return missingField("name")
	}
	if req.BaseConnectionID == "" {
		return missingField("baseConnectionId")
	}
	e.mu.Lock()
	base, ok := e.sandboxLocked(c.sandbox).conns[req.BaseConnectionID]
	var baseSpec SpecRef
	if ok {
		baseSpec = base.ConnectionSpec
	}
	e.mu.Unlock()
	if !ok {
		return badRequest("1000", "The base connection %s was not found. Please provide a valid baseConnectionId and try again.", req.BaseConnectionID)
	}
	if req.ConnectionSpec.ID != baseSpec.ID {
		return badRequest("1000", "The connection spec %s does not match the base connection's connection spec %s.", req.ConnectionSpec.ID, baseSpec.ID)
	}
	if err := checkKinesisSpec(req.ConnectionSpec); err != nil {
		return err
	}
	if req.Data.Format != "json" {
		return badRequest("1327", "The format of source data supplied=%s is not supported. The allowed values are: json.", req.Data.Format)
	}
	params, apiErr := stringParams("params", req.Params)
	if apiErr != nil {
		return apiErr
	}
	if strings.TrimSpace(params["stream"]) == "" {
		return missingField("params.stream")
	}
	for name, allowed := range map[string][]string{"dataType": {"raw", "xdm"}, "reset": {"latest", "earliest"}} {
		if v, ok := params[name]; ok && !slices.Contains(allowed, v) {
			return badRequest("1312", "The provided param value %s is not a valid input for property=params.%s. The allowed values are: %s.",
				v, name, strings.Join(allowed, ", "))
		}
	}

	now := e.now()
	src := SourceConnection{
		ID:               newUUID(),
		Name:             req.Name,
		Description:      req.Description,
		BaseConnectionID: req.BaseConnectionID,
		ConnectionSpec:   req.ConnectionSpec,
		Data:             req.Data,
		Params:           params,
		State:            "enabled",
		CreatedAt:        now.UnixMilli(),
		UpdatedAt:        now.UnixMilli(),
		CreatedBy:        c.clientID,
		UpdatedBy:        c.clientID,
		CreatedClient:    c.clientID,
		UpdatedClient:    c.clientID,
		SandboxID:        e.sandboxIDs[c.sandbox],
		SandboxName:      c.sandbox,
		IMSOrgID:         e.opts.OrgID,
		ETag:             newETag(now),
	}
	src.Version = src.ETag
	e.mu.Lock()
	e.sandboxLocked(c.sandbox).sources[src.ID] = &sourceRecord{SourceConnection: src, seq: e.nextSeq()}
	e.mu.Unlock()

	w.Header().Set("Location", FlowBasePath+"/sourceConnections/"+src.ID)
	writeJSON(w, http.StatusCreated, idEtag{ID: src.ID, ETag: src.ETag})
	return nil
}

// retrieveSourceConnection answers GET /sourceConnections/{id} with
// {"items":[src]}.
func (e *Emulator) retrieveSourceConnection(w http.ResponseWriter, c *call) *apiError {
	id := c.route.Params["SOURCE_CONNECTION_ID"]
	e.mu.Lock()
	rec, ok := e.sandboxLocked(c.sandbox).sources[id]
	var view SourceConnection
	if ok {
		view = rec.clone()
	}
	e.mu.Unlock()
	if !ok {
		return notFound("source connection", id)
	}
	writeJSON(w, http.StatusOK, listResponse[SourceConnection]{Items: []SourceConnection{view}})
	return nil
}

// deleteSourceConnection answers DELETE /sourceConnections/{id}: 204, or 400
// CodeSourceConnectionInUse after AttachDataflow.
func (e *Emulator) deleteSourceConnection(w http.ResponseWriter, c *call) *apiError {
	id := c.route.Params["SOURCE_CONNECTION_ID"]
	e.mu.Lock()
	defer e.mu.Unlock()
	sb := e.sandboxLocked(c.sandbox)
	if _, ok := sb.sources[id]; !ok {
		return notFound("source connection", id)
	}
	if e.dataflows[id] {
		return badRequest("1418", "The source connection %s cannot be deleted because it is used in one or more flows.", id)
	}
	delete(sb.sources, id)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
