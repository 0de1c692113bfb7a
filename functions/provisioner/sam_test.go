package main

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/localenv"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/settings"
)

// templateVariables returns the environment variables template.yaml declares
// for the function: `sam local invoke` passes only those.
func templateVariables(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	vars := lookup(&doc, "Resources", "ProvisionerFunction", "Properties", "Environment", "Variables")
	if vars == nil {
		t.Fatal("template.yaml has no Resources.ProvisionerFunction.Properties.Environment.Variables")
	}
	var names []string
	for i := 0; i < len(vars.Content); i += 2 {
		names = append(names, vars.Content[i].Value)
	}
	return names
}

// lookup walks mapping keys down a YAML document.
func lookup(n *yaml.Node, path ...string) *yaml.Node {
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, key := range path {
		if n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	return n
}

func readEnvJSON(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "env.json"))
	if err != nil {
		t.Fatal(err)
	}
	var env map[string]map[string]string
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatalf("env.json: %v", err)
	}
	vars, ok := env["ProvisionerFunction"]
	if !ok {
		t.Fatal("env.json has no ProvisionerFunction entry")
	}
	return vars
}

// TestTemplateDeclaresEveryVariable: SAM silently drops variables the
// template does not declare, so every setting and every env.json entry must
// be declared.
func TestTemplateDeclaresEveryVariable(t *testing.T) {
	t.Parallel()
	declared := templateVariables(t)
	read := map[string]bool{}
	_, _ = settings.Load(func(name string) (string, bool) {
		read[name] = true
		return "", false
	})
	if len(read) < 10 {
		t.Fatalf("settings.Load read only %d variables: %v", len(read), read)
	}
	for name := range read {
		if !slices.Contains(declared, name) {
			t.Errorf("template.yaml does not declare %s, which the function reads", name)
		}
	}
	for name := range readEnvJSON(t) {
		if !slices.Contains(declared, name) {
			t.Errorf("env.json sets %s, which template.yaml does not declare: sam local invoke would drop it", name)
		}
	}
}

// TestEnvJSONRunsAgainstTheLocalStack is `sam local invoke --env-vars
// env.json` without Docker: the variables of env.json (the ones the template
// declares), SAM's injected ones, the real bootstrap under the RIE, and the
// stack `make stack` starts, at the addresses the container would use.
func TestEnvJSONRunsAgainstTheLocalStack(t *testing.T) {
	t.Parallel()
	opts := localenv.SAMLocalOptions()
	opts.MotoHost, opts.MotoPort, opts.AdobeAddr = "", 0, ""
	st := newStack(t, opts)

	declared := templateVariables(t)
	env := map[string]string{
		// What SAM injects when no credentials are configured.
		"AWS_ACCESS_KEY_ID": "defaultkey", "AWS_SECRET_ACCESS_KEY": "defaultsecret", "AWS_REGION": "us-east-1",
		"AWS_DEFAULT_REGION": "us-east-1", "AWS_SAM_LOCAL": "true", "AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "INFO",
		"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
	}
	hosts := strings.NewReplacer(
		"http://host.docker.internal:5000", st.Moto.URL(),
		"http://host.docker.internal:8090", st.Adobe.URL(),
	)
	for k, v := range readEnvJSON(t) {
		if slices.Contains(declared, k) {
			env[k] = hosts.Replace(v)
		}
	}
	fn, err := localenv.StartFunction(t.Context(), localenv.FunctionOptions{RIE: e2e.rie, Bootstrap: e2e.bootstrap, Env: maps.Clone(env), Timeout: 20 * time.Second, Name: "ProvisionerFunction"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fn.Close() })
	inv := invoke(t, fn, readEvent(t, "cloudtrail-createstream-provisioned.json"))
	if inv.Err != nil {
		t.Fatalf("invocation failed: %v\n%s", inv.Err, fn.Logs())
	}
	checkProvisioned(t, st, inv, caseOutcomes["cloudtrail-createstream-provisioned.json"])
}
