package faultmatrix

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/awsfault"
)

// TestWriteMarkdown compares the table of a few synthetic results with
// testdata/matrix.golden.md (UPDATE_GOLDEN=1 rewrites it).
func TestWriteMarkdown(t *testing.T) {
	t.Parallel()
	good := goodResult()
	bad := goodResult()
	bad.Cell = Cell{
		Dependency: LedgerRelease, Fault: Timeout,
		Inject: Injection{AWS: []awsfault.Fault{{Operation: "DynamoDB_20120810.DeleteItem", Kind: awsfault.Hang}}},
		Expect: Expectation{Outcomes: []Outcome{Retryable, OK}, Why: "release"},
	}
	bad.Invocations = []Invocation{
		{Outcome: TimedOut, Message: "Task timed out after 4.00 seconds", Container: 1, Duration: 4100 * time.Millisecond},
		{Outcome: OK, Container: 2, Duration: 300 * time.Millisecond},
	}
	bad.StruckAWS = 1
	bad.Logs = "--- container 1 ---\n" +
		`{"level":"INFO","message":"started"}` + "\n" +
		`{"level":"WARN","message":"could not release the lock | early"}` + "\n" +
		"03 Dec 2026 14:36:13,844 [WARNING] (rapid) Task timed out\n"
	na := Result{Cell: Cell{Dependency: IMSToken, Fault: PartialFailure, NotApplicable: "one token per answer"}}

	var buf bytes.Buffer
	if err := WriteMarkdown(&buf, []Result{good, bad, na}); err != nil {
		t.Fatalf("WriteMarkdown() = %v", err)
	}
	golden := filepath.Join("testdata", "matrix.golden.md")
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with UPDATE_GOLDEN=1 to create it)", err)
	}
	if diff := cmp.Diff(string(want), buf.String()); diff != "" {
		t.Errorf("WriteMarkdown() mismatch (-want +got):\n%s", diff)
	}
}

func TestWriteLogs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := goodResult()
	na := Result{Cell: Cell{Dependency: IMSToken, Fault: PartialFailure, NotApplicable: "n/a"}}
	if err := WriteLogs(dir, []Result{r, na}); err != nil {
		t.Fatalf("WriteLogs() = %v", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if diff := cmp.Diff([]string{"putevents_malformed.log"}, names); diff != "" {
		t.Errorf("WriteLogs() files mismatch (-want +got):\n%s", diff)
	}
	got, err := os.ReadFile(filepath.Join(dir, "putevents_malformed.log"))
	if err != nil || string(got) != r.Logs {
		t.Errorf("putevents_malformed.log = %q, %v; want %q", got, err, r.Logs)
	}
}
