package awsfault

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Kind is what an injected fault does to the request it matches.
type Kind int

const (
	// Status answers Fault.Status (500 when zero) with Fault.Body.
	Status Kind = iota
	// Throttle answers 400 with the service's throttling error:
	// ProvisionedThroughputExceededException for DynamoDB,
	// LimitExceededException for Kinesis, ThrottlingException otherwise.
	// The SDK retries all three (after a throttle backoff).
	Throttle
	// ServerError answers 500 with an InternalFailure (DynamoDB:
	// InternalServerError) error body. The SDK retries it.
	ServerError
	// Malformed answers 200 with a body that is not JSON (Fault.Body if
	// set).
	Malformed
	// Reset closes the connection with a TCP RST without answering.
	Reset
	// Hang never answers: it blocks until the client gives up or the
	// Server closes.
	Hang
	// Delay sleeps Fault.Delay, then forwards the request.
	Delay
	// PartialFailure applies to AWSEvents.PutEvents only: it forwards
	// nothing and answers 200 with every entry of the request failed
	// (ErrorCode InternalFailure). The SDK does not retry it.
	PartialFailure
)

var kindNames = [...]string{"Status", "Throttle", "ServerError", "Malformed", "Reset", "Hang", "Delay", "PartialFailure"}

func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Fault describes a failure to inject.
type Fault struct {
	// Operation is the X-Amz-Target value to match, e.g.
	// "AWSEvents.PutEvents", "secretsmanager.GetSecretValue",
	// "DynamoDB_20120810.PutItem"; "" matches any request (a PartialFailure
	// still only matches PutEvents).
	Operation string
	// Times is how many matching requests fail: 0 means 1, a negative value
	// means every matching request until Reset.
	Times int
	Kind  Kind
	// Status and Body are the answer of a Status fault (Body also replaces
	// the Malformed body).
	Status int
	Body   string
	// Delay is the pause of a Delay fault.
	Delay time.Duration
	// After forwards the request upstream first, so that it takes effect
	// (a write is made), then answers with the fault instead of upstream's
	// answer: "the write succeeded but its answer was lost". It applies to
	// Status, Throttle, ServerError, Malformed, Reset and Hang; Delay and
	// PartialFailure ignore it.
	After bool
	// BodyContains, when set, restricts the fault to requests whose body
	// contains it, e.g. a DynamoDB UpdateExpression fragment
	// ("#state = :ready") to fail one kind of update and not another.
	BodyContains string
}

// PutEventsOperation is the X-Amz-Target of EventBridge PutEvents.
const PutEventsOperation = "AWSEvents.PutEvents"

// maxBody caps a request body the proxy reads itself (PutEvents requests are
// at most 1 MB, other requests this package sees are smaller).
const maxBody = 16 << 20

// Proxy is an http.Handler that forwards to an upstream endpoint and injects
// faults. It is safe for concurrent use.
type Proxy struct {
	rp *httputil.ReverseProxy

	mu     sync.Mutex
	faults []*pending // in Inject order; the first match wins
	calls  map[string]int
	total  int
	struck int // requests a fault was applied to

	closing   chan struct{} // closed to release Hang faults
	closeOnce sync.Once
}

type pending struct {
	Fault
	left int // negative: unlimited
}

// New returns a Proxy that forwards to upstream (an http or https base URL,
// e.g. moto's). The Host header of the client's request is kept.
func New(upstream string) (*Proxy, error) {
	u, err := url.Parse(upstream)
	if err != nil {
		return nil, fmt.Errorf("awsfault: upstream %q: %w", upstream, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("awsfault: upstream %q: want an http(s) URL with a host", upstream)
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.Proxy = nil // never send test traffic through an environment proxy
	p := &Proxy{calls: map[string]int{}, closing: make(chan struct{})}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.Out.Host = pr.In.Host // keep the signed Host
		},
		Transport: transport,
		ErrorLog:  log.New(io.Discard, "", 0),
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			// An AWS-shaped 502 the SDK treats as a retryable server error.
			writeError(w, http.StatusBadGateway, "InternalFailure", "awsfault: upstream: "+err.Error())
		},
	}
	return p, nil
}

// Inject adds a fault. Faults apply in the order they were injected.
func (p *Proxy) Inject(f Fault) {
	left := f.Times
	if left == 0 {
		left = 1
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = append(p.faults, &pending{Fault: f, left: left})
}

// Calls returns how many requests operation received so far, faulted or
// forwarded; "" counts every request.
func (p *Proxy) Calls(operation string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if operation == "" {
		return p.total
	}
	return p.calls[operation]
}

// Faulted returns how many requests a fault was applied to so far (a
// Delay fault included), since the start or the last Reset.
func (p *Proxy) Faulted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.struck
}

// ClearFaults drops all pending faults and keeps the call counts (Reset
// zeroes them too): the outage is over, the history stays.
func (p *Proxy) ClearFaults() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = nil
}

// Reset drops all pending faults and zeroes the call counts and Faulted.
func (p *Proxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = nil
	p.calls = map[string]int{}
	p.total = 0
	p.struck = 0
}

// take counts a request for op and claims the first fault that matches it.
func (p *Proxy) take(op string) *Fault { return p.takeFor(op, nil) }

// takeFor is take for a request whose body is known: faults with
// BodyContains match only when it contains their text.
func (p *Proxy) takeFor(op string, body []byte) *Fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total++
	p.calls[op]++
	for i, f := range p.faults {
		if f.Operation != "" && f.Operation != op {
			continue
		}
		if f.BodyContains != "" && !bytes.Contains(body, []byte(f.BodyContains)) {
			continue
		}
		if f.Kind == PartialFailure && op != PutEventsOperation {
			continue
		}
		if f.left > 0 {
			f.left--
			if f.left == 0 {
				p.faults = slices.Delete(p.faults, i, i+1)
			}
		}
		p.struck++
		fault := f.Fault
		return &fault
	}
	return nil
}

// matchesBodies reports whether a pending fault matches on request bodies.
func (p *Proxy) matchesBodies() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.ContainsFunc(p.faults, func(f *pending) bool { return f.BodyContains != "" })
}

// operation names the AWS operation of r: its X-Amz-Target, or "<S>.<O>"
// for a Smithy RPC v2 CBOR request to /service/<S>/operation/<O>; "" when
// neither applies.
func operation(r *http.Request) string {
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		return t
	}
	if r.Header.Get("Smithy-Protocol") != "" {
		rest, ok := strings.CutPrefix(r.URL.Path, "/service/")
		if !ok {
			return ""
		}
		if svc, op, ok := strings.Cut(rest, "/operation/"); ok {
			return svc + "." + op
		}
	}
	return ""
}

// ServeHTTP forwards r upstream or applies the first fault that matches it.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := operation(r)
	var f *Fault
	if p.matchesBodies() {
		// Buffer the body to match it; it is forwarded (or read by the
		// fault) from the buffer.
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
		if err != nil {
			writeError(w, http.StatusBadRequest, "ValidationException", "awsfault: read request: "+err.Error())
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		f = p.takeFor(op, body)
	} else {
		f = p.take(op)
	}
	if f == nil {
		p.rp.ServeHTTP(w, r)
		return
	}
	if f.After && f.Kind != Delay && f.Kind != PartialFailure {
		// The request takes effect upstream; its answer is dropped.
		p.rp.ServeHTTP(newDiscardWriter(), r)
	}
	switch f.Kind {
	case Status:
		status := f.Status
		if status == 0 {
			status = http.StatusInternalServerError
		}
		w.Header().Set("Content-Type", contentType(r))
		w.WriteHeader(status)
		_, _ = io.WriteString(w, f.Body)
	case Throttle:
		code, msg := "ThrottlingException", "Rate exceeded"
		switch {
		case strings.HasPrefix(op, "DynamoDB_"):
			code = "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"
			msg = "The level of configured provisioned throughput for the table was exceeded."
		case strings.HasPrefix(op, "Kinesis_"):
			code = "LimitExceededException"
		}
		writeError(w, http.StatusBadRequest, code, msg)
	case ServerError:
		code := "InternalFailure"
		if strings.HasPrefix(op, "DynamoDB_") {
			code = "com.amazonaws.dynamodb.v20120810#InternalServerError"
		}
		writeError(w, http.StatusInternalServerError, code, "awsfault: injected server error")
	case Malformed:
		body := f.Body
		if body == "" {
			body = "<html><body>awsfault: this is not JSON</body></html>"
		}
		w.Header().Set("Content-Type", contentType(r))
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, body)
	case Reset:
		reset(w)
	case Hang:
		// Reading the body to the end lets net/http watch the connection,
		// so the request context ends when the client gives up.
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxBody))
		select {
		case <-r.Context().Done():
		case <-p.closing:
			reset(w)
		}
	case Delay:
		// Buffer the body so net/http notices a client that gives up while
		// the request waits.
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-t.C:
			p.rp.ServeHTTP(w, r)
		case <-r.Context().Done():
		}
	case PartialFailure:
		partialFailure(w, r)
	default:
		writeError(w, http.StatusInternalServerError, "InternalFailure", "awsfault: unknown fault kind "+f.Kind.String())
	}
}

func contentType(r *http.Request) string {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		return ct
	}
	return "application/x-amz-json-1.1"
}

// writeError writes an awsJson error response.
func writeError(w http.ResponseWriter, status int, code, message string) {
	body, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{code, message})
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// discardWriter is a ResponseWriter that drops what it is given: upstream's
// answer to a request an After fault answers instead.
type discardWriter struct{ header http.Header }

func newDiscardWriter() *discardWriter { return &discardWriter{header: http.Header{}} }

func (d *discardWriter) Header() http.Header         { return d.header }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

// reset hijacks the connection and closes it with a TCP RST.
func reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		writeError(w, http.StatusBadGateway, "InternalFailure", "awsfault: cannot reset a connection that does not support hijacking")
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// partialFailure answers a PutEvents request with every entry failed.
func partialFailure(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		writeError(w, http.StatusBadRequest, "ValidationException", "awsfault: read PutEvents request: "+err.Error())
		return
	}
	var req struct {
		Entries []json.RawMessage `json:"Entries"`
	}
	if err := json.Unmarshal(raw, &req); err != nil {
		writeError(w, http.StatusBadRequest, "ValidationException", "awsfault: decode PutEvents request: "+err.Error())
		return
	}
	type entry struct {
		ErrorCode    string `json:"ErrorCode"`
		ErrorMessage string `json:"ErrorMessage"`
	}
	resp := struct {
		FailedEntryCount int     `json:"FailedEntryCount"`
		Entries          []entry `json:"Entries"`
	}{FailedEntryCount: len(req.Entries), Entries: make([]entry, len(req.Entries))}
	for i := range resp.Entries {
		resp.Entries[i] = entry{ErrorCode: "InternalFailure", ErrorMessage: "awsfault: injected entry failure"}
	}
	body, _ := json.Marshal(resp)
	w.Header().Set("Content-Type", contentType(r))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// Server serves a Proxy on a loopback port.
type Server struct {
	proxy *Proxy
	srv   *http.Server
	url   string
	done  chan struct{} // closed when Serve returned

	closeOnce sync.Once
	closeErr  error
}

// Start serves a new Proxy to upstream on 127.0.0.1:<free port> until Close.
// ctx bounds only the listen.
func Start(ctx context.Context, upstream string) (*Server, error) {
	p, err := New(upstream)
	if err != nil {
		return nil, err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("awsfault: listen: %w", err)
	}
	s := &Server{
		proxy: p,
		srv: &http.Server{
			Handler:           p,
			ErrorLog:          log.New(io.Discard, "", 0),
			ReadHeaderTimeout: 10 * time.Second,
		},
		url:  "http://" + ln.Addr().String(),
		done: make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln) // returns http.ErrServerClosed after Close
	}()
	return s, nil
}

// URL is the proxy's base URL, e.g. http://127.0.0.1:41235.
func (s *Server) URL() string { return s.url }

// Proxy is the served Proxy, to Inject faults and read Calls.
func (s *Server) Proxy() *Proxy { return s.proxy }

// Close stops the server, releasing requests held by Hang faults (their
// connections are reset). It is idempotent.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.proxy.closeOnce.Do(func() { close(s.proxy.closing) })
		if err := s.srv.Close(); err != nil {
			s.closeErr = fmt.Errorf("awsfault: close: %w", err)
		}
		<-s.done
	})
	return s.closeErr
}

// compile-time check that the proxy is a handler.
var _ http.Handler = (*Proxy)(nil)
