package adobeemu

import (
	"errors"
	"mime"
	"net/http"
	"strings"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/adobeemu/flowspec"
)

// call is one Flow Service request on its way through the pipeline.
type call struct {
	body      []byte
	rel       string // path relative to FlowBasePath
	requestID string
	clientID  string // the client the token was issued to
	sandbox   string
	route     *flowspec.Route
}

// serveFlow runs the Flow Service pipeline: gateway checks, sandbox check,
// routing, content-type and If-Match checks, OpenAPI validation, then the
// endpoint.
func (e *Emulator) serveFlow(w http.ResponseWriter, r *http.Request, c *call) {
	if !e.gateway(w, r, c) {
		return
	}

	c.sandbox = r.Header.Get("x-sandbox-name")
	if c.sandbox == "" {
		writeFlowError(w, c.requestID, badRequest("2105", "The x-sandbox-name header is missing. Please provide the sandbox name and try again."))
		return
	}
	if _, ok := e.sandboxIDs[c.sandbox]; !ok {
		writeFlowError(w, c.requestID, errorf(http.StatusNotFound, "2101", "Sandbox not found",
			"The sandbox %s was not found for the organization. Please check the x-sandbox-name header and try again.", c.sandbox))
		return
	}

	rt, err := e.spec.Find(r.Method, c.rel)
	switch {
	case errors.Is(err, flowspec.ErrMethodNotAllowed):
		writeFlowError(w, c.requestID, errorf(http.StatusMethodNotAllowed, "1000", "Method Not Allowed",
			"The method %s is not supported on %s.", r.Method, c.rel))
		return
	case err != nil:
		writeFlowError(w, c.requestID, errorf(http.StatusNotFound, "1003", "Resource not found",
			"No Flow Service resource matches the path %s.", c.rel))
		return
	}
	c.route = rt

	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		if !jsonContentType(r.Header.Get("Content-Type"), r.Method == http.MethodPatch) {
			writeContentTypeError(w)
			return
		}
	}
	switch r.Method {
	case http.MethodPut, http.MethodPatch:
		// The spec marks if-match required, which validation would report as
		// a generic 1000; Flow Service answers 1403 (flowservice.md, 1 and 6).
		if r.Header.Get("If-Match") == "" {
			writeFlowError(w, c.requestID, badRequest("1403",
				"The If-Match header is missing. Please provide the etag of the resource in If-Match and try again."))
			return
		}
	}

	if err := e.spec.Validate(r.Context(), r, rt, c.body); err != nil {
		var ve *flowspec.ValidationError
		msg := "The request is invalid."
		if errors.As(err, &ve) {
			msg = "The request is invalid: " + strings.Join(ve.Problems, "; ")
		}
		writeFlowError(w, c.requestID, badRequest("1000", "%s", msg))
		return
	}

	var apiErr *apiError
	switch rt.OperationID {
	case "listConnections":
		apiErr = e.listConnections(w, r, c)
	case "createConnection":
		apiErr = e.createConnection(w, c)
	case "retrieveConnection":
		apiErr = e.retrieveConnection(w, c)
	case "testConnection":
		apiErr = e.testConnection(w, c)
	case "patchConnection":
		apiErr = e.patchConnection(w, r, c)
	case "deleteConnection":
		apiErr = e.deleteConnection(w, c)
	case "retrieveConnectionSpec":
		apiErr = e.retrieveConnectionSpec(w, c)
	case "getSourceConnections":
		apiErr = e.listSourceConnections(w, r, c)
	case "createSourceConnection":
		apiErr = e.createSourceConnection(w, c)
	case "retrieveSourceConnection":
		apiErr = e.retrieveSourceConnection(w, c)
	case "deleteSourceConnection":
		apiErr = e.deleteSourceConnection(w, c)
	default:
		apiErr = errorf(http.StatusNotImplemented, "1000", "Not Implemented",
			"The operation %s (%s %s) is valid but not implemented by the emulator.", rt.OperationID, rt.Method, rt.Path)
	}
	if apiErr != nil {
		writeFlowError(w, c.requestID, apiErr)
	}
}

// gateway applies the API gateway checks, in this order, and answers the
// first failure with the gateway error shape (flowservice.md, 6.1):
//   - no Authorization: 403 403010 (the spec documents 403 "The OAuth token
//     is missing" on every operation);
//   - not "Bearer <token>", a token not issued here, or an expired one: 401 401013;
//   - no x-api-key: 403 403000;
//   - x-api-key not the client the token was issued to: 403 403003;
//   - no x-gw-ims-org-id: 400 400003;
//   - x-gw-ims-org-id not the token's org: 403 403027.
func (e *Emulator) gateway(w http.ResponseWriter, r *http.Request, c *call) bool {
	authz := r.Header.Get("Authorization")
	if authz == "" {
		writeGatewayError(w, http.StatusForbidden, "403010", "Oauth token is missing.")
		return false
	}
	scheme, token, _ := strings.Cut(authz, " ")
	e.mu.Lock()
	info, ok := e.tokens[strings.TrimSpace(token)]
	e.mu.Unlock()
	if !strings.EqualFold(scheme, "Bearer") || !ok || !e.now().Before(info.expires) {
		writeGatewayError(w, http.StatusUnauthorized, "401013", "Oauth token is not valid")
		return false
	}
	apiKey := r.Header.Get("x-api-key")
	if apiKey == "" {
		writeGatewayError(w, http.StatusForbidden, "403000", "Api Key is required")
		return false
	}
	if apiKey != info.clientID {
		writeGatewayError(w, http.StatusForbidden, "403003", "Api Key is invalid")
		return false
	}
	org := r.Header.Get("x-gw-ims-org-id")
	if org == "" {
		writeGatewayError(w, http.StatusBadRequest, "400003", "Missing header")
		return false
	}
	if org != info.orgID {
		writeGatewayError(w, http.StatusForbidden, "403027", "User region is missing")
		return false
	}
	c.clientID = info.clientID
	return true
}

// jsonContentType reports whether ct is application/json (any parameters),
// or, for PATCH, application/json-patch+json.
func jsonContentType(ct string, patch bool) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || (patch && mt == "application/json-patch+json")
}
