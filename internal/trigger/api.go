package trigger

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/provision"
)

// MaxBodyBytes is the largest API request body accepted.
const MaxBodyBytes = 256 * 1024

// httpRequest is what the API routes need of either payload version.
type httpRequest struct {
	method    string
	path      string
	headers   map[string]string // keys lower-cased
	query     map[string]string
	body      string
	base64    bool
	requestID string
}

// response is an API answer before it is put in a payload-version shape.
type response struct {
	status  int
	headers map[string]string
	body    string
}

func (d *Dispatcher) handleAPIv1(ctx context.Context, payload []byte, sum *summary) events.APIGatewayProxyResponse {
	var req events.APIGatewayProxyRequest
	if err := json.Unmarshal(payload, &req); err != nil {
		sum.outcome, sum.reason = "rejected", "malformed API Gateway payload"
		return apiV1Response(errorResponse(http.StatusBadRequest, "InvalidRequest", "the API Gateway payload could not be decoded", 0))
	}
	r := httpRequest{
		method:    req.HTTPMethod,
		path:      req.Path,
		headers:   lowerKeys(req.Headers),
		query:     req.QueryStringParameters,
		body:      req.Body,
		base64:    req.IsBase64Encoded,
		requestID: req.RequestContext.RequestID,
	}
	if r.path == "" {
		r.path = req.Resource
	}
	return apiV1Response(d.serveHTTP(ctx, r, sum))
}

func (d *Dispatcher) handleAPIv2(ctx context.Context, payload []byte, sum *summary) events.APIGatewayV2HTTPResponse {
	var req events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(payload, &req); err != nil {
		sum.outcome, sum.reason = "rejected", "malformed API Gateway payload"
		return apiV2Response(errorResponse(http.StatusBadRequest, "InvalidRequest", "the API Gateway payload could not be decoded", 0))
	}
	path := req.RawPath
	if stage := req.RequestContext.Stage; stage != "" && stage != "$default" {
		// A named stage prefixes the path as a whole segment: "/prod" or
		// "/prod/...", never "/prodconnections".
		if rest, ok := strings.CutPrefix(path, "/"+stage); ok && (rest == "" || rest[0] == '/') {
			path = rest
		}
	}
	r := httpRequest{
		method:    req.RequestContext.HTTP.Method,
		path:      path,
		headers:   lowerKeys(req.Headers),
		query:     req.QueryStringParameters,
		body:      req.Body,
		base64:    req.IsBase64Encoded,
		requestID: req.RequestContext.RequestID,
	}
	return apiV2Response(d.serveHTTP(ctx, r, sum))
}

// requestBody decodes and checks the body: size, content type, base64.
func requestBody(r httpRequest) ([]byte, int, error) {
	if ct := r.headers["content-type"]; ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return nil, http.StatusUnsupportedMediaType, errors.New("the body must be JSON (Content-Type: application/json)")
		}
	}
	raw := r.body
	if r.base64 {
		if base64.StdEncoding.DecodedLen(len(raw)) > MaxBodyBytes+3 {
			return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("the body is larger than %d bytes", MaxBodyBytes)
		}
		b, err := base64.StdEncoding.DecodeString(raw)
		if err != nil {
			return nil, http.StatusBadRequest, errors.New("the body is marked base64-encoded but is not valid base64")
		}
		raw = string(b)
	}
	if len(raw) > MaxBodyBytes {
		return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("the body is larger than %d bytes", MaxBodyBytes)
	}
	return []byte(raw), 0, nil
}

// provisionFields are the fields of the JSON body of POST /connections and of
// a direct invocation, all strings, all optional here (the use case says
// which it requires).
var provisionFields = []string{"region", "streamName", "accountId", "sandbox"}

// decodeProvisionBody decodes strictly: a body that is not one JSON object,
// a field given twice, an unknown field (names are case-sensitive) and a
// field that is not a string are errors that name the problem without
// echoing the input.
func decodeProvisionBody(body []byte) (provision.Request, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return provision.Request{}, errors.New("the body is empty; send a JSON object such as {\"region\":\"eu-west-1\",\"streamName\":\"orders\"}")
	}
	fields, err := decodeObject(body)
	if err != nil {
		return provision.Request{}, err
	}
	return requestFromFields(fields)
}

// decodeObject decodes body, which must be exactly one JSON object, into its
// members. A name given twice is an error: JSON decoders disagree on which
// of the values counts, so such a request is ambiguous.
func decodeObject(body []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, describeJSONError(err)
	}
	if tok != json.Delim('{') {
		return nil, errors.New("the body must be a JSON object")
	}
	fields := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, describeJSONError(unexpectedEOF(err))
		}
		name, _ := tok.(string) // Token returns object keys as strings
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, describeJSONError(unexpectedEOF(err))
		}
		if _, ok := fields[name]; ok {
			return nil, fmt.Errorf("field %s appears more than once", truncate(name))
		}
		fields[name] = value
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, describeJSONError(unexpectedEOF(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("the body must hold exactly one JSON object")
	}
	return fields, nil
}

// unexpectedEOF reports an end of input inside the object as premature.
func unexpectedEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// maxListedFields is how many unknown fields an error names.
const maxListedFields = 3

// requestFromFields reads a provisioning request from a decoded JSON object.
func requestFromFields(fields map[string]json.RawMessage) (provision.Request, error) {
	var unknown []string
	for name := range fields {
		if !slices.Contains(provisionFields, name) {
			unknown = append(unknown, truncate(name))
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		more := ""
		if len(unknown) > maxListedFields {
			unknown, more = unknown[:maxListedFields], fmt.Sprintf(" and %d more", len(unknown)-maxListedFields)
		}
		return provision.Request{}, fmt.Errorf("unknown field %s%s; allowed fields are region, streamName, accountId and sandbox", strings.Join(unknown, ", "), more)
	}
	values, err := stringFields(fields, provisionFields)
	if err != nil {
		return provision.Request{}, err
	}
	return provision.Request{
		Region:     values["region"],
		StreamName: values["streamName"],
		AccountID:  values["accountId"],
		Sandbox:    values["sandbox"],
	}, nil
}

// stringFields reads the named members of a decoded JSON object, each of
// which must be a non-empty string when present: an empty string or a null
// is refused rather than read as "absent", so that {"streamName":""} cannot
// quietly become a request for the base connection only. Members with other
// names are not looked at.
func stringFields(fields map[string]json.RawMessage, names []string) (map[string]string, error) {
	values := make(map[string]string, len(names))
	for _, name := range names {
		raw, ok := fields[name]
		if !ok {
			continue
		}
		var v string
		if err := json.Unmarshal(raw, &v); err != nil || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			return nil, fmt.Errorf("field %q must be a string", name)
		}
		if v == "" {
			return nil, fmt.Errorf("field %q must not be empty (leave it out instead)", name)
		}
		values[name] = v
	}
	return values, nil
}

// describeJSONError turns a decoding error into a message that names the
// problem without echoing input.
func describeJSONError(err error) error {
	var (
		typeErr   *json.UnmarshalTypeError
		syntaxErr *json.SyntaxError
	)
	switch {
	case errors.As(err, &typeErr):
		return errors.New("the body must be a JSON object")
	case errors.As(err, &syntaxErr):
		return fmt.Errorf("the body is not valid JSON (at byte %d)", syntaxErr.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("the body is not valid JSON (it ends too early)")
	}
	return errors.New("the body is not valid JSON")
}

func (d *Dispatcher) fillDefaults(ctx context.Context, req provision.Request, t provision.Trigger, correlationID string) provision.Request {
	if req.AccountID == "" {
		req.AccountID = functionAccount(ctx)
	}
	if req.Sandbox == "" {
		req.Sandbox = d.cfg.DefaultSandbox
	}
	req.Trigger, req.CorrelationID = t, correlationID
	return req
}

func errorResponse(status int, code, message string, retryAfter time.Duration) response {
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	body.Error.Code, body.Error.Message = code, message
	resp := jsonResponse(status, body)
	if retryAfter > 0 {
		resp.headers["Retry-After"] = strconv.Itoa(int((retryAfter + time.Second - 1) / time.Second))
	}
	return resp
}

func jsonResponse(status int, v any) response {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":{"code":"InternalError","message":"the response could not be encoded"}}`)
	}
	return response{status: status, headers: map[string]string{"Content-Type": "application/json"}, body: string(b)}
}

func apiV1Response(r response) events.APIGatewayProxyResponse {
	return events.APIGatewayProxyResponse{StatusCode: r.status, Headers: r.headers, Body: r.body}
}

func apiV2Response(r response) events.APIGatewayV2HTTPResponse {
	return events.APIGatewayV2HTTPResponse{StatusCode: r.status, Headers: r.headers, Body: r.body}
}

func statusCode(status int) string {
	switch status {
	case http.StatusRequestEntityTooLarge:
		return "PayloadTooLarge"
	case http.StatusUnsupportedMediaType:
		return "UnsupportedMediaType"
	}
	return "InvalidRequest"
}

// lowerKeys lower-cases header names. Names that differ only in case are
// one header sent twice: different values are joined with a comma, as API
// Gateway joins a repeated header, in the order of the names, so that the
// outcome never depends on map order.
func lowerKeys(h map[string]string) map[string]string {
	out := make(map[string]string, len(h))
	for _, k := range slices.Sorted(maps.Keys(h)) {
		lk, v := strings.ToLower(k), h[k]
		if prev, ok := out[lk]; ok && prev != v {
			v = prev + "," + v
		}
		out[lk] = v
	}
	return out
}

// echo shows a caller value in a message: as it is when it is short and
// plain (letters, digits, '.', '_' and '-', as in account ids, error codes
// and stream names), else quoted and cut by truncate.
func echo(s string) string {
	notPlain := func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '.' && r != '_' && r != '-'
	}
	if s != "" && len(s) <= 64 && strings.IndexFunc(s, notPlain) < 0 {
		return s
	}
	return truncate(s)
}

// truncate keeps an echoed caller value short and printable.
func truncate(s string) string {
	const max = 64
	if len(s) > max {
		s = s[:max] + "…"
	}
	return strconv.Quote(s)
}
