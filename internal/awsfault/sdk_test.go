package awsfault_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/awsfault"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/localenv"
)

// These tests run the real SDK clients against moto through the proxy.

const region = "us-east-1"

var shared struct {
	once sync.Once
	moto *localenv.Moto
	err  error
}

func TestMain(m *testing.M) {
	m.Run()
	if shared.moto != nil {
		_ = shared.moto.Close()
	}
}

// requireMoto returns the shared moto server; without moto_server the test
// fails with FindMoto's error, or is skipped in -short mode.
func requireMoto(t *testing.T) *localenv.Moto {
	t.Helper()
	shared.once.Do(func() {
		root, err := localenv.ModuleRoot()
		if err != nil {
			shared.err = err
			return
		}
		bin, err := localenv.FindMoto(root)
		if err != nil {
			shared.err = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		shared.moto, shared.err = localenv.StartMoto(ctx, localenv.MotoOptions{Bin: bin})
	})
	if shared.err != nil {
		if errors.Is(shared.err, localenv.ErrMotoNotFound) && testing.Short() {
			t.Skip(shared.err)
		}
		t.Fatal(shared.err)
	}
	return shared.moto
}

// setup returns a config straight to moto (for seeding and reading back), a
// proxy server in front of moto and a config that goes through it.
func setup(t *testing.T) (direct aws.Config, srv *awsfault.Server, proxied aws.Config) {
	t.Helper()
	m := requireMoto(t)
	direct, err := m.Config(t.Context(), region)
	if err != nil {
		t.Fatal(err)
	}
	srv, err = awsfault.Start(t.Context(), m.URL())
	if err != nil {
		t.Fatalf("Start(%q) = %v", m.URL(), err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close() = %v", err)
		}
	})
	proxied, err = localenv.AWSConfig(srv.URL(), region)
	if err != nil {
		t.Fatal(err)
	}
	return direct, srv, proxied
}

// TestSDKSendsXAmzTarget pins the protocol facts the proxy relies on: every
// client the provisioner uses sends an awsJson X-Amz-Target naming the
// operation.
func TestSDKSendsXAmzTarget(t *testing.T) {
	t.Parallel()
	direct, srv, cfg := setup(t)
	if err := localenv.CreateSecret(t.Context(), direct, "awsfault/protocol", "v"); err != nil {
		t.Fatal(err)
	}
	if err := localenv.CreateTable(t.Context(), direct, "awsfault-protocol"); err != nil {
		t.Fatal(err)
	}
	if err := localenv.CreateStreams(t.Context(), direct, map[string]map[string]string{"awsfault-protocol": nil}); err != nil {
		t.Fatal(err)
	}
	key := map[string]dbtypes.AttributeValue{
		"pk": &dbtypes.AttributeValueMemberS{Value: "p"},
		"sk": &dbtypes.AttributeValueMemberS{Value: "s"},
	}
	tests := []struct {
		target string
		call   func(context.Context) error
	}{
		{"secretsmanager.GetSecretValue", func(ctx context.Context) error {
			_, err := secretsmanager.NewFromConfig(cfg).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("awsfault/protocol")})
			return err
		}},
		{"AWSEvents.PutEvents", func(ctx context.Context) error {
			_, err := eventbridge.NewFromConfig(cfg).PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{
				{Source: aws.String("awsfault.test"), DetailType: aws.String("protocol"), Detail: aws.String(`{}`)},
			}})
			return err
		}},
		{"DynamoDB_20120810.PutItem", func(ctx context.Context) error {
			_, err := dynamodb.NewFromConfig(cfg).PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("awsfault-protocol"), Item: key})
			return err
		}},
		{"DynamoDB_20120810.GetItem", func(ctx context.Context) error {
			_, err := dynamodb.NewFromConfig(cfg).GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("awsfault-protocol"), Key: key})
			return err
		}},
		{"AmazonSQS.ListQueues", func(ctx context.Context) error {
			_, err := sqs.NewFromConfig(cfg).ListQueues(ctx, &sqs.ListQueuesInput{})
			return err
		}},
		{"Kinesis_20131202.DescribeStreamSummary", func(ctx context.Context) error {
			_, err := kinesis.NewFromConfig(cfg).DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("awsfault-protocol")})
			return err
		}},
		{"Kinesis_20131202.ListStreams", func(ctx context.Context) error {
			_, err := kinesis.NewFromConfig(cfg).ListStreams(ctx, &kinesis.ListStreamsInput{})
			return err
		}},
	}
	for _, tt := range tests {
		// Sequential: the rows share one proxy and count its calls.
		before := srv.Proxy().Calls("")
		if err := tt.call(t.Context()); err != nil {
			t.Errorf("%s through the proxy = %v", tt.target, err)
			continue
		}
		if got := srv.Proxy().Calls(tt.target); got != 1 {
			t.Errorf("Calls(%q) = %d, want 1", tt.target, got)
		}
		if got := srv.Proxy().Calls("") - before; got != 1 {
			t.Errorf("%s: %d requests reached the proxy, want 1", tt.target, got)
		}
	}
}

func TestPutEventsPartialFailure(t *testing.T) {
	t.Parallel()
	direct, srv, cfg := setup(t)
	const detailType = "awsfault partial failure"
	sink, err := localenv.NewEventSink(t.Context(), direct, "awsfault-partial", `{"detail-type":["`+detailType+`"]}`)
	if err != nil {
		t.Fatal(err)
	}
	srv.Proxy().Inject(awsfault.Fault{Operation: awsfault.PutEventsOperation, Kind: awsfault.PartialFailure})
	client := eventbridge.NewFromConfig(cfg)
	in := &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		EventBusName: aws.String("awsfault-partial"),
		Source:       aws.String("awsfault.test"),
		DetailType:   aws.String(detailType),
		Detail:       aws.String(`{"n":1}`),
	}}}

	out, err := client.PutEvents(t.Context(), in)
	if err != nil {
		t.Fatalf("PutEvents() with a partial failure = %v, want nil error", err)
	}
	type entry struct{ EventID, ErrorCode string }
	got := struct {
		Failed  int32
		Entries []entry
	}{Failed: out.FailedEntryCount}
	for _, e := range out.Entries {
		got.Entries = append(got.Entries, entry{aws.ToString(e.EventId), aws.ToString(e.ErrorCode)})
	}
	want := struct {
		Failed  int32
		Entries []entry
	}{Failed: 1, Entries: []entry{{ErrorCode: "InternalFailure"}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("PutEvents() with a partial failure mismatch (-want +got):\n%s", diff)
	}
	if got := srv.Proxy().Calls(awsfault.PutEventsOperation); got != 1 {
		t.Errorf("Calls(PutEvents) = %d, want 1 (the SDK does not retry entry failures)", got)
	}
	if events, err := sink.Drain(t.Context(), time.Second); err != nil || len(events) != 0 {
		t.Errorf("events published by the failed PutEvents = %s, %v; want none", events, err)
	}

	// The fault was used up: the next PutEvents goes through to moto.
	out, err = client.PutEvents(t.Context(), in)
	if err != nil || out.FailedEntryCount != 0 {
		t.Fatalf("PutEvents() after the fault = %+v, %v; want success", out, err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := sink.Receive(ctx, 1); err != nil {
		t.Errorf("event of the second PutEvents: %v", err)
	}
}

func TestSDKRetriesTransientFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		kind awsfault.Kind
		op   string
	}{
		{name: "secrets throttle", kind: awsfault.Throttle, op: "secretsmanager.GetSecretValue"},
		{name: "secrets server error", kind: awsfault.ServerError, op: "secretsmanager.GetSecretValue"},
		{name: "secrets connection reset", kind: awsfault.Reset, op: "secretsmanager.GetSecretValue"},
		{name: "dynamodb throttle", kind: awsfault.Throttle, op: "DynamoDB_20120810.GetItem"},
		{name: "dynamodb server error", kind: awsfault.ServerError, op: "DynamoDB_20120810.GetItem"},
		{name: "eventbridge throttle", kind: awsfault.Throttle, op: awsfault.PutEventsOperation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			direct, srv, cfg := setup(t)
			call := seededCall(t, direct, cfg, tt.op)
			srv.Proxy().Inject(awsfault.Fault{Operation: tt.op, Kind: tt.kind, Times: 1})
			if err := call(t.Context()); err != nil {
				t.Fatalf("%s after one %v = %v, want the SDK to retry and succeed", tt.op, tt.kind, err)
			}
			if got := srv.Proxy().Calls(tt.op); got != 2 {
				t.Errorf("Calls(%q) = %d, want 2 (one fault, one retry)", tt.op, got)
			}
		})
	}
}

// seededCall seeds what op needs through direct and returns a call of op
// through cfg.
func seededCall(t *testing.T, direct, cfg aws.Config, op string) func(context.Context) error {
	t.Helper()
	switch op {
	case "secretsmanager.GetSecretValue":
		if err := localenv.CreateSecret(t.Context(), direct, "awsfault/"+t.Name(), `{"k":"v"}`); err != nil {
			t.Fatal(err)
		}
		return func(ctx context.Context) error {
			_, err := secretsmanager.NewFromConfig(cfg).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("awsfault/" + t.Name())})
			return err
		}
	case "DynamoDB_20120810.GetItem":
		if err := localenv.CreateTable(t.Context(), direct, "awsfault-retry"); err != nil {
			t.Fatal(err)
		}
		return func(ctx context.Context) error {
			_, err := dynamodb.NewFromConfig(cfg).GetItem(ctx, &dynamodb.GetItemInput{
				TableName: aws.String("awsfault-retry"),
				Key: map[string]dbtypes.AttributeValue{
					"pk": &dbtypes.AttributeValueMemberS{Value: t.Name()},
					"sk": &dbtypes.AttributeValueMemberS{Value: "s"},
				},
			})
			return err
		}
	case awsfault.PutEventsOperation:
		return func(ctx context.Context) error {
			out, err := eventbridge.NewFromConfig(cfg).PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{
				{Source: aws.String("awsfault.test"), DetailType: aws.String("retry"), Detail: aws.String(`{}`)},
			}})
			if err == nil && out.FailedEntryCount != 0 {
				err = errors.New("failed entries")
			}
			return err
		}
	}
	t.Fatalf("no seeded call for %q", op)
	return nil
}

func TestSDKSurfacesFaults(t *testing.T) {
	t.Parallel()
	const op = "secretsmanager.GetSecretValue"
	var deserialization *smithy.DeserializationError
	var notFound *smtypes.ResourceNotFoundException
	tests := []struct {
		name      string
		fault     awsfault.Fault
		timeout   time.Duration // client ctx timeout; 0 = none
		check     func(error) bool
		wantCalls int
	}{
		{
			name:      "reset on every attempt",
			fault:     awsfault.Fault{Operation: op, Kind: awsfault.Reset, Times: -1},
			check:     func(err error) bool { return err != nil },
			wantCalls: 3, // the SDK's default max attempts
		},
		{
			name:      "hang until the client gives up",
			fault:     awsfault.Fault{Operation: op, Kind: awsfault.Hang},
			timeout:   300 * time.Millisecond,
			check:     func(err error) bool { return errors.Is(err, context.DeadlineExceeded) },
			wantCalls: 1,
		},
		{
			name:      "malformed body",
			fault:     awsfault.Fault{Operation: op, Kind: awsfault.Malformed},
			check:     func(err error) bool { return errors.As(err, &deserialization) },
			wantCalls: 1,
		},
		{
			name: "modeled error through Status",
			fault: awsfault.Fault{Operation: op, Kind: awsfault.Status, Status: 400,
				Body: `{"__type":"ResourceNotFoundException","message":"Secrets Manager can't find the specified secret."}`},
			check:     func(err error) bool { return errors.As(err, &notFound) },
			wantCalls: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			direct, srv, cfg := setup(t)
			call := seededCall(t, direct, cfg, op)
			srv.Proxy().Inject(tt.fault)
			ctx := t.Context()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			err := call(ctx)
			if !tt.check(err) {
				t.Errorf("GetSecretValue() with %v = %v, want the error %s describes", tt.fault.Kind, err, tt.name)
			}
			if got := srv.Proxy().Calls(op); got != tt.wantCalls {
				t.Errorf("Calls(%q) = %d, want %d", op, got, tt.wantCalls)
			}
		})
	}
}

func TestUnmatchedOperationsPassThrough(t *testing.T) {
	t.Parallel()
	direct, srv, cfg := setup(t)
	const name = "awsfault/pass-through"
	if err := localenv.CreateSecret(t.Context(), direct, name, "v"); err != nil {
		t.Fatal(err)
	}
	srv.Proxy().Inject(awsfault.Fault{Operation: "secretsmanager.GetSecretValue", Kind: awsfault.Status, Status: 400,
		Body: `{"__type":"AccessDeniedException","message":"injected"}`})
	client := secretsmanager.NewFromConfig(cfg)
	out, err := client.DescribeSecret(t.Context(), &secretsmanager.DescribeSecretInput{SecretId: aws.String(name)})
	if err != nil || aws.ToString(out.Name) != name {
		t.Fatalf("DescribeSecret(%q) past a GetSecretValue fault = %+v, %v; want the secret", name, out, err)
	}
	// The fault is still pending for its own operation.
	_, err = client.GetSecretValue(t.Context(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDeniedException" {
		t.Errorf("GetSecretValue(%q) = %v, want the injected AccessDeniedException", name, err)
	}
	got := map[string]int{
		"secretsmanager.DescribeSecret": srv.Proxy().Calls("secretsmanager.DescribeSecret"),
		"secretsmanager.GetSecretValue": srv.Proxy().Calls("secretsmanager.GetSecretValue"),
	}
	if diff := cmp.Diff(map[string]int{"secretsmanager.DescribeSecret": 1, "secretsmanager.GetSecretValue": 1}, got); diff != "" {
		t.Errorf("Calls mismatch (-want +got):\n%s", diff)
	}
}
