package faultmatrix_test

import (
	"context"
	"flag"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/faultmatrix"
)

// parallel is how many cells run at once: most of a cell's time is spent
// waiting (on a hang, a lock, a Retry-After), and more at once make moto,
// which every cell shares, the bottleneck of a 2-core machine.
const parallel = 4

// The end-to-end part of this package's tests runs the real bootstrap under
// the Runtime Interface Emulator against moto_server and the Adobe emulator,
// as functions/provisioner's end-to-end tests do: bootstrap from
// PROVISIONER_BOOTSTRAP, or built with the SAM target's flags. The runner
// (and its moto) starts on first use, so the unit tests pay nothing for it.
var (
	runnerOnce sync.Once
	runner     *faultmatrix.Runner
	runnerErr  error
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if runner != nil {
		_ = runner.Close()
	}
	os.Exit(code)
}

// startRunner returns the shared runner, starting it on first use.
func startRunner(t *testing.T) *faultmatrix.Runner {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: needs moto_server and the RIE")
	}
	runnerOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		runner, runnerErr = faultmatrix.StartRunner(ctx, faultmatrix.RunnerOptions{Bootstrap: os.Getenv("PROVISIONER_BOOTSTRAP")})
	})
	if runnerErr != nil {
		t.Fatalf("StartRunner() error = %v", runnerErr)
	}
	return runner
}

// TestFaultMatrix runs every cell of the matrix and checks, for each, the
// expected outcome of every invocation (Lambda's retries included) and the
// invariants: no duplicate connection, no success without its published
// event, only clean failures, no secret anywhere.
func TestFaultMatrix(t *testing.T) {
	t.Parallel()
	r := startRunner(t)
	results := r.RunAll(t.Context(), faultmatrix.Matrix(), parallel)
	for _, res := range results {
		t.Run(res.Cell.Name(), func(t *testing.T) {
			c := res.Cell
			if c.NotApplicable != "" {
				t.Skipf("not applicable: %s", c.NotApplicable)
			}
			if res.Err != nil {
				t.Fatalf("running the cell failed: %v", res.Err)
			}
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("injected %s; logs (secrets masked):\n%s", c.Inject, res.Logs)
				}
			})
			if diff := cmp.Diff(c.Expect.Outcomes, res.Outcomes()); diff != "" {
				t.Errorf("outcomes of the invocations mismatch (-want +got), want %s (%s):\n%s", c.Expect, c.Expect.Why, diff)
			}
			// 0 duplicates.
			if n := len(res.Connections); n > 1 {
				t.Errorf("base connections in Flow Service = %d, want at most 1", n)
			}
			if res.SourceConnections > 1 {
				t.Errorf("source connections in Flow Service = %d, want at most 1", res.SourceConnections)
			}
			// 0 lost publications.
			published := res.ProvisionedEvents()
			if res.Final() == faultmatrix.OK {
				if len(res.Connections) != 1 || res.ConnectionID != res.Connections[0] {
					t.Errorf("the function reported connection %q, Flow Service holds %q", res.ConnectionID, res.Connections)
				}
				if !slices.ContainsFunc(published, func(e faultmatrix.Event) bool { return e.ConnectionID == res.ConnectionID }) {
					t.Errorf("published %+v, want an event for connection %s", published, res.ConnectionID)
				}
			}
			for _, e := range published {
				if !slices.Contains(res.Connections, e.ConnectionID) {
					t.Errorf("published an event for connection %q, which Flow Service does not hold (%q)", e.ConnectionID, res.Connections)
				}
			}
			// Clean failures only: the function's own errors, with a
			// message.
			for i, inv := range res.Invocations {
				clean := inv.Outcome == faultmatrix.Retryable || inv.Outcome == faultmatrix.Final
				if inv.Outcome != faultmatrix.OK && (!clean || inv.Message == "") {
					t.Errorf("invocation %d = %s %s %q, want ok or the function's own error with a message", i+1, inv.Outcome, inv.ErrorType, inv.Message)
				}
			}
			if strings.Contains(res.Logs, "panic:") {
				t.Errorf("the logs show a panic")
			}
			for _, l := range res.Leaks {
				t.Errorf("secret value found: %s", l)
			}
			// Whatever else Misses finds (a fault that never struck).
			if misses := res.Misses(); len(misses) > 0 && !t.Failed() {
				t.Errorf("Misses() = %q", misses)
			}
		})
	}
}
