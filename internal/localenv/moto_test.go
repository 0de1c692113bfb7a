package localenv

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/google/go-cmp/cmp"
)

func TestStartMotoClose(t *testing.T) {
	t.Parallel()
	requireMoto(t) // skips or fails like every moto test when moto_server is missing
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := FindMoto(root)
	if err != nil {
		t.Fatal(err)
	}
	m, err := StartMoto(t.Context(), MotoOptions{Bin: bin})
	if err != nil {
		t.Fatalf("StartMoto() = %v", err)
	}
	t.Cleanup(func() { _ = m.Close() })
	if !strings.HasPrefix(m.URL(), "http://127.0.0.1:") {
		t.Errorf("URL() = %q, want a loopback URL", m.URL())
	}
	if err := get(t.Context(), m.URL()+"/moto-api/"); err != nil {
		t.Fatalf("GET /moto-api/ on a started moto = %v", err)
	}
	for i := range 2 {
		if err := m.Close(); err != nil {
			t.Fatalf("Close() #%d = %v", i+1, err)
		}
	}
	if err := get(t.Context(), m.URL()+"/moto-api/"); err == nil {
		t.Errorf("GET /moto-api/ after Close() succeeded, want an error (server still running)")
	}
}

func get(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	client := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return errors.New(resp.Status)
	}
	return nil
}

func TestStartMotoBadBinary(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin := writeExecutable(t, dir+"/moto_server") // exits at once
	_, err := StartMoto(t.Context(), MotoOptions{Bin: bin})
	if err == nil {
		t.Fatalf("StartMoto(%q) = nil error, want an error", bin)
	}
	if !errors.Is(err, errExitedEarly) {
		t.Errorf("StartMoto(%q) = %v, want it to wrap %v", bin, err, errExitedEarly)
	}
}

func TestAWSConfigIgnoresCallerEnvironment(t *testing.T) {
	// Not parallel: sets AWS_* variables that would break a config loaded
	// from the environment.
	m := requireMoto(t)
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	t.Setenv("AWS_PROFILE", "localenv-no-such-profile")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIALEAKED")
	cfg, err := m.Config(t.Context(), testRegion)
	if err != nil {
		t.Fatalf("Config() = %v", err)
	}
	if _, err := secretsmanager.NewFromConfig(cfg).ListSecrets(t.Context(), &secretsmanager.ListSecretsInput{}); err != nil {
		t.Errorf("ListSecrets() with the moto config = %v", err)
	}
	creds, err := cfg.Credentials.Retrieve(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if creds.AccessKeyID != fakeAccessKeyID {
		t.Errorf("Config() access key id = %q, want %q", creds.AccessKeyID, fakeAccessKeyID)
	}
}

func TestAWSConfigValidation(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, endpoint, region string }{
		{name: "no endpoint", region: testRegion},
		{name: "no region", endpoint: "http://127.0.0.1:1"},
	} {
		if _, err := AWSConfig(tt.endpoint, tt.region); err == nil {
			t.Errorf("%s: AWSConfig(%q, %q) = nil error, want an error", tt.name, tt.endpoint, tt.region)
		}
	}
}

func TestCreateSecret(t *testing.T) {
	t.Parallel()
	cfg := motoConfig(t)
	client := secretsmanager.NewFromConfig(cfg)
	const name = "localenv/test/secret"
	// The rows run in order: the second overwrites the first.
	for _, tt := range []struct{ name, value string }{
		{name: "create", value: `{"accessKeyId":"AKIA1","secretKey":"s1"}`},
		{name: "overwrite existing", value: `{"accessKeyId":"AKIA2","secretKey":"s2"}`},
	} {
		if err := CreateSecret(t.Context(), cfg, name, tt.value); err != nil {
			t.Fatalf("%s: CreateSecret(%q) = %v", tt.name, name, err)
		}
		out, err := client.GetSecretValue(t.Context(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)})
		if err != nil {
			t.Fatalf("%s: GetSecretValue(%q) = %v", tt.name, name, err)
		}
		if got := aws.ToString(out.SecretString); got != tt.value {
			t.Errorf("%s: GetSecretValue(%q) = %q, want %q", tt.name, name, got, tt.value)
		}
	}
}

func motoConfig(t *testing.T) aws.Config {
	t.Helper()
	cfg, err := requireMoto(t).Config(t.Context(), testRegion)
	if err != nil {
		t.Fatalf("Config() = %v", err)
	}
	return cfg
}

func TestCreateTable(t *testing.T) {
	t.Parallel()
	cfg := motoConfig(t)
	const name = "localenv-test-table"
	for i := range 2 { // idempotent
		if err := CreateTable(t.Context(), cfg, name); err != nil {
			t.Fatalf("CreateTable(%q) #%d = %v", name, i+1, err)
		}
	}
	client := dynamodb.NewFromConfig(cfg)
	desc, err := client.DescribeTable(t.Context(), &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatalf("DescribeTable(%q) = %v", name, err)
	}
	ttl, err := client.DescribeTimeToLive(t.Context(), &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatalf("DescribeTimeToLive(%q) = %v", name, err)
	}
	type table struct {
		Status  dbtypes.TableStatus
		Billing dbtypes.BillingMode
		Keys    map[string]dbtypes.KeyType
		Types   map[string]dbtypes.ScalarAttributeType
		TTL     dbtypes.TimeToLiveStatus
		TTLAttr string
	}
	got := table{
		Status: desc.Table.TableStatus,
		Keys:   map[string]dbtypes.KeyType{},
		Types:  map[string]dbtypes.ScalarAttributeType{},
		TTL:    ttl.TimeToLiveDescription.TimeToLiveStatus, TTLAttr: aws.ToString(ttl.TimeToLiveDescription.AttributeName),
	}
	if s := desc.Table.BillingModeSummary; s != nil {
		got.Billing = s.BillingMode
	}
	for _, k := range desc.Table.KeySchema {
		got.Keys[aws.ToString(k.AttributeName)] = k.KeyType
	}
	for _, a := range desc.Table.AttributeDefinitions {
		got.Types[aws.ToString(a.AttributeName)] = a.AttributeType
	}
	want := table{
		Status:  dbtypes.TableStatusActive,
		Billing: dbtypes.BillingModePayPerRequest,
		Keys:    map[string]dbtypes.KeyType{"pk": dbtypes.KeyTypeHash, "sk": dbtypes.KeyTypeRange},
		Types:   map[string]dbtypes.ScalarAttributeType{"pk": dbtypes.ScalarAttributeTypeS, "sk": dbtypes.ScalarAttributeTypeS},
		TTL:     dbtypes.TimeToLiveStatusEnabled,
		TTLAttr: "expiresAt",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("table %q after CreateTable mismatch (-want +got):\n%s", name, diff)
	}
}

func TestCreateStreams(t *testing.T) {
	t.Parallel()
	cfg := motoConfig(t)
	want := map[string]map[string]string{
		"localenv-stream-a": {"aep:provision": "true", "team": "data"},
		"localenv-stream-b": {},
	}
	for i := range 2 { // idempotent
		if err := CreateStreams(t.Context(), cfg, want); err != nil {
			t.Fatalf("CreateStreams() #%d = %v", i+1, err)
		}
	}
	client := kinesis.NewFromConfig(cfg)
	got := map[string]map[string]string{}
	for name := range want {
		out, err := client.ListTagsForStream(t.Context(), &kinesis.ListTagsForStreamInput{StreamName: aws.String(name)})
		if err != nil {
			t.Fatalf("ListTagsForStream(%q) = %v", name, err)
		}
		got[name] = map[string]string{}
		for _, tag := range out.Tags {
			got[name][aws.ToString(tag.Key)] = aws.ToString(tag.Value)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stream tags after CreateStreams mismatch (-want +got):\n%s", diff)
	}
}

// envelope is the part of an EventBridge event the sink tests check.
type envelope struct {
	Source     string          `json:"source"`
	DetailType string          `json:"detail-type"`
	Detail     json.RawMessage `json:"detail"`
	Version    string          `json:"version"`
	Account    *string         `json:"account"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	ID         string          `json:"id"`
	Time       string          `json:"time"`
}

func TestEventSink(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		bus  string
	}{
		{name: "custom bus", bus: "localenv-test-bus"},
		{name: "default bus", bus: "default"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := motoConfig(t)
			// Each row matches its own detail-type, so rows on one bus do
			// not see each other's events.
			detailType := "localenv test " + tt.name
			pattern := `{"source":["test.source"],"detail-type":["` + detailType + `"]}`
			sink, err := NewEventSink(t.Context(), cfg, tt.bus, pattern)
			if err != nil {
				t.Fatalf("NewEventSink(%q) = %v", tt.bus, err)
			}
			eb := eventbridge.NewFromConfig(cfg)
			put := func(source, detail string) {
				t.Helper()
				out, err := eb.PutEvents(t.Context(), &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
					EventBusName: aws.String(tt.bus),
					Source:       aws.String(source),
					DetailType:   aws.String(detailType),
					Detail:       aws.String(detail),
				}}})
				if err != nil || out.FailedEntryCount != 0 {
					t.Fatalf("PutEvents(%q) = %+v, %v", source, out, err)
				}
			}

			put("test.source", `{"connectionId":"c-1"}`)
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			events, err := sink.Receive(ctx, 1)
			if err != nil {
				t.Fatalf("Receive(1) = %d events, %v", len(events), err)
			}
			var got envelope
			if err := json.Unmarshal(events[0], &got); err != nil {
				t.Fatalf("Receive(1) body %s: %v", events[0], err)
			}
			if got.ID == "" || got.Time == "" {
				t.Errorf("Receive(1) envelope %s lacks id or time", events[0])
			}
			got.ID, got.Time = "", ""
			want := envelope{
				Source:     "test.source",
				DetailType: detailType,
				Detail:     json.RawMessage(`{"connectionId": "c-1"}`),
				Version:    "0",
				// moto 5.2.1 leaves "account" out of the envelope (real
				// EventBridge sets it); a change here is worth noticing.
				Account:   nil,
				Region:    testRegion,
				Resources: []string{},
			}
			if diff := cmp.Diff(want, got, cmp.Transformer("json", normalizeJSON)); diff != "" {
				t.Errorf("Receive(1) envelope mismatch (-want +got):\n%s", diff)
			}

			put("other.source", `{"connectionId":"c-2"}`)
			rest, err := sink.Drain(t.Context(), time.Second)
			if err != nil {
				t.Fatalf("Drain() = %v", err)
			}
			if len(rest) != 0 {
				t.Errorf("Drain() after an unmatched event = %s, want nothing", rest)
			}
		})
	}
}

// normalizeJSON re-encodes JSON so formatting does not matter in diffs.
func normalizeJSON(in json.RawMessage) string {
	var v any
	if err := json.Unmarshal(in, &v); err != nil {
		return "invalid JSON: " + string(in)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

func TestEventSinkReceiveHonoursContext(t *testing.T) {
	t.Parallel()
	cfg := motoConfig(t)
	sink, err := NewEventSink(t.Context(), cfg, "default", `{"source":["localenv.never"]}`)
	if err != nil {
		t.Fatalf("NewEventSink() = %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	got, err := sink.Receive(ctx, 1)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Receive(1) with nothing published = %d events, %v; want context.DeadlineExceeded", len(got), err)
	}
}
