package schemas_test

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/schemas"
)

func compile(t *testing.T) *schemas.Set {
	t.Helper()
	set, err := schemas.Compile()
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// TestEventFilesMatchTheirSchemas checks every sample in events/ against the
// schema of what the function accepts.
func TestEventFilesMatchTheirSchemas(t *testing.T) {
	t.Parallel()
	set := compile(t)
	files, err := filepath.Glob(filepath.Join("..", "events", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no event files: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		switch {
		case strings.HasPrefix(name, "cloudtrail-"):
			err = set.Validate(schemas.CloudTrailStreamEvent, b)
		case strings.HasPrefix(name, "custom-"):
			err = set.Validate(schemas.ProvisionEvent, b)
		case strings.HasPrefix(name, "apigw-"):
			var p struct {
				Body            string `json:"body"`
				IsBase64Encoded bool   `json:"isBase64Encoded"`
			}
			if err := json.Unmarshal(b, &p); err != nil {
				t.Fatal(err)
			}
			body := []byte(p.Body)
			if p.IsBase64Encoded {
				if body, err = base64.StdEncoding.DecodeString(p.Body); err != nil {
					t.Fatal(err)
				}
			}
			err = set.Validate(schemas.ProvisionRequest, body)
		case strings.HasPrefix(name, "direct-"):
			err = set.Validate(schemas.ProvisionRequest, b)
		case strings.HasPrefix(name, "scheduled-"), strings.HasPrefix(name, "secretsmanager-"):
			err = set.Validate(schemas.FleetEvent, b)
		default:
			t.Errorf("events/%s: no schema chosen for it", name)
			continue
		}
		if err != nil {
			t.Errorf("events/%s: %v", name, err)
		}
	}
}

func TestSchemasRejectWrongDocuments(t *testing.T) {
	t.Parallel()
	set := compile(t)
	tests := []struct{ schema, doc string }{
		{schemas.ProvisionRequest, `{"streamName":"s"}`},
		{schemas.ProvisionRequest, `{"region":"eu-west-1","stream":"s"}`},
		{schemas.ProvisionRequest, `{"region":"eu-west-1","streamName":"has space"}`},
		{schemas.ConnectionProvisioned, `{"connectionId":"c"}`},
		{schemas.SourceConnectionDeleted, `{"status":"needs-attention"}`},
		{schemas.APIError, `{"error":{"code":"x"}}`},
	}
	for _, tt := range tests {
		if err := set.Validate(tt.schema, []byte(tt.doc)); err == nil {
			t.Errorf("%s accepted %s", tt.schema, tt.doc)
		}
	}
}

func TestEveryPublishedDetailTypeHasASchema(t *testing.T) {
	t.Parallel()
	set := compile(t)
	for dt, name := range schemas.ByDetailType {
		if err := set.Validate(name, []byte(`{}`)); err == nil {
			t.Errorf("%s (%s) accepts an empty detail", dt, name)
		}
	}
}
