package benchrun

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWriteMarkdownGolden(t *testing.T) {
	t.Parallel()
	r := fixtureReport()
	var got bytes.Buffer
	if err := WriteMarkdown(&got, r, Evaluate(r), "docs/bench.png"); err != nil {
		t.Fatalf("WriteMarkdown() = %v", err)
	}
	golden := filepath.Join("testdata", "benchmarks.golden.md")
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with UPDATE_GOLDEN=1 to create it)", err)
	}
	if diff := cmp.Diff(string(want), got.String()); diff != "" {
		t.Errorf("WriteMarkdown() mismatch with %s (-want +got):\n%s", golden, diff)
	}
}

func TestWriteMarkdown(t *testing.T) {
	t.Parallel()
	r := fixtureReport()
	r.Scenarios[1].Invocations[0] = append(r.Scenarios[1].Invocations[0], call("sqs.SendMessage", 4, 5))
	var b bytes.Buffer
	if err := WriteMarkdown(&b, r, Evaluate(r), ""); err != nil {
		t.Fatalf("WriteMarkdown() = %v", err)
	}
	md := b.String()
	tests := []struct {
		name string
		want string
	}{
		{name: "generated header first", want: GeneratedMarker + "\n"},
		{name: "machine", want: "Test CPU, 2 logical CPUs, Test OS, linux/amd64, go1.26.8"},
		{name: "busy machine flagged", want: "Load average (1 min) 0.50 before and 2.50 after the run, on 2 CPUs: **the machine was busy"},
		{name: "reproduce", want: "```sh\nmake bench\n```"},
		{name: "failed budget", want: "| (c) warm p50 / floor p50 | ≤ 1.15 | 1.200 (12.00 ms / 10.00 ms) | **FAIL** |"},
		{name: "cold row", want: "| (a) cold | 3 | 110.00 ms |"},
		{name: "no-op row without a floor", want: "| (noop) noop | 4 | 0.65 ms |"},
		{name: "a call some invocations make", want: "| AWS | sqs.SendMessage | – | 0.25 [0–1] | – | – |"},
		{name: "calls row", want: "| | **calls** (median) | **5** | **2 [2–3]** | **2** | **0** |"},
		{name: "critical path with parallel step", want: "(a) 5 calls, critical path 4: dynamodb.GetItem → {secretsmanager.GetSecretValue (Adobe credentials) ∥ secretsmanager.GetSecretValue (Kinesis keys)} → flow POST /connections → events.PutEvents"},
		{name: "justified call", want: "| events.PutEvents | (a) (b) (c) | publishes the connection id"},
		{name: "unjustified call flagged", want: "| sqs.SendMessage | (b) | " + unjustified + " |"},
		{name: "go bench row", want: "| internal/trigger | Handle/cloudtrail | 64941 | 9704 | 99 |"},
		{name: "zip", want: "| zipped artefact `.build/provisioner-arm64.zip` (linux/arm64, as deployed) | 3.46 MiB (3626997 bytes) |"},
	}
	for _, tt := range tests {
		if !strings.Contains(md, tt.want) {
			t.Errorf("WriteMarkdown() output lacks %s: %q", tt.name, tt.want)
		}
	}
	if !strings.HasPrefix(md, GeneratedMarker) {
		t.Errorf("WriteMarkdown() output starts %q, want the generated marker", md[:min(len(md), 80)])
	}
	if strings.Contains(md, "![") {
		t.Errorf("WriteMarkdown() with no chart path links a chart")
	}
}
