package provision_test

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/contracts"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/adobeemu"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/eventbus"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/eventbus/eventbustest"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/flowservice"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/imsauth"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/ledger/ledgertest"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/provision"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/secrets"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/secrets/secretstest"
)

const (
	account   = "111122223333"
	secretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
	keyID     = "AKIAIOSFODNN7EXAMPLE"
	clientID  = "test-client"
)

type fixture struct {
	flow   *flowservice.Client
	svc    *provision.Service
	emu    *adobeemu.Emulator
	keys   *secretstest.Static
	pub    *eventbustest.Recorder
	ledger *ledgertest.Memory
}

// newFixture wires the service to the real Flow Service client and IMS
// token source, talking to the Adobe emulator over HTTP.
func newFixture(t *testing.T, cfg provision.Config) *fixture {
	t.Helper()
	return newFixtureWith(t, cfg, adobeemu.Options{})
}

func newFixtureWith(t *testing.T, cfg provision.Config, opts adobeemu.Options) *fixture {
	t.Helper()
	opts.ClientID, opts.ClientSecret, opts.OrgID, opts.Sandboxes = clientID, "test-secret", "ORG@AdobeOrg", []string{"prod", "dev"}
	emu, err := adobeemu.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	ims, err := imsauth.New(imsauth.WithTokenURL(srv.URL), imsauth.WithCredentials(imsauth.StaticCredentials(imsauth.Credentials{
		ClientID: clientID, ClientSecret: "test-secret", OrgID: "ORG@AdobeOrg", Scopes: adobeemu.DefaultScopes,
	})))
	if err != nil {
		t.Fatal(err)
	}
	flow, err := flowservice.NewClient(flowservice.WithBaseURL(srv.URL+"/data/foundation/flowservice"), flowservice.WithTokenSource(ims))
	if err != nil {
		t.Fatal(err)
	}
	keys := &secretstest.Static{Keys: map[string]secrets.KinesisKeys{
		"kinesis/" + account:                       {AccessKeyID: keyID, SecretKey: secretKey, Region: "eu-west-1"},
		"kinesis/" + account + "/us-east-2":        {AccessKeyID: keyID, SecretKey: secretKey},
		"kinesis/" + account + "/eu-west-1":        {AccessKeyID: keyID, SecretKey: secretKey},
		"kinesis/" + "444455556666" + "/eu-west-1": {AccessKeyID: keyID, SecretKey: secretKey},
	}}
	if cfg.KinesisSecretID == "" {
		cfg.KinesisSecretID = "kinesis/{accountId}"
	}
	if cfg.AuthSpecName == "" {
		cfg.AuthSpecName = adobeemu.DefaultAuthSpecName
	}
	pub := &eventbustest.Recorder{}
	mem := &ledgertest.Memory{}
	svc, err := provision.NewService(cfg, provision.Deps{Keys: keys, Flow: flow, Ledger: mem, Publisher: pub})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{flow: flow, svc: svc, emu: emu, keys: keys, pub: pub, ledger: mem}
}

func TestProvisionCreatesConnectionAndPublishes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, provision.Config{ProviderID: adobeemu.KinesisProviderID})
	req := provision.Request{AccountID: account, Region: "eu-west-1", StreamName: "orders", Sandbox: "prod", Trigger: provision.TriggerCloudTrail, CorrelationID: "evt-1"}

	res, err := f.svc.Provision(t.Context(), req)
	if err != nil {
		t.Fatalf("Provision() error = %v", err)
	}
	conns := f.emu.Connections("prod")
	if len(conns) != 1 {
		t.Fatalf("connections in Flow Service = %d, want 1", len(conns))
	}
	c := conns[0]
	wantConn := adobeemu.Connection{
		Name:           "Amazon Kinesis 111122223333 eu-west-1",
		ProviderID:     adobeemu.KinesisProviderID,
		Auth:           adobeemu.Auth{SpecName: adobeemu.DefaultAuthSpecName, Params: map[string]string{"accessKeyId": keyID, "secretKey": secretKey, "region": "eu-west-1"}},
		ConnectionSpec: adobeemu.SpecRef{ID: contracts.KinesisConnectionSpecID, Version: "1.0"},
	}
	got := adobeemu.Connection{Name: c.Name, ProviderID: c.ProviderID, Auth: c.Auth, ConnectionSpec: c.ConnectionSpec}
	if diff := cmp.Diff(wantConn, got); diff != "" {
		t.Errorf("stored connection (-want +got):\n%s", diff)
	}
	srcs := f.emu.SourceConnections("prod")
	if len(srcs) != 1 {
		t.Fatalf("source connections = %d, want 1", len(srcs))
	}
	want := provision.Result{
		ConnectionID: c.ID, ETag: c.ETag, Created: true, AccountID: account, Region: "eu-west-1", StreamName: "orders",
		StreamARN: "arn:aws:kinesis:eu-west-1:111122223333:stream/orders", Sandbox: "prod",
		ConnectionSpecID: contracts.KinesisConnectionSpecID, ConnectionTest: provision.TestPassed,
		SourceConnectionID: srcs[0].ID, SourceCreated: true, Trigger: provision.TriggerCloudTrail, CorrelationID: "evt-1",
	}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("Provision() result (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(res.ETag, `"`) {
		t.Errorf("etag %s lost its quotes", res.ETag)
	}

	events := f.pub.Events()
	if len(events) != 1 {
		t.Fatalf("published %d events, want 1", len(events))
	}
	if events[0].DetailType != provision.DetailTypeProvisioned {
		t.Errorf("detail type = %q", events[0].DetailType)
	}
	if diff := cmp.Diff([]string{want.StreamARN}, events[0].Resources); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}
	var detail map[string]any
	if err := json.Unmarshal(events[0].Detail, &detail); err != nil {
		t.Fatal(err)
	}
	wantDetail := map[string]any{
		"connectionId": c.ID, "etag": c.ETag, "created": true, "accountId": account, "region": "eu-west-1",
		"streamName": "orders", "streamArn": want.StreamARN, "sandbox": "prod",
		"connectionSpecId": contracts.KinesisConnectionSpecID, "trigger": "cloudtrail", "correlationId": "evt-1",
		"connectionTest": "passed", "sourceConnectionId": srcs[0].ID, "sourceConnectionCreated": true,
	}
	if diff := cmp.Diff(wantDetail, detail); diff != "" {
		t.Errorf("event detail (-want +got):\n%s", diff)
	}
	if strings.Contains(string(events[0].Detail), secretKey) || strings.Contains(string(events[0].Detail), keyID) {
		t.Errorf("event detail leaks a key: %s", events[0].Detail)
	}
}

func TestProvisionUsesTheStreamRegionAndWarns(t *testing.T) {
	t.Parallel()
	f := newFixture(t, provision.Config{})
	res, err := f.svc.Provision(t.Context(), provision.Request{AccountID: account, Region: "us-east-2", Sandbox: "dev", Trigger: provision.TriggerAPI})
	if err != nil {
		t.Fatal(err)
	}
	conns := f.emu.Connections("dev")
	if len(conns) != 1 || conns[0].Auth.Params["region"] != "us-east-2" {
		t.Fatalf("connections = %+v, want one in dev with region us-east-2", conns)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], `names region "eu-west-1"`) {
		t.Errorf("Warnings = %q, want one about the secret's region", res.Warnings)
	}
	if strings.Contains(strings.Join(res.Warnings, " "), secretKey) {
		t.Errorf("warning leaks the secret key")
	}
	if res.StreamARN != "" {
		t.Errorf("StreamARN = %q for a request without a stream", res.StreamARN)
	}
}

func TestProvisionSecretTemplate(t *testing.T) {
	t.Parallel()
	f := newFixture(t, provision.Config{KinesisSecretID: "kinesis/{accountId}/{region}"})
	if _, err := f.svc.Provision(t.Context(), provision.Request{AccountID: "444455556666", Region: "eu-west-1", Sandbox: "prod"}); err != nil {
		t.Fatal(err)
	}
	if got := f.keys.Reads("kinesis/444455556666/eu-west-1"); got != 1 {
		t.Errorf("reads of the account's own secret = %d, want 1", got)
	}
}

func TestProvisionFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		req       provision.Request
		setup     func(f *fixture)
		wantStep  string
		wantField string
		wantConns int
	}{
		{name: "invalid region", req: provision.Request{AccountID: account, Region: "eu-west", Sandbox: "prod"}, wantField: "region"},
		{name: "invalid account", req: provision.Request{AccountID: "12", Region: "eu-west-1", Sandbox: "prod"}, wantField: "accountId"},
		{name: "invalid stream", req: provision.Request{AccountID: account, Region: "eu-west-1", StreamName: strings.Repeat("s", 129), Sandbox: "prod"}, wantField: "streamName"},
		{name: "invalid sandbox", req: provision.Request{AccountID: account, Region: "eu-west-1", Sandbox: "Prod Sandbox"}, wantField: "sandbox"},
		{name: "missing secret", req: provision.Request{AccountID: "999999999999", Region: "eu-west-1", Sandbox: "prod"}, wantStep: provision.StepReadKeys},
		{name: "unknown sandbox", req: provision.Request{AccountID: account, Region: "eu-west-1", Sandbox: "nope"}, wantStep: provision.StepFindConnection},
		{name: "adobe unavailable", req: provision.Request{AccountID: account, Region: "eu-west-1", Sandbox: "prod"}, wantStep: provision.StepCreateConnection,
			setup: func(f *fixture) {
				f.emu.Inject(adobeemu.Fault{Method: "POST", Path: "/connections", Status: 503, Times: 2})
			}},
		{name: "publish fails after create", req: provision.Request{AccountID: account, Region: "eu-west-1", Sandbox: "prod"}, wantStep: provision.StepPublish, wantConns: 1,
			setup: func(f *fixture) { f.pub.FailNext(&eventbus.EntryError{Code: "InternalFailure"}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, provision.Config{})
			if tt.setup != nil {
				tt.setup(f)
			}
			_, err := f.svc.Provision(t.Context(), tt.req)
			if tt.wantField != "" {
				var reqErr *provision.RequestError
				if !errors.As(err, &reqErr) || reqErr.Field != tt.wantField || !errors.Is(err, provision.ErrInvalidRequest) {
					t.Errorf("Provision() error = %v, want a RequestError for %s", err, tt.wantField)
				}
			} else {
				var stepErr *provision.StepError
				if !errors.As(err, &stepErr) || stepErr.Step != tt.wantStep {
					t.Errorf("Provision() error = %v, want a StepError at %q", err, tt.wantStep)
				}
			}
			if err != nil && strings.Contains(err.Error(), secretKey) {
				t.Errorf("error leaks the secret key: %v", err)
			}
			total := len(f.emu.Connections("prod")) + len(f.emu.Connections("dev"))
			if total != tt.wantConns {
				t.Errorf("connections = %d, want %d", total, tt.wantConns)
			}
			if len(f.pub.Events()) != 0 {
				t.Errorf("published %d events after a failure", len(f.pub.Events()))
			}
		})
	}
}

func TestNewServiceRefusesBadNameTemplates(t *testing.T) {
	t.Parallel()
	for _, tmpl := range []string{"Kinesis, {accountId}", "Kinesis {stream}"} {
		_, err := provision.NewService(provision.Config{KinesisSecretID: "k", AuthSpecName: "a", NameTemplate: tmpl},
			provision.Deps{Keys: &secretstest.Static{}, Flow: &flowservice.Client{}, Ledger: &ledgertest.Memory{}, Publisher: &eventbustest.Recorder{}})
		if err == nil {
			t.Errorf("NewService(NameTemplate %q) error = nil, want an error", tmpl)
		}
	}
}

func TestStreamARNAndPartition(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"eu-west-1":     "arn:aws:kinesis:eu-west-1:111122223333:stream/s",
		"cn-north-1":    "arn:aws-cn:kinesis:cn-north-1:111122223333:stream/s",
		"us-gov-west-1": "arn:aws-us-gov:kinesis:us-gov-west-1:111122223333:stream/s",
		"il-central-1":  "arn:aws:kinesis:il-central-1:111122223333:stream/s",
	}
	for region, want := range tests {
		if got := provision.StreamARN(account, region, "s"); got != want {
			t.Errorf("StreamARN(%q) = %q, want %q", region, got, want)
		}
	}
	for _, bad := range []string{"", "eu-west", "EU-WEST-1", "xx-west-1", "eu-west-1 ", "us-east-1a"} {
		if _, ok := provision.Partition(bad); ok {
			t.Errorf("Partition(%q) ok, want not a region", bad)
		}
	}
}
