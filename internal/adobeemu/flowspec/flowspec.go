package flowspec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/contracts"
)

// BasePath is the path prefix under which Flow Service is served, in
// production (https://platform.adobe.io/data/foundation/flowservice) and in the
// emulator alike.
const BasePath = "/data/foundation/flowservice"

// Sentinel errors of Find. Callers branch on them with errors.Is.
var (
	// ErrNotFound means no path of the spec matches.
	ErrNotFound = errors.New("flowspec: no operation matches the path")
	// ErrMethodNotAllowed means the path exists but not with that method.
	ErrMethodNotAllowed = errors.New("flowspec: the path does not support the method")
)

// Spec is the corrected Flow Service OpenAPI document plus a router over it.
// It is safe for concurrent use once loaded.
type Spec struct {
	doc    *openapi3.T
	router routers.Router
}

// Route is the operation a request addresses.
type Route struct {
	// Method is the HTTP method, upper case.
	Method string
	// Path is the spec's path template relative to BasePath, e.g.
	// "/connections/{BASE_CONNECTION_ID}".
	Path string
	// OperationID is the spec's operationId, e.g. "createConnection".
	OperationID string
	// Params holds the path parameters by name.
	Params map[string]string

	route *routers.Route
}

// ValidationError reports why a request does not match the spec. Its
// problems name parameters and JSON pointers but never the values sent.
type ValidationError struct {
	Problems []string
}

func (e *ValidationError) Error() string {
	return "request does not match the flow service spec: " + strings.Join(e.Problems, "; ")
}

// Load parses contracts.FlowServiceSpec, applies the corrections below and
// validates the result (examples excluded: one example of the official file
// fails strict validation).
//
// Corrections, each from contracts/flowservice.md:
//   - servers: dropped; routes are matched on the path relative to BasePath.
//   - DELETE and PATCH of a base connection are declared under
//     "/connections/{BASE_CONNECTION_ID}/" (trailing slash) but tutorials and
//     clients call them without it: the operations are merged into
//     "/connections/{BASE_CONNECTION_ID}" and Find ignores a trailing slash.
//   - "property" is declared style form, explode false, yet Adobe repeats
//     "property=" to AND filters: it is treated as exploded, so each repeated
//     value is decoded and validated on its own.
//   - PatchInstruction.op lists ADD/REPLACE/REMOVE only, while tutorials and
//     RFC 6902 use lower case: both cases are accepted.
//   - PatchInstruction.value is declared an object and required, but
//     tutorials replace /description with a string and RFC 6902 "remove" has
//     no value: value may be any JSON value and may be absent.
//   - PATCH bodies are declared as one PatchInstruction object, but the API
//     takes a JSON Patch document (an array of instructions, as in the update
//     tutorial): the body must be an array of PatchInstruction.
func Load(ctx context.Context) (*Spec, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(contracts.FlowServiceSpec)
	if err != nil {
		return nil, fmt.Errorf("flowspec: parsing the flow service spec: %w", err)
	}
	if err := applyNotes(doc); err != nil {
		return nil, err
	}
	if err := doc.Validate(ctx, openapi3.DisableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("flowspec: validating the corrected flow service spec: %w", err)
	}
	router, err := legacy.NewRouter(doc, openapi3.DisableExamplesValidation())
	if err != nil {
		return nil, fmt.Errorf("flowspec: building the router: %w", err)
	}
	return &Spec{doc: doc, router: router}, nil
}

func applyNotes(doc *openapi3.T) error {
	doc.Servers = nil

	const slashPath = "/connections/{BASE_CONNECTION_ID}/"
	const plainPath = "/connections/{BASE_CONNECTION_ID}"
	slashItem, plainItem := doc.Paths.Value(slashPath), doc.Paths.Value(plainPath)
	if slashItem == nil || plainItem == nil {
		return errors.New("flowspec: the spec no longer declares " + slashPath + " and " + plainPath)
	}
	for method, op := range slashItem.Operations() {
		if plainItem.GetOperation(method) != nil {
			return fmt.Errorf("flowspec: %s %s is declared with and without a trailing slash", method, plainPath)
		}
		plainItem.SetOperation(method, op)
	}
	doc.Paths.Delete(slashPath)

	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			for _, p := range op.Parameters {
				if p.Value != nil && p.Value.In == openapi3.ParameterInQuery && p.Value.Name == "property" {
					explode := true
					p.Value.Explode = &explode
				}
			}
		}
	}

	patchRef := doc.Components.Schemas["PatchInstruction"]
	if patchRef == nil || patchRef.Value == nil {
		return errors.New("flowspec: the spec no longer declares PatchInstruction")
	}
	patch := patchRef.Value
	if op := patch.Properties["op"]; op != nil && op.Value != nil {
		var enum []any
		for _, v := range op.Value.Enum {
			enum = append(enum, v)
			if s, ok := v.(string); ok && strings.ToLower(s) != s {
				enum = append(enum, strings.ToLower(s))
			}
		}
		op.Value.Enum = enum
	}
	patch.Properties["value"] = &openapi3.SchemaRef{Value: &openapi3.Schema{}}
	patch.Required = []string{"op", "path"}

	for _, item := range doc.Paths.Map() {
		op := item.Patch
		if op == nil || op.RequestBody == nil || op.RequestBody.Value == nil {
			continue
		}
		for _, media := range op.RequestBody.Value.Content {
			if media.Schema != nil && media.Schema.Ref == "#/components/schemas/PatchInstruction" {
				media.Schema = &openapi3.SchemaRef{Value: &openapi3.Schema{
					Type:  &openapi3.Types{openapi3.TypeArray},
					Items: patchRef,
				}}
			}
		}
	}
	return nil
}

// Find returns the operation that method and path address. path is relative
// to BasePath ("/connections/abc"); a trailing slash is ignored. The error is
// ErrNotFound or ErrMethodNotAllowed.
func (s *Spec) Find(method, path string) (*Route, error) {
	if len(path) > 1 {
		path = strings.TrimSuffix(path, "/")
	}
	req := &http.Request{Method: method, URL: &url.URL{Path: path}}
	route, params, err := s.router.FindRoute(req)
	if err != nil {
		var re *routers.RouteError
		if errors.As(err, &re) && re.Reason == routers.ErrMethodNotAllowed.Error() {
			return nil, ErrMethodNotAllowed
		}
		return nil, ErrNotFound
	}
	return &Route{
		Method:      route.Method,
		Path:        route.Path,
		OperationID: route.Operation.OperationID,
		Params:      params,
		route:       route,
	}, nil
}

// Validate checks r (whose body has already been read into body) against the
// operation rt: path and query parameters, headers and the JSON body. A
// mismatch is reported as *ValidationError. r is not modified.
//
// A PATCH body sent as application/json-patch+json is validated as
// application/json.
func (s *Spec) Validate(ctx context.Context, r *http.Request, rt *Route, body []byte) error {
	header := r.Header.Clone()
	if ct := header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err == nil && mt == "application/json-patch+json" {
			header.Set("Content-Type", "application/json")
		}
	}
	clone := &http.Request{
		Method:        r.Method,
		URL:           &url.URL{Path: r.URL.Path, RawQuery: r.URL.RawQuery},
		Header:        header,
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Host:          r.Host,
	}
	if len(body) == 0 {
		clone.Body = http.NoBody
	}
	opts := &openapi3filter.Options{
		MultiError:              true,
		SkipSettingDefaults:     true,
		SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.DisableSchemaErrorDetails()},
	}
	opts.WithCustomSchemaErrorFunc(schemaProblem)
	input := &openapi3filter.RequestValidationInput{
		Request:    clone,
		PathParams: rt.Params,
		Route:      rt.route,
		Options:    opts,
	}
	err := openapi3filter.ValidateRequest(ctx, input)
	if err == nil {
		return nil
	}
	return &ValidationError{Problems: problems(err)}
}

// schemaProblem renders a schema error as "<json pointer>: <reason>" without
// the offending value.
func schemaProblem(se *openapi3.SchemaError) string {
	ptr := "/" + strings.Join(se.JSONPointer(), "/")
	reason := se.Reason
	if reason == "" || se.Origin != nil {
		reason = fmt.Sprintf("does not match the schema (%s)", se.SchemaField)
	}
	return ptr + ": " + reason
}

// problems flattens a validation error into value-free messages.
func problems(err error) []string {
	var me openapi3.MultiError
	if errors.As(err, &me) && !isRequestError(err) {
		var out []string
		for _, e := range me {
			out = append(out, problems(e)...)
		}
		return out
	}
	var re *openapi3filter.RequestError
	if !errors.As(err, &re) {
		return []string{"the request is invalid"}
	}
	var where string
	switch {
	case re.Parameter != nil:
		where = fmt.Sprintf("%s parameter %q", re.Parameter.In, re.Parameter.Name)
	case re.RequestBody != nil:
		where = "request body"
	default:
		where = "request"
	}
	var out []string
	for _, reason := range reasons(re) {
		out = append(out, where+": "+reason)
	}
	return out
}

func isRequestError(err error) bool {
	var re *openapi3filter.RequestError
	return errors.As(err, &re)
}

func reasons(re *openapi3filter.RequestError) []string {
	switch {
	case errors.Is(re.Err, openapi3filter.ErrInvalidRequired):
		return []string{"is required"}
	case errors.Is(re.Err, openapi3filter.ErrInvalidEmptyValue):
		return []string{"must not be empty"}
	case re.RequestBody != nil && re.Err == nil:
		// ValidateRequestBody's only error without a cause: no content
		// declared for the request's Content-Type.
		return []string{"has an unsupported content type"}
	}
	var pe *openapi3filter.ParseError
	if re.RequestBody != nil && errors.As(re.Err, &pe) {
		return []string{"is not valid JSON"}
	}
	var out []string
	var me openapi3.MultiError
	if errors.As(re.Err, &me) {
		for _, e := range me {
			out = append(out, schemaReason(e))
		}
		return out
	}
	return []string{schemaReason(re.Err)}
}

func schemaReason(err error) string {
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		return schemaProblem(se)
	}
	var pe *openapi3filter.ParseError
	if errors.As(err, &pe) {
		if pe.Reason != "" {
			return "has an invalid value: " + pe.Reason
		}
		return "has an invalid value"
	}
	return "is invalid"
}
