package adobeemu

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
)

// Fault makes the emulator misbehave for matching requests. Queue it with
// Inject (or POST /__emulator/faults). For each request the first queued
// fault whose Method and Path match is consumed (one of its Times) and
// applied.
//
// What the client sees:
//   - Reset: the connection is closed without a response.
//   - Hang: no response until the client gives up.
//   - Status: that status, with Body, or with an Adobe-shaped error body when
//     Body is empty (IMS OAuth error for the IMS path, Flow error otherwise).
//   - Body only: Body with status 200 (or the real status when After).
//   - Delay only: the real answer, late.
//
// Delay is waited first in every case. Header is added to Status and Body
// answers. Without After the real handler never runs, so no state changes;
// with After it runs first and its answer is replaced.
type Fault struct {
	// Method matches the request method; "" matches any.
	Method string
	// Path matches the path relative to the Flow base ("/connections",
	// "/connections/*"; path.Match globs, so * stops at "/"), or the full
	// path for IMS ("/ims/token/v3"); "" matches any. A trailing slash on the
	// request path is ignored.
	Path string
	// Times is how many matching requests the fault applies to; 0 means 1.
	Times int
	// Status is the status to answer with.
	Status int
	// Body is the raw body to answer, e.g. malformed JSON "{".
	Body string
	// Header holds extra response headers, e.g. Retry-After.
	Header http.Header
	// Delay is waited before answering; the wait ends early (and nothing is
	// answered) if the client gives up.
	Delay time.Duration
	// Hang answers nothing until the client gives up.
	Hang bool
	// Reset hijacks the connection and closes it without a response. Where
	// the connection cannot be hijacked (HTTP/2, a ResponseRecorder) the
	// emulator answers 502 with an empty body instead. Note that Go's
	// http.Transport transparently retries an idempotent request (GET,
	// DELETE, ...) whose reused keep-alive connection is closed before any
	// response byte: such a retry is a second request and meets the next
	// matching fault, if any.
	Reset bool
	// After runs the real handler first (state changes happen), then applies
	// the fault to the response: "the create succeeded but the response was
	// lost".
	After bool
}

// Inject queues f. Faults are matched in the order they were queued.
func (e *Emulator) Inject(f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	f.Method = strings.ToUpper(f.Method)
	f.Header = f.Header.Clone()
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults = append(e.faults, &f)
}

// Faulted returns how many requests a queued fault was applied to since
// New or the last Reset.
func (e *Emulator) Faulted() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.faulted
}

// ClearFaults drops every queued fault and leaves the state and the request
// log as they are (Reset drops those too): the outage is over, the history
// stays.
func (e *Emulator) ClearFaults() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults = nil
}

// takeFault consumes one use of the first fault matching the request.
func (e *Emulator) takeFault(method, matchPath string) *Fault {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i, f := range e.faults {
		if f.Method != "" && f.Method != method {
			continue
		}
		if f.Path != "" {
			if ok, err := path.Match(trimSlash(f.Path), matchPath); err != nil || !ok {
				continue
			}
		}
		e.faulted++
		f.Times--
		if f.Times <= 0 {
			e.faults = append(e.faults[:i:i], e.faults[i+1:]...)
		}
		c := *f
		return &c
	}
	return nil
}

// serve runs handle, applying f if it is not nil, and returns the status sent
// (0 for a reset, a hang or a client that went away). ims selects the default
// error body of Status faults.
func serveFault(ctx context.Context, w http.ResponseWriter, f *Fault, ims bool, requestID string, handle func(http.ResponseWriter)) int {
	if f == nil {
		sw := &statusWriter{ResponseWriter: w}
		handle(sw)
		return sw.status()
	}
	var real *recorder
	if f.After {
		real = newRecorder()
		handle(real)
	}
	if f.Delay > 0 && !sleep(ctx, f.Delay) {
		return 0
	}
	switch {
	case f.Reset:
		if resetConnection(w) {
			return 0
		}
		w.WriteHeader(http.StatusBadGateway)
		return http.StatusBadGateway
	case f.Hang:
		<-ctx.Done()
		return 0
	case f.Status != 0:
		writeFaultAnswer(w, f, f.Status, ims, requestID, nil)
		return f.Status
	case f.Body != "" && real != nil:
		writeFaultAnswer(w, f, real.code, ims, requestID, real.header)
		return real.code
	case f.Body != "":
		writeFaultAnswer(w, f, http.StatusOK, ims, requestID, nil)
		return http.StatusOK
	case real != nil:
		real.copyTo(w)
		return real.code
	default:
		sw := &statusWriter{ResponseWriter: w}
		handle(sw)
		return sw.status()
	}
}

// writeFaultAnswer writes the fault's status and body (or a default error
// body), starting from base headers when given.
func writeFaultAnswer(w http.ResponseWriter, f *Fault, status int, ims bool, requestID string, base http.Header) {
	h := w.Header()
	for k, vs := range base {
		if k != "Content-Length" {
			h[k] = append([]string(nil), vs...)
		}
	}
	for k, vs := range f.Header {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	body := []byte(f.Body)
	if f.Body == "" {
		var v any
		if ims {
			v = imsError{Error: imsCodeForStatus(status), ErrorDescription: "fault injected by the emulator"}
		} else {
			v = flowError{
				Type:   FlowErrorTypePrefix + "FLOW-" + flowCodeForStatus(status) + "-" + strconv.Itoa(status),
				Title:  http.StatusText(status),
				Status: status,
				Report: flowReport{DetailedMessage: "fault injected by the emulator", RequestID: requestID},
			}
		}
		body, _ = json.Marshal(v) // plain structs always marshal
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// sleep waits d or until ctx is done; it reports whether d elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// resetConnection closes the client connection without a response, with an
// RST where the connection is TCP. It reports false when w cannot be hijacked.
func resetConnection(w http.ResponseWriter) bool {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return false
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
	return true
}

// statusWriter remembers the status written through it.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

// recorder buffers a handler's answer.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: make(http.Header)} }

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.body.Write(b)
}

func (r *recorder) copyTo(w http.ResponseWriter) {
	h := w.Header()
	for k, vs := range r.header {
		h[k] = append([]string(nil), vs...)
	}
	code := r.code
	if code == 0 {
		code = http.StatusOK
	}
	w.WriteHeader(code)
	_, _ = w.Write(r.body.Bytes())
}

// faultJSON is the wire form of Fault in the admin API: Delay is a Go
// duration string ("250ms").
type faultJSON struct {
	Method string      `json:"method,omitempty"`
	Path   string      `json:"path,omitempty"`
	Times  int         `json:"times,omitempty"`
	Status int         `json:"status,omitempty"`
	Body   string      `json:"body,omitempty"`
	Header http.Header `json:"header,omitempty"`
	Delay  string      `json:"delay,omitempty"`
	Hang   bool        `json:"hang,omitempty"`
	Reset  bool        `json:"reset,omitempty"`
	After  bool        `json:"after,omitempty"`
}

// MarshalJSON encodes f with lower-case field names and Delay as a Go
// duration string.
func (f Fault) MarshalJSON() ([]byte, error) {
	j := faultJSON{
		Method: f.Method, Path: f.Path, Times: f.Times, Status: f.Status, Body: f.Body,
		Header: f.Header, Hang: f.Hang, Reset: f.Reset, After: f.After,
	}
	if f.Delay != 0 {
		j.Delay = f.Delay.String()
	}
	return json.Marshal(j)
}

// UnmarshalJSON decodes the form MarshalJSON writes. Unknown fields, a
// malformed delay, a negative times or delay, and a status outside 100-599
// are errors.
func (f *Fault) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var j faultJSON
	if err := dec.Decode(&j); err != nil {
		return fmt.Errorf("decoding fault: %w", err)
	}
	var delay time.Duration
	if j.Delay != "" {
		d, err := time.ParseDuration(j.Delay)
		if err != nil {
			return fmt.Errorf("decoding fault delay: %w", err)
		}
		delay = d
	}
	switch {
	case delay < 0:
		return fmt.Errorf("fault delay %v is negative", delay)
	case j.Times < 0:
		return fmt.Errorf("fault times %d is negative", j.Times)
	case j.Status != 0 && (j.Status < 100 || j.Status > 599):
		return fmt.Errorf("fault status %d is not an HTTP status", j.Status)
	}
	*f = Fault{
		Method: j.Method, Path: j.Path, Times: j.Times, Status: j.Status, Body: j.Body,
		Header: j.Header, Delay: delay, Hang: j.Hang, Reset: j.Reset, After: j.After,
	}
	return nil
}
