package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

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
		// Lambda sets its reserved variables itself.
		if name == "AWS_REGION" || strings.HasPrefix(name, "AWS_LAMBDA_") {
			continue
		}
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

// samTranslate runs the AWS SAM translator on template.yaml.
func samTranslate(t *testing.T, params ...string) map[string]any {
	t.Helper()
	python := "python3"
	if root, err := localenv.ModuleRoot(); err == nil {
		if _, err := os.Stat(filepath.Join(root, ".venv", "bin", "python3")); err == nil {
			python = filepath.Join(root, ".venv", "bin", "python3")
		}
	}
	args := append([]string{filepath.Join("testdata", "sam_translate.py"), filepath.Join("..", "..", "template.yaml")}, params...)
	out, err := exec.CommandContext(t.Context(), python, args...).Output()
	if err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			t.Fatalf("SAM translator failed: %v\n%s", err, exitErr.Stderr)
		}
		t.Fatalf("SAM translator: %v (samtranslator comes with cfn-lint; `make deps` installs it)", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestGeneratedIAMGrantsOnlyWhatTheFunctionUses transforms the template as
// `sam deploy` does and checks the function's role: exactly the actions the
// code calls, each on the resources it needs, no wildcard resource except
// X-Ray's (which has no resource-level permissions).
func TestGeneratedIAMGrantsOnlyWhatTheFunctionUses(t *testing.T) {
	t.Parallel()
	for _, params := range [][]string{
		{"KinesisSecretId=aep/kinesis/{accountId}/{region}", "AdobeSecretId=aep/adobe"},
		{"KinesisSecretId=arn:aws:secretsmanager:eu-west-1:111122223333:secret:aep/kinesis-AbCdEf", "AdobeSecretId=arn:aws:secretsmanager:eu-west-1:111122223333:secret:aep/adobe-GhIjKl"},
	} {
		doc := samTranslate(t, params...)
		resources := doc["Resources"].(map[string]any)
		role := resources["ProvisionerFunctionRole"].(map[string]any)["Properties"].(map[string]any)

		var managed []string
		for _, a := range role["ManagedPolicyArns"].([]any) {
			managed = append(managed, fmt.Sprint(a))
		}
		slices.Sort(managed)
		wantManaged := []string{"arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess", "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}
		if diff := cmp.Diff(wantManaged, managed); diff != "" {
			t.Errorf("managed policies (-want +got):\n%s", diff)
		}

		// action -> the resources it is granted on, as JSON.
		grants := map[string][]string{}
		for _, p := range role["Policies"].([]any) {
			for _, st := range p.(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
				stmt := st.(map[string]any)
				if stmt["Effect"] != "Allow" {
					continue
				}
				for _, action := range asList(stmt["Action"]) {
					for _, res := range asList(stmt["Resource"]) {
						b, _ := json.Marshal(res)
						grants[fmt.Sprint(action)] = append(grants[fmt.Sprint(action)], string(b))
					}
					if stmt["Condition"] != nil {
						b, _ := json.Marshal(stmt["Condition"])
						grants[fmt.Sprint(action)] = append(grants[fmt.Sprint(action)], "condition "+string(b))
					}
				}
			}
		}
		wantActions := []string{
			"dynamodb:BatchGetItem", "dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:UpdateItem",
			"events:PutEvents", "secretsmanager:GetSecretValue", "sqs:SendMessage",
		}
		if diff := cmp.Diff(wantActions, slices.Sorted(maps.Keys(grants))); diff != "" {
			t.Errorf("granted actions (-want +got):\n%s", diff)
		}
		for action, res := range grants {
			joined := strings.Join(res, " ")
			if slices.Contains(res, `"*"`) || strings.Contains(action, "*") {
				t.Errorf("%s is granted with a wildcard: %s", action, joined)
			}
			var want []string
			switch {
			case strings.HasPrefix(action, "dynamodb:"):
				want = []string{`"ConnectionsTable","Arn"`}
			case action == "events:PutEvents":
				want = []string{"event-bus/${EventBusName}", `"events:source":{"Ref":"EventSource"}`}
			case action == "secretsmanager:GetSecretValue":
				want = []string{"KinesisSecretId", "AdobeSecretId"}
			case action == "sqs:SendMessage":
				want = []string{`"FailureQueue","Arn"`}
			}
			for _, w := range want {
				if !strings.Contains(joined, w) {
					t.Errorf("%s is granted on %s, want it scoped to %s", action, joined, w)
				}
			}
		}
	}
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

// TestReadmeDocumentsEverySetting: an operator configures the function from
// the README, so each variable the template declares and each template
// parameter must appear there.
func TestReadmeDocumentsEverySetting(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, name := range templateVariables(t) {
		if !strings.Contains(readme, "`"+name+"`") {
			t.Errorf("README.md does not document the variable %s", name)
		}
	}
	tb, err := os.ReadFile(filepath.Join("..", "..", "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(tb, &doc); err != nil {
		t.Fatal(err)
	}
	params := lookup(&doc, "Parameters")
	if params == nil || len(params.Content) == 0 {
		t.Fatal("template.yaml has no Parameters")
	}
	for i := 0; i < len(params.Content); i += 2 {
		if name := params.Content[i].Value; !strings.Contains(readme, "`"+name+"`") {
			t.Errorf("README.md does not document the template parameter %s", name)
		}
	}
}
