package benchrun

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// seen is what a fake endpoint received.
type seen struct {
	Method, Path, Query, Target, Auth, Body string
}

func fakeEndpoint(t *testing.T, status int) (*httptest.Server, func() []seen) {
	t.Helper()
	var (
		mu  sync.Mutex
		got []seen
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, seen{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("X-Amz-Target"), r.Header.Get("Authorization"), string(b)})
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, "{}")
	}))
	t.Cleanup(srv.Close)
	return srv, func() []seen {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(got)
	}
}

func TestReplayAWS(t *testing.T) {
	t.Parallel()
	aws, received := fakeEndpoint(t, http.StatusOK)
	rp, err := NewReplayer(aws.URL, "http://127.0.0.1:1")
	if err != nil {
		t.Fatalf("NewReplayer() = %v", err)
	}
	defer rp.Close()
	targets := make([]string, 0, len(awsOps))
	for target := range awsOps {
		targets = append(targets, target)
	}
	slices.Sort(targets)
	var calls []Call
	var want []seen
	for _, target := range targets {
		body := `{"TableName":"t","Marker":"` + target + ` for 210000000001"}`
		calls = append(calls, Call{Endpoint: EndpointAWS, Op: target, req: &request{method: "POST", path: "/", target: target, body: []byte(body)}})
		want = append(want, seen{Method: "POST", Path: "/", Target: target, Body: strings.ReplaceAll(body, "210000000001", "310000000001")})
	}
	if _, err := rp.Replay(t.Context(), calls, strings.NewReplacer("210000000001", "310000000001")); err != nil {
		t.Fatalf("Replay() = %v", err)
	}
	got := received()
	for i := range got {
		if !strings.HasPrefix(got[i].Auth, "AWS4-HMAC-SHA256 ") {
			t.Errorf("request %d Authorization = %q, want a SigV4 signature", i, got[i].Auth)
		}
		got[i].Auth = ""
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Replay() sent (-want +got):\n%s", diff)
	}
}

func TestReplayAdobe(t *testing.T) {
	t.Parallel()
	adobe, received := fakeEndpoint(t, http.StatusNotFound) // an answered error is not a replay error
	rp, err := NewReplayer("http://127.0.0.1:1", adobe.URL)
	if err != nil {
		t.Fatalf("NewReplayer() = %v", err)
	}
	defer rp.Close()
	header := http.Header{"Authorization": {"Bearer tok"}, "Content-Length": {"99"}, "Accept-Encoding": {"gzip"}}
	calls := []Call{
		{Endpoint: EndpointAdobe, Op: "flow GET /connections", req: &request{method: "GET", path: "/data/foundation/flowservice/connections", rawQuery: "property=name%3D%3DAmazon+Kinesis+210000000001", header: header}},
		{Endpoint: EndpointAdobe, Op: "flow POST /connections", req: &request{method: "POST", path: "/data/foundation/flowservice/connections", header: header, body: []byte(`{"name":"Amazon Kinesis 210000000001"}`)}},
	}
	if _, err := rp.Replay(t.Context(), calls, strings.NewReplacer("210000000001", "310000000001")); err != nil {
		t.Fatalf("Replay() = %v", err)
	}
	want := []seen{
		{Method: "GET", Path: "/data/foundation/flowservice/connections", Query: "property=name%3D%3DAmazon+Kinesis+310000000001", Auth: "Bearer tok"},
		{Method: "POST", Path: "/data/foundation/flowservice/connections", Auth: "Bearer tok", Body: `{"name":"Amazon Kinesis 310000000001"}`},
	}
	if diff := cmp.Diff(want, received()); diff != "" {
		t.Errorf("Replay() sent (-want +got):\n%s", diff)
	}
}

func TestReplayErrors(t *testing.T) {
	t.Parallel()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	tests := []struct {
		name  string
		calls []Call
	}{
		{name: "unknown AWS operation", calls: []Call{{Endpoint: EndpointAWS, Op: "x", req: &request{target: "Nope.Op"}}}},
		{name: "no recorded request", calls: []Call{{Endpoint: EndpointAWS, Op: "x"}}},
		{name: "unknown endpoint", calls: []Call{{Endpoint: "ftp", Op: "x", req: &request{}}}},
		{name: "AWS transport failure", calls: []Call{{Endpoint: EndpointAWS, Op: "x", req: &request{target: "AWSEvents.PutEvents", body: []byte("{}")}}}},
		{name: "Adobe transport failure", calls: []Call{{Endpoint: EndpointAdobe, Op: "x", req: &request{method: "GET", path: "/"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rp, err := NewReplayer(closed.URL, closed.URL)
			if err != nil {
				t.Fatalf("NewReplayer() = %v", err)
			}
			defer rp.Close()
			if _, err := rp.Replay(t.Context(), tt.calls, nil); err == nil {
				t.Errorf("Replay(%s) = nil error, want an error", describe(tt.calls))
			}
		})
	}
}

func TestReplayAWSErrorAnswerIsNotAnError(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"}`)
	}))
	defer srv.Close()
	rp, err := NewReplayer(srv.URL, srv.URL)
	if err != nil {
		t.Fatalf("NewReplayer() = %v", err)
	}
	defer rp.Close()
	calls := []Call{{Endpoint: EndpointAWS, Op: "dynamodb.PutItem", req: &request{target: "DynamoDB_20120810.PutItem", body: []byte(`{}`)}}}
	if _, err := rp.Replay(t.Context(), calls, nil); err != nil {
		t.Errorf("Replay() of a call answered 400 = %v, want nil (statuses are compared by the caller)", err)
	}
}
