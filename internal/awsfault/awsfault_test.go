package awsfault

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// upstream is a fake AWS endpoint that records what reached it.
type upstream struct {
	mu  sync.Mutex
	ops []string
}

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.mu.Lock()
	u.ops = append(u.ops, r.Header.Get("X-Amz-Target"))
	u.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_, _ = io.WriteString(w, `{"upstream":true}`)
}

func (u *upstream) forwarded() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.ops...)
}

// newFront starts a fake upstream and a Proxy in front of it.
func newFront(t *testing.T) (*Proxy, *upstream, string) {
	t.Helper()
	up := &upstream{}
	backend := httptest.NewServer(up)
	t.Cleanup(backend.Close)
	p, err := New(backend.URL)
	if err != nil {
		t.Fatalf("New(%q) = %v", backend.URL, err)
	}
	front := httptest.NewServer(p)
	t.Cleanup(front.Close)
	return p, up, front.URL
}

type response struct {
	Status int
	Body   string
}

// call POSTs an awsJson request for op to url.
func call(ctx context.Context, url, op, body string) (response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return response{}, err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	if op != "" {
		req.Header.Set("X-Amz-Target", op)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Body: string(b)}, err
}

func TestNewRejectsBadUpstream(t *testing.T) {
	t.Parallel()
	for _, upstream := range []string{"", "127.0.0.1:4566", "ftp://127.0.0.1", "http://", "http://[::1"} {
		if _, err := New(upstream); err == nil {
			t.Errorf("New(%q) = nil error, want an error", upstream)
		}
	}
}

func TestFaultResponses(t *testing.T) {
	t.Parallel()
	const (
		getSecret = "secretsmanager.GetSecretValue"
		getItem   = "DynamoDB_20120810.GetItem"
		describe  = "Kinesis_20131202.DescribeStreamSummary"
	)
	tests := []struct {
		name      string
		fault     *Fault
		op, body  string
		want      response
		forwarded bool
	}{
		{name: "no fault", op: getSecret, want: response{200, `{"upstream":true}`}, forwarded: true},
		{name: "fault for another operation", fault: &Fault{Operation: getItem, Kind: ServerError}, op: getSecret,
			want: response{200, `{"upstream":true}`}, forwarded: true},
		{name: "status and body", fault: &Fault{Operation: getSecret, Kind: Status, Status: 418, Body: `{"__type":"Teapot"}`}, op: getSecret,
			want: response{418, `{"__type":"Teapot"}`}},
		{name: "status defaults to 500", fault: &Fault{Operation: getSecret}, op: getSecret, want: response{500, ""}},
		{name: "empty operation matches any", fault: &Fault{Kind: Status, Status: 503}, op: getItem, want: response{503, ""}},
		{name: "throttle", fault: &Fault{Operation: getSecret, Kind: Throttle}, op: getSecret,
			want: response{400, `{"__type":"ThrottlingException","message":"Rate exceeded"}`}},
		{name: "dynamodb throttle", fault: &Fault{Operation: getItem, Kind: Throttle}, op: getItem,
			want: response{400, `{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"The level of configured provisioned throughput for the table was exceeded."}`}},
		{name: "kinesis throttle", fault: &Fault{Operation: describe, Kind: Throttle}, op: describe,
			want: response{400, `{"__type":"LimitExceededException","message":"Rate exceeded"}`}},
		{name: "server error", fault: &Fault{Operation: getSecret, Kind: ServerError}, op: getSecret,
			want: response{500, `{"__type":"InternalFailure","message":"awsfault: injected server error"}`}},
		{name: "dynamodb server error", fault: &Fault{Operation: getItem, Kind: ServerError}, op: getItem,
			want: response{500, `{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"awsfault: injected server error"}`}},
		{name: "malformed", fault: &Fault{Operation: getSecret, Kind: Malformed}, op: getSecret,
			want: response{200, `<html><body>awsfault: this is not JSON</body></html>`}},
		{name: "malformed with body", fault: &Fault{Operation: getSecret, Kind: Malformed, Body: `{"SecretString":`}, op: getSecret,
			want: response{200, `{"SecretString":`}},
		{name: "delay then forward", fault: &Fault{Operation: getSecret, Kind: Delay, Delay: 10 * time.Millisecond}, op: getSecret,
			want: response{200, `{"upstream":true}`}, forwarded: true},
		{name: "partial failure fails every entry", fault: &Fault{Operation: PutEventsOperation, Kind: PartialFailure},
			op: PutEventsOperation, body: `{"Entries":[{"Source":"a"},{"Source":"b"}]}`,
			want: response{200, `{"FailedEntryCount":2,"Entries":[` +
				`{"ErrorCode":"InternalFailure","ErrorMessage":"awsfault: injected entry failure"},` +
				`{"ErrorCode":"InternalFailure","ErrorMessage":"awsfault: injected entry failure"}]}`}},
		{name: "partial failure only applies to PutEvents", fault: &Fault{Kind: PartialFailure}, op: getSecret,
			want: response{200, `{"upstream":true}`}, forwarded: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, up, url := newFront(t)
			if tt.fault != nil {
				p.Inject(*tt.fault)
			}
			got, err := call(t.Context(), url, tt.op, tt.body)
			if err != nil {
				t.Fatalf("call(%s) = %v", tt.op, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("call(%s) with %+v mismatch (-want +got):\n%s", tt.op, tt.fault, diff)
			}
			var wantForwarded []string
			if tt.forwarded {
				wantForwarded = []string{tt.op}
			}
			if diff := cmp.Diff(wantForwarded, up.forwarded()); diff != "" {
				t.Errorf("requests forwarded upstream mismatch (-want +got):\n%s", diff)
			}
			if got := p.Calls(tt.op); got != 1 {
				t.Errorf("Calls(%q) = %d, want 1", tt.op, got)
			}
		})
	}
}

func TestTimesCountsDown(t *testing.T) {
	t.Parallel()
	const op = "secretsmanager.GetSecretValue"
	tests := []struct {
		name  string
		times int
		want  []int // statuses of consecutive calls
	}{
		{name: "zero means once", times: 0, want: []int{503, 200, 200}},
		{name: "twice", times: 2, want: []int{503, 503, 200}},
		{name: "negative means always", times: -1, want: []int{503, 503, 503, 503}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, _, url := newFront(t)
			p.Inject(Fault{Operation: op, Kind: Status, Status: 503, Times: tt.times})
			var got []int
			for range tt.want {
				resp, err := call(t.Context(), url, op, "{}")
				if err != nil {
					t.Fatalf("call(%s) = %v", op, err)
				}
				got = append(got, resp.Status)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("statuses with Times=%d mismatch (-want +got):\n%s", tt.times, diff)
			}
		})
	}
}

func TestFaultsApplyInInjectOrder(t *testing.T) {
	t.Parallel()
	const op = "AWSEvents.PutEvents"
	p, _, url := newFront(t)
	p.Inject(Fault{Operation: op, Kind: Status, Status: 500})
	p.Inject(Fault{Kind: Status, Status: 503})
	var got []int
	for range 3 {
		resp, err := call(t.Context(), url, op, "{}")
		if err != nil {
			t.Fatalf("call(%s) = %v", op, err)
		}
		got = append(got, resp.Status)
	}
	if diff := cmp.Diff([]int{500, 503, 200}, got); diff != "" {
		t.Errorf("statuses mismatch (-want +got):\n%s", diff)
	}
}

func TestCallsAndReset(t *testing.T) {
	t.Parallel()
	p, _, url := newFront(t)
	p.Inject(Fault{Operation: "a.X", Kind: Status, Status: 500, Times: -1})
	for _, op := range []string{"a.X", "a.X", "b.Y", ""} {
		if _, err := call(t.Context(), url, op, "{}"); err != nil {
			t.Fatal(err)
		}
	}
	counts := func() map[string]int {
		return map[string]int{"a.X": p.Calls("a.X"), "b.Y": p.Calls("b.Y"), "c.Z": p.Calls("c.Z"), "": p.Calls("")}
	}
	if diff := cmp.Diff(map[string]int{"a.X": 2, "b.Y": 1, "c.Z": 0, "": 4}, counts()); diff != "" {
		t.Errorf("Calls mismatch (-want +got):\n%s", diff)
	}
	p.Reset()
	if diff := cmp.Diff(map[string]int{"a.X": 0, "b.Y": 0, "c.Z": 0, "": 0}, counts()); diff != "" {
		t.Errorf("Calls after Reset() mismatch (-want +got):\n%s", diff)
	}
	resp, err := call(t.Context(), url, "a.X", "{}")
	if err != nil || resp.Status != 200 {
		t.Errorf("call(a.X) after Reset() = %+v, %v; want 200 (fault dropped)", resp, err)
	}
}

func TestResetAndHangFailTheClient(t *testing.T) {
	t.Parallel()
	const op = "secretsmanager.GetSecretValue"
	tests := []struct {
		name    string
		kind    Kind
		wantErr error // nil: any error
	}{
		{name: "reset", kind: Reset},
		{name: "hang", kind: Hang, wantErr: context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, up, url := newFront(t)
			p.Inject(Fault{Operation: op, Kind: tt.kind})
			ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
			defer cancel()
			got, err := call(ctx, url, op, "{}")
			if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
				t.Errorf("call(%s) with a %v fault = %+v, %v; want error %v", op, tt.kind, got, err, tt.wantErr)
			}
			if f := up.forwarded(); len(f) != 0 {
				t.Errorf("forwarded upstream: %v, want nothing", f)
			}
		})
	}
}

func TestServerCloseReleasesHang(t *testing.T) {
	t.Parallel()
	backend := httptest.NewServer(&upstream{})
	t.Cleanup(backend.Close)
	s, err := Start(t.Context(), backend.URL)
	if err != nil {
		t.Fatalf("Start(%q) = %v", backend.URL, err)
	}
	s.Proxy().Inject(Fault{Kind: Hang})
	errc := make(chan error, 1)
	go func() {
		_, err := call(t.Context(), s.URL(), "x.Y", "{}") // no client timeout
		errc <- err
	}()
	// Close only once the request is hanging in the proxy.
	deadline := time.Now().Add(10 * time.Second)
	for s.Proxy().Calls("x.Y") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the request never reached the proxy")
		}
		time.Sleep(5 * time.Millisecond)
	}
	for i := range 2 {
		if err := s.Close(); err != nil {
			t.Fatalf("Close() #%d = %v", i+1, err)
		}
	}
	if err := <-errc; err == nil {
		t.Errorf("hanging call after Close() = nil error, want an error")
	}
}

func TestOperation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		path    string
		headers map[string]string
		want    string
	}{
		{name: "awsJson target", path: "/", headers: map[string]string{"X-Amz-Target": "AmazonSQS.SendMessage"}, want: "AmazonSQS.SendMessage"},
		{name: "rpc v2 cbor", path: "/service/GraniteServiceVersion20100801/operation/GetMetricData",
			headers: map[string]string{"Smithy-Protocol": "rpc-v2-cbor"}, want: "GraniteServiceVersion20100801.GetMetricData"},
		{name: "rpc v2 cbor with an odd path", path: "/other", headers: map[string]string{"Smithy-Protocol": "rpc-v2-cbor"}},
		{name: "neither", path: "/moto-api/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodPost, tt.path, nil)
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			if got := operation(r); got != tt.want {
				t.Errorf("operation(%s %v) = %q, want %q", tt.path, tt.headers, got, tt.want)
			}
		})
	}
}

func TestKindString(t *testing.T) {
	t.Parallel()
	for k, want := range map[Kind]string{Status: "Status", PartialFailure: "PartialFailure", Kind(42): "Kind(42)"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", int(k), got, want)
		}
	}
}

// Ensure the PartialFailure body decodes as the EventBridge output shape.
func TestPartialFailureBodyShape(t *testing.T) {
	t.Parallel()
	p, _, url := newFront(t)
	p.Inject(Fault{Kind: PartialFailure})
	resp, err := call(t.Context(), url, PutEventsOperation, `{"Entries":[{}]}`)
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		FailedEntryCount int
		Entries          []struct {
			EventID      string `json:"EventId"`
			ErrorCode    string
			ErrorMessage string
		}
	}
	if err := json.Unmarshal([]byte(resp.Body), &out); err != nil {
		t.Fatalf("PartialFailure body %q: %v", resp.Body, err)
	}
	if out.FailedEntryCount != 1 || len(out.Entries) != 1 || out.Entries[0].EventID != "" {
		t.Errorf("PartialFailure body = %+v, want one failed entry without EventId", out)
	}
}
