package trigger

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/lambdalog"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/provision/provisiontest"
)

// benchDispatcher is a dispatcher as the function builds it (JSON logs at
// INFO, to io.Discard) over the recording fake, and an invocation context
// with a Lambda deadline. The fake keeps every request: its log's amortised
// growth is in B/op (a few hundred bytes), not in allocs/op.
func benchDispatcher(b *testing.B) (*Dispatcher, context.Context) {
	b.Helper()
	cfg := testConfig
	cfg.AllowedAccountIDs = []string{ownAccount}
	d, err := NewDispatcher(cfg, &provisiontest.Recorder{ConnectionID: "61e584f2-a848-47b4-9fd6-2741720b772d", Created: true}, lambdalog.New(io.Discard, "INFO"))
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(b.Context(), 30*time.Second)
	b.Cleanup(cancel)
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: "req-1", InvokedFunctionArn: functionARN})
	return d, ctx
}

func sampleEvent(b *testing.B, name string) json.RawMessage {
	b.Helper()
	payload, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	if err != nil {
		b.Fatal(err)
	}
	return payload
}

// BenchmarkHandle is the dispatcher's whole in-process path for one
// invocation: classify, decode, validate, provision (fake), answer, log.
func BenchmarkHandle(b *testing.B) {
	b.Run("api-rest-v1", func(b *testing.B) {
		d, ctx := benchDispatcher(b)
		payload := sampleEvent(b, "apigw-rest-v1-post.json")
		resp, err := d.Handle(ctx, payload)
		if r, ok := resp.(events.APIGatewayProxyResponse); err != nil || !ok || r.StatusCode != 201 {
			b.Fatalf("Handle(apigw-rest-v1-post.json) = %+v, %v; want a 201 API response", resp, err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := d.Handle(ctx, payload); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cloudtrail", func(b *testing.B) {
		d, ctx := benchDispatcher(b)
		payload := sampleEvent(b, "cloudtrail-createstream-provisioned.json")
		resp, err := d.Handle(ctx, payload)
		if o, ok := resp.(Outcome); err != nil || !ok || o.Status != "provisioned" {
			b.Fatalf("Handle(cloudtrail-createstream-provisioned.json) = %+v, %v; want a provisioned outcome", resp, err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := d.Handle(ctx, payload); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkDecodeProvisionBody decodes and checks an API request body.
func BenchmarkDecodeProvisionBody(b *testing.B) {
	body := []byte(`{"region":"eu-west-1","streamName":"orders-clickstream","accountId":"111122223333","sandbox":"prod"}`)
	if _, err := decodeProvisionBody(body); err != nil {
		b.Fatalf("decodeProvisionBody(%s) = %v", body, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeProvisionBody(body); err != nil {
			b.Fatal(err)
		}
	}
}
