package adobeemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// FlowErrorTypePrefix starts the "type" of every Flow Service error body; the
// code follows, e.g. "FLOW-1101-404".
const FlowErrorTypePrefix = "https://ns.adobe.com/aep/errors/"

// Error codes whose meaning the emulator chose because Adobe documents none.
const (
	// CodeCredentialsRejected answers POST and PATCH /connections when
	// Options.KinesisKeys is set and the accessKeyId/secretKey pair is not
	// in it. Adobe documents no such code: 1900 lies outside every range of
	// its catalogues, so it cannot be mistaken for a documented error.
	CodeCredentialsRejected = "FLOW-1900-400"
	// CodeSourceConnectionInUse answers DELETE /sourceConnections/{id} after
	// AttachDataflow. Adobe documents 1418-400 only for base connections; the
	// emulator reuses it for source connections, which have the same rule.
	CodeSourceConnectionInUse = "FLOW-1418-400"
)

// flowError is the Flow Service error body (RFC 7807-like).
type flowError struct {
	Type   string     `json:"type"`
	Title  string     `json:"title"`
	Status int        `json:"status"`
	Report flowReport `json:"report"`
}

type flowReport struct {
	DetailedMessage string `json:"detailed-message"`
	RequestID       string `json:"request-id"`
}

// apiError is a Flow Service error a handler returns. code is the numeric
// part ("1101"); the type is FLOW-<code>-<status>.
type apiError struct {
	status int
	code   string
	title  string
	msg    string
}

func errorf(status int, code, title, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, title: title, msg: fmt.Sprintf(format, args...)}
}

func badRequest(code, format string, args ...any) *apiError {
	return errorf(http.StatusBadRequest, code, "Bad Request", format, args...)
}

func notFound(kind, id string) *apiError {
	return errorf(http.StatusNotFound, "1101", "Resource not found",
		"The requested %s with id %s was not found. Please check the provided request and try again.", kind, id)
}

func missingField(field string) *apiError {
	return badRequest("1304", "The mandatory field %s is not provided. Please provide the %s and try again.", field, field)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only emulator-built values are encoded here; they always marshal.
		buf.Reset()
		buf.WriteString(`{}`)
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeFlowError(w http.ResponseWriter, requestID string, e *apiError) {
	writeJSON(w, e.status, flowError{
		Type:   FlowErrorTypePrefix + "FLOW-" + e.code + "-" + strconv.Itoa(e.status),
		Title:  e.title,
		Status: e.status,
		Report: flowReport{DetailedMessage: e.msg, RequestID: requestID},
	})
}

// gatewayError is the API gateway's error body.
type gatewayError struct {
	ErrorCode string `json:"error_code"`
	Message   string `json:"message"`
}

func writeGatewayError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, gatewayError{ErrorCode: code, Message: msg})
}

// contentTypeError is the body Platform answers when Content-Type is missing
// or wrong (flowservice.md, section 6, shape 4).
type contentTypeError struct {
	Type   string `json:"type"`
	Status int    `json:"status"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
}

func writeContentTypeError(w http.ResponseWriter) {
	writeJSON(w, http.StatusBadRequest, contentTypeError{
		Type:   "/placeholder/type/uri",
		Status: http.StatusBadRequest,
		Title:  "BadRequestError",
		Detail: "A valid content-type must be specified",
	})
}

// imsError is the OAuth 2 error body of IMS.
type imsError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

func writeIMSError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, imsError{Error: code, ErrorDescription: desc})
}

// flowCodeForStatus is the code of the default Flow error body of a fault.
// The documented generic codes are used where they exist; other statuses
// (429, 502, ...) get the emulator's generic 1000.
func flowCodeForStatus(status int) string {
	switch status {
	case 400:
		return "1000"
	case 401:
		return "1001"
	case 403:
		return "1002"
	case 404:
		return "1003"
	case 408:
		return "1006"
	case 412:
		return "1013"
	case 415:
		return "1004"
	case 500:
		return "1102"
	case 503:
		return "1103"
	case 504:
		return "1104"
	default:
		return "1000"
	}
}

// imsCodeForStatus is the OAuth error of the default IMS body of a fault.
func imsCodeForStatus(status int) string {
	switch {
	case status == 401:
		return "invalid_client"
	case status == 429:
		return "too_many_requests"
	case status == 503:
		return "temporarily_unavailable"
	case status >= 500:
		return "server_error"
	default:
		return "invalid_request"
	}
}
