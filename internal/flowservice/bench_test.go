package flowservice_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/flowservice"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/flowservice/flowservicetest"
)

func benchClient(b *testing.B, base string) *flowservice.Client {
	b.Helper()
	c, err := flowservice.NewClient(
		flowservice.WithBaseURL(base),
		flowservice.WithTokenSource(flowservicetest.NewTokenSource(testToken)),
	)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkCheckResponse_flowError decodes a Flow Service problem body.
func BenchmarkCheckResponse_flowError(b *testing.B) {
	c := benchClient(b, "https://platform.adobe.io/data/foundation/flowservice/")
	body := []byte(`{"type":"https://ns.adobe.com/aep/errors/FLOW-1415-400","title":"Bad Request","status":400,` +
		`"report":{"detailed-message":"The auth spec could not be found for the connection spec ID","request-id":"abc-123","tenantInfo":{"sandboxName":"prod"}},` +
		`"errorMessage":"auth spec not found","errorDetails":"auth.specName"}`)
	header := http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"abc-123"}}
	b.ReportAllocs()
	for b.Loop() {
		resp := &http.Response{StatusCode: 400, Header: header, Body: io.NopCloser(bytes.NewReader(body))}
		if err := flowservice.CheckResponse(c, resp); err == nil {
			b.Fatal("CheckResponse() = nil, want an error")
		}
	}
}

// BenchmarkNewRequest_createConnection builds and encodes a CreateConnection request.
func BenchmarkNewRequest_createConnection(b *testing.B) {
	c := benchClient(b, "https://platform.adobe.io/data/foundation/flowservice/")
	req := kinesisConnectionRequest()
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := flowservice.NewRequest(ctx, c, http.MethodPost, "connections", "prod", req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCreateConnection is the whole round trip against a local server.
func BenchmarkCreateConnection(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"id":"4cb0c374-d3bb-4557-b139-5712880adc55","etag":"\"6507cfd8-0000-0200-0000-5e18fc600000\""}`)
	}))
	b.Cleanup(srv.Close)
	c := benchClient(b, srv.URL+"/data/foundation/flowservice")
	req := kinesisConnectionRequest()
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.CreateConnection(ctx, "prod", req); err != nil {
			b.Fatal(err)
		}
	}
}
