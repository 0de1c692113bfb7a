package benchrun

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/adobeemu"
)

// maxRecordedBody caps a request body the Recorder keeps (the function's
// bodies are a few KiB; PutEvents allows 1 MB).
const maxRecordedBody = 2 << 20

// Recorder records every request that passes through its handlers as a
// Call. It is safe for concurrent use.
type Recorder struct {
	kinesisSecret string // prefix of the Kinesis secret ids
	adobeSecret   string

	mu    sync.Mutex
	calls []*Call
	now   func() time.Time
}

// NewRecorder returns a Recorder. The secret ids (the function's
// KINESIS_SECRET_ID, possibly with {accountId}/{region}, and
// ADOBE_SECRET_ID) name the secret reads' operations.
func NewRecorder(kinesisSecretID, adobeSecretID string) *Recorder {
	prefix, _, _ := strings.Cut(kinesisSecretID, "{")
	return &Recorder{kinesisSecret: prefix, adobeSecret: adobeSecretID, now: time.Now}
}

// Handler returns h wrapped so that every request it serves is recorded as
// a call to endpoint (EndpointAWS or EndpointAdobe). The request body is
// read whole before h runs (h would read it anyway).
func (rec *Recorder) Handler(endpoint string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &Call{Endpoint: endpoint, Start: rec.now()}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxRecordedBody+1))
		if err != nil || len(body) > maxRecordedBody {
			http.Error(w, "benchrun: cannot record the request body", http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		c.req = &request{
			method:   r.Method,
			path:     r.URL.Path,
			rawQuery: r.URL.RawQuery,
			header:   r.Header.Clone(),
			body:     body,
			target:   r.Header.Get("X-Amz-Target"),
		}
		c.Op = rec.opName(endpoint, c.req)
		rec.mu.Lock()
		rec.calls = append(rec.calls, c)
		rec.mu.Unlock()

		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)

		end := rec.now()
		rec.mu.Lock()
		c.End, c.Status = end, sw.status
		rec.mu.Unlock()
	})
}

// Mark returns the number of calls recorded so far, for Since.
func (rec *Recorder) Mark() int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return len(rec.calls)
}

// Since returns copies of the calls recorded after mark, in the order they
// started. A call still in flight has a zero End.
func (rec *Recorder) Since(mark int) []Call {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if mark > len(rec.calls) {
		mark = len(rec.calls)
	}
	out := make([]Call, 0, len(rec.calls)-mark)
	for _, c := range rec.calls[mark:] {
		out = append(out, *c)
	}
	return out
}

// awsServices maps the X-Amz-Target prefixes of the services the function
// uses to their short names.
var awsServices = map[string]string{
	"DynamoDB_20120810": "dynamodb",
	"AWSEvents":         "events",
	"secretsmanager":    "secretsmanager",
	"AmazonSQS":         "sqs",
	"Kinesis_20131202":  "kinesis",
}

// opName names the operation of a recorded request (see Call.Op).
func (rec *Recorder) opName(endpoint string, r *request) string {
	switch endpoint {
	case EndpointAWS:
		svc, op, ok := strings.Cut(r.target, ".")
		if !ok {
			return "aws " + r.method + " " + r.path
		}
		if short, ok := awsServices[svc]; ok {
			svc = short
		}
		name := svc + "." + op
		if svc == "secretsmanager" && strings.HasPrefix(op, "GetSecretValue") {
			name += " (" + rec.secretKind(r.body) + ")"
		}
		return name
	case EndpointAdobe:
		if rel, ok := strings.CutPrefix(r.path, adobeemu.FlowBasePath); ok {
			return "flow " + r.method + " " + templatePath(rel)
		}
		if r.path == "/ims/token/v3" {
			return "ims " + r.method + " " + r.path
		}
		return "adobe " + r.method + " " + templatePath(r.path)
	}
	return endpoint + " " + r.method + " " + r.path
}

// secretKind says which secret a GetSecretValue body reads.
func (rec *Recorder) secretKind(body []byte) string {
	var in struct{ SecretId string } //nolint:revive // the AWS field name
	if err := json.Unmarshal(body, &in); err != nil {
		return "unreadable request"
	}
	switch {
	case in.SecretId == rec.adobeSecret:
		return "Adobe credentials"
	case rec.kinesisSecret != "" && strings.HasPrefix(in.SecretId, rec.kinesisSecret):
		return "Kinesis keys"
	}
	return "other secret"
}

// templatePath replaces the path segments that are ids (any segment with a
// digit: Flow Service ids are UUIDs or hex) with {id}, and drops a trailing
// slash.
func templatePath(p string) string {
	segs := strings.Split(strings.TrimSuffix(p, "/"), "/")
	for i, s := range segs {
		if strings.ContainsAny(s, "0123456789") {
			segs[i] = "{id}"
		}
	}
	if out := strings.Join(segs, "/"); out != "" {
		return out
	}
	return "/"
}

// statusWriter remembers the status a handler answered.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController (flush, hijack) reach the original.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush passes flushes on, for handlers that assert http.Flusher.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		if w.status == 0 {
			w.status = http.StatusOK
		}
		f.Flush()
	}
}

// Hijack passes hijacking on, for handlers that assert http.Hijacker (the
// awsfault proxy's Reset fault).
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// describe lists calls for an error message: operation and status only.
func describe(calls []Call) string {
	parts := make([]string, len(calls))
	for i, c := range calls {
		parts[i] = fmt.Sprintf("%s -> %d", c.Op, c.Status)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// sameCalls reports why the floor's calls differ from the function's (by
// operation or status, in order), or "" when they match.
func sameCalls(fn, floor []Call) string {
	same := slices.EqualFunc(fn, floor, func(a, b Call) bool { return a.Op == b.Op && a.Status == b.Status })
	if same {
		return ""
	}
	return fmt.Sprintf("the function made %s, the floor %s", describe(fn), describe(floor))
}
