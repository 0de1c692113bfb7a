package benchrun

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestOpName(t *testing.T) {
	t.Parallel()
	rec := NewRecorder("stack-x/kinesis/{accountId}", "stack-x/adobe")
	tests := []struct {
		name     string
		endpoint string
		req      request
		want     string
	}{
		{name: "dynamodb", endpoint: EndpointAWS, req: request{target: "DynamoDB_20120810.GetItem"}, want: "dynamodb.GetItem"},
		{name: "eventbridge", endpoint: EndpointAWS, req: request{target: "AWSEvents.PutEvents"}, want: "events.PutEvents"},
		{name: "sqs", endpoint: EndpointAWS, req: request{target: "AmazonSQS.SendMessage"}, want: "sqs.SendMessage"},
		{name: "unknown service kept", endpoint: EndpointAWS, req: request{target: "Foo_2020.Bar"}, want: "Foo_2020.Bar"},
		{name: "no target", endpoint: EndpointAWS, req: request{method: "POST", path: "/"}, want: "aws POST /"},
		{
			name: "kinesis secret", endpoint: EndpointAWS,
			req:  request{target: "secretsmanager.GetSecretValue", body: []byte(`{"SecretId":"stack-x/kinesis/210000000001","VersionStage":"AWSCURRENT"}`)},
			want: "secretsmanager.GetSecretValue (Kinesis keys)",
		},
		{
			name: "adobe secret", endpoint: EndpointAWS,
			req:  request{target: "secretsmanager.GetSecretValue", body: []byte(`{"SecretId":"stack-x/adobe"}`)},
			want: "secretsmanager.GetSecretValue (Adobe credentials)",
		},
		{
			name: "other secret", endpoint: EndpointAWS,
			req:  request{target: "secretsmanager.GetSecretValue", body: []byte(`{"SecretId":"elsewhere"}`)},
			want: "secretsmanager.GetSecretValue (other secret)",
		},
		{
			name: "unreadable secret request", endpoint: EndpointAWS,
			req:  request{target: "secretsmanager.GetSecretValue", body: []byte(`not json`)},
			want: "secretsmanager.GetSecretValue (unreadable request)",
		},
		{name: "ims", endpoint: EndpointAdobe, req: request{method: "POST", path: "/ims/token/v3"}, want: "ims POST /ims/token/v3"},
		{name: "flow listing", endpoint: EndpointAdobe, req: request{method: "GET", path: "/data/foundation/flowservice/connections", rawQuery: "property=name%3D%3Dx"}, want: "flow GET /connections"},
		{name: "flow id", endpoint: EndpointAdobe, req: request{method: "GET", path: "/data/foundation/flowservice/connections/61e584f2-a848-47b4-9fd6-2741720b772d/test"}, want: "flow GET /connections/{id}/test"},
		{name: "other adobe path", endpoint: EndpointAdobe, req: request{method: "GET", path: "/elsewhere/42"}, want: "adobe GET /elsewhere/{id}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := rec.opName(tt.endpoint, &tt.req); got != tt.want {
				t.Errorf("opName(%s, %s %s %s) = %q, want %q", tt.endpoint, tt.req.method, tt.req.path, tt.req.target, got, tt.want)
			}
		})
	}
}

func TestTemplatePath(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"/connections":                        "/connections",
		"/connections/":                       "/connections",
		"/connectionSpecs/86043421-563b-46ec": "/connectionSpecs/{id}",
		"/sourceConnections/abc1/x":           "/sourceConnections/{id}/x",
		"":                                    "/",
		"/":                                   "/",
	}
	for in, want := range tests {
		if got := templatePath(in); got != want {
			t.Errorf("templatePath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRecorderHandler(t *testing.T) {
	t.Parallel()
	rec := NewRecorder("s/kinesis/{accountId}", "s/adobe")
	bodies := make(chan string, 4)
	release := make(chan struct{})
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies <- string(b)
		switch r.URL.Path {
		case "/created":
			w.WriteHeader(http.StatusCreated)
		case "/hang":
			<-release
		default:
			_, _ = io.WriteString(w, "{}") // implicit 200
		}
	})
	srv := httptest.NewServer(rec.Handler(EndpointAdobe, inner))
	defer srv.Close()
	post := func(path, body string) {
		t.Helper()
		resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatalf("POST %s = %v", path, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}

	post("/data/foundation/flowservice/connections", `{"name":"x"}`)
	if got := <-bodies; got != `{"name":"x"}` {
		t.Errorf("the wrapped handler read body %q, want %q", got, `{"name":"x"}`)
	}
	mark := rec.Mark()
	post("/created", "")
	got := rec.Since(mark)
	if len(got) != 1 {
		t.Fatalf("Since(%d) = %s, want one call", mark, describe(got))
	}
	c := got[0]
	if c.Op != "adobe POST /created" || c.Status != http.StatusCreated || c.Endpoint != EndpointAdobe {
		t.Errorf("recorded call = %s %s -> %d, want adobe POST /created -> 201", c.Endpoint, c.Op, c.Status)
	}
	if c.Start.IsZero() || c.End.Before(c.Start) {
		t.Errorf("recorded call from %v to %v, want a start and an end not before it", c.Start, c.End)
	}
	all := rec.Since(0)
	if len(all) != 2 || all[0].Status != http.StatusOK || string(all[0].req.body) != `{"name":"x"}` {
		t.Errorf("Since(0) = %s, want the first call with status 200 and its body kept", describe(all))
	}

	// A call in flight is recorded without an end.
	done := make(chan struct{})
	go func() {
		defer close(done)
		resp, err := http.Get(srv.URL + "/hang")
		if err == nil {
			resp.Body.Close()
		}
	}()
	for rec.Mark() < 3 {
		select {
		case <-done:
			t.Fatal("the hanging request ended before it was recorded")
		default:
			time.Sleep(time.Millisecond)
		}
	}
	if inflight := rec.Since(2); len(inflight) != 1 || !inflight[0].End.IsZero() || inflight[0].Duration() != 0 {
		t.Errorf("Since(2) while in flight = %+v, want one call without an end", inflight)
	}
	close(release)
	<-done
}

func TestStrip(t *testing.T) {
	t.Parallel()
	calls := []Call{{Op: "a", req: &request{body: []byte("secret")}}}
	got := strip(calls)
	if got[0].req != nil {
		t.Errorf("strip() kept the request")
	}
	if calls[0].req == nil {
		t.Errorf("strip() modified its input")
	}
	if diff := cmp.Diff("a", got[0].Op); diff != "" {
		t.Errorf("strip() mismatch (-want +got):\n%s", diff)
	}
}
