package settings

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}
}

func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	got, err := Load(env(map[string]string{
		"KINESIS_SECRET_ID": "kinesis/{accountId}/{region}",
		"ADOBE_SECRET_ID":   "adobe",
		"CONNECTIONS_TABLE": "connections",
	}))
	if err != nil {
		t.Fatalf("Load() error = %v", err)
	}
	want := Settings{
		KinesisSecretID:        "kinesis/{accountId}/{region}",
		AdobeSecretID:          "adobe",
		EventBusName:           "default",
		EventSource:            "aep.kinesis.provisioner",
		ProvisionEventSource:   "custom.kinesis.provisioning",
		DefaultSandbox:         "prod",
		FlowServiceURL:         "https://platform.adobe.io/data/foundation/flowservice",
		IMSURL:                 "https://ims-na1.adobelogin.com",
		IMSScopes:              []string{"openid", "session", "AdobeID", "read_organizations", "additional_info.projectedProductContext"},
		AuthSpecName:           "Aws Kinesis authentication credentials",
		ProviderID:             "521eee4d-8cbe-4906-bb48-fb6bd4450033",
		SecretCacheTTL:         5 * time.Minute,
		DeadlineMargin:         500 * time.Millisecond,
		ConnectionsTable:       "connections",
		ConnectionNameTemplate: "Amazon Kinesis {accountId} {region}",
		RecordVerifyAfter:      24 * time.Hour,
		LockWait:               10 * time.Second,
		SourceConnections:      true,
		SourceNameTemplate:     "Amazon Kinesis {accountId} {region} {streamName}",
		SourceDataType:         "raw",
		SourceReset:            "latest",
		MetricsNamespace:       "AEPKinesisProvisioner",
		StreamOptTag:           "aep-provision",
		SandboxTag:             "aep-sandbox",
		AWSMaxAttempts:         3,
		AWSMaxBackoff:          time.Second,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Load() mismatch (-want +got):\n%s", diff)
	}
}

func TestLoadOverrides(t *testing.T) {
	t.Parallel()
	got, err := Load(env(map[string]string{
		"KINESIS_SECRET_ID":        " kinesis ",
		"ADOBE_SECRET_ID":          "adobe",
		"CONNECTIONS_TABLE":        "t",
		"EVENT_BUS_NAME":           "provisioning",
		"EVENT_SOURCE":             "acme.provisioner",
		"DEFAULT_SANDBOX":          "dev",
		"ALLOWED_ACCOUNT_IDS":      "111122223333, 444455556666,",
		"FLOW_SERVICE_URL":         "http://127.0.0.1:9000/data/foundation/flowservice/",
		"IMS_URL":                  "http://localhost:9000",
		"IMS_SCOPES":               "openid,AdobeID",
		"PROVIDER_ID":              "",
		"SECRET_CACHE_TTL":         "90s",
		"ALLOW_INSECURE_ENDPOINTS": "false",
	}))
	if err != nil {
		t.Fatalf("Load() error = %v", err)
	}
	if diff := cmp.Diff([]string{"111122223333", "444455556666"}, got.AllowedAccountIDs); diff != "" {
		t.Errorf("AllowedAccountIDs (-want +got):\n%s", diff)
	}
	checks := map[string][2]string{
		"KinesisSecretID": {got.KinesisSecretID, "kinesis"},
		"EventBusName":    {got.EventBusName, "provisioning"},
		"EventSource":     {got.EventSource, "acme.provisioner"},
		"DefaultSandbox":  {got.DefaultSandbox, "dev"},
		"FlowServiceURL":  {got.FlowServiceURL, "http://127.0.0.1:9000/data/foundation/flowservice"},
		"ProviderID":      {got.ProviderID, ""},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %q, want %q", name, c[0], c[1])
		}
	}
	if got.SecretCacheTTL != 90*time.Second {
		t.Errorf("SecretCacheTTL = %v, want 90s", got.SecretCacheTTL)
	}
	if diff := cmp.Diff([]string{"openid", "AdobeID"}, got.IMSScopes); diff != "" {
		t.Errorf("IMSScopes (-want +got):\n%s", diff)
	}
}

func TestLoadRejects(t *testing.T) {
	t.Parallel()
	base := map[string]string{"KINESIS_SECRET_ID": "k", "ADOBE_SECRET_ID": "a", "CONNECTIONS_TABLE": "t"}
	tests := []struct {
		name string
		set  map[string]string
		want []string // substrings every one of which must be reported
	}{
		{"missing required", map[string]string{"KINESIS_SECRET_ID": "", "ADOBE_SECRET_ID": "", "CONNECTIONS_TABLE": ""}, []string{"KINESIS_SECRET_ID is required", "ADOBE_SECRET_ID is required", "CONNECTIONS_TABLE is required"}},
		{"zero lock wait", map[string]string{"LOCK_WAIT": "0s"}, []string{"LOCK_WAIT must be positive"}},
		{"data type", map[string]string{"SOURCE_DATA_TYPE": "parquet"}, []string{"SOURCE_DATA_TYPE"}},
		{"reset", map[string]string{"SOURCE_RESET": "trim_horizon"}, []string{"SOURCE_RESET"}},
		{"aws attempts", map[string]string{"SDK_MAX_ATTEMPTS": "zero"}, []string{"SDK_MAX_ATTEMPTS"}},
		{"aws attempts range", map[string]string{"SDK_MAX_ATTEMPTS": "0"}, []string{"SDK_MAX_ATTEMPTS must be at least 1"}},
		{"aws source", map[string]string{"EVENT_SOURCE": "aws.kinesis"}, []string{"reserved for AWS"}},
		{"source loop", map[string]string{"PROVISION_EVENT_SOURCE": "aep.kinesis.provisioner"}, []string{"must differ"}},
		{"bad account", map[string]string{"ALLOWED_ACCOUNT_IDS": "1234"}, []string{`"1234" is not a 12-digit`}},
		{"unknown placeholder", map[string]string{"KINESIS_SECRET_ID": "k/{stream}"}, []string{"unknown placeholder {stream}"}},
		{"plain http remote", map[string]string{"FLOW_SERVICE_URL": "http://flow.example.com"}, []string{"FLOW_SERVICE_URL", "plain http"}},
		{"ftp", map[string]string{"IMS_URL": "ftp://ims.example.com"}, []string{"IMS_URL", "scheme must be https"}},
		{"relative", map[string]string{"IMS_URL": "/ims"}, []string{"not an absolute URL"}},
		{"credentials in url", map[string]string{"IMS_URL": "https://u:p@ims.example.com"}, []string{"must not carry credentials"}},
		{"bad duration", map[string]string{"SECRET_CACHE_TTL": "soon"}, []string{"SECRET_CACHE_TTL"}},
		{"bad bool", map[string]string{"ALLOW_INSECURE_ENDPOINTS": "maybe"}, []string{"ALLOW_INSECURE_ENDPOINTS"}},
		{"empty scopes", map[string]string{"IMS_SCOPES": " , "}, []string{"IMS_SCOPES"}},
		{"negative margin", map[string]string{"DEADLINE_MARGIN": "-1s"}, []string{"DEADLINE_MARGIN"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			vars := map[string]string{}
			for k, v := range base {
				vars[k] = v
			}
			for k, v := range tt.set {
				vars[k] = v
			}
			_, err := Load(env(vars))
			var serr *Error
			if !errors.As(err, &serr) {
				t.Fatalf("Load() error = %v, want *Error", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Load() error = %q, want it to mention %q", err, w)
				}
			}
		})
	}
}

func TestInsecureEndpointsAllowedExplicitly(t *testing.T) {
	t.Parallel()
	_, err := Load(env(map[string]string{
		"KINESIS_SECRET_ID": "k", "ADOBE_SECRET_ID": "a", "CONNECTIONS_TABLE": "t",
		"FLOW_SERVICE_URL": "http://host.docker.internal:8090/data/foundation/flowservice", "ALLOW_INSECURE_ENDPOINTS": "true",
	}))
	if err != nil {
		t.Errorf("Load() error = %v, want nil when ALLOW_INSECURE_ENDPOINTS=true", err)
	}
}
