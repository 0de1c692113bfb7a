// Command bench measures the provisioner function as `make bench` does: the
// real bootstrap under the Lambda Runtime Interface Emulator against moto
// and the Adobe emulator, in three scenarios (cold start on a new account;
// warm, new stream; warm replay) plus a no-op baseline, each against the
// floor of the same round trips made directly; the deployment zip's size,
// the bootstrap's peak RSS and `go test -bench` for the in-process hot
// paths. It writes BENCHMARKS.md and a PNG chart, and exits non-zero when a
// budget is missed (unless -check=false). See internal/benchrun.
//
//	go run ./cmd/bench -bootstrap .build/local/bootstrap -zip .build/provisioner-arm64.zip
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/benchrun"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/localenv"
)

// errBudgets is returned when the run worked but missed budgets.
var errBudgets = errors.New("budgets missed")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out, progress io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	outMD := fs.String("out-md", "BENCHMARKS.md", "Markdown report to write")
	outPNG := fs.String("out-png", "docs/bench.png", "PNG chart to write")
	cold := fs.Int("cold", benchrun.DefaultCold, "cold starts of scenario (a)")
	warm := fs.Int("warm", benchrun.DefaultWarm, "measured invocations of each warm scenario")
	warmUp := fs.Int("warmup", benchrun.DefaultWarmUp, "unmeasured warm invocations before each warm scenario's measured ones")
	bootstrap := fs.String("bootstrap", "", "bootstrap for this machine (default: build it with the SAM target's flags)")
	zipPath := fs.String("zip", ".build/provisioner-arm64.zip", "the arm64 deployment zip `make build` makes")
	check := fs.Bool("check", true, "exit non-zero when a budget is missed")
	goBench := fs.Bool("gobench", true, "run go test -bench for the in-process hot paths")
	if err := fs.Parse(args); err != nil {
		return err
	}
	root, err := localenv.ModuleRoot()
	if err != nil {
		return err
	}
	artifact, err := benchrun.InspectZip(*zipPath)
	if err != nil {
		return fmt.Errorf("%w (run `make build` first)", err)
	}
	if *bootstrap == "" {
		dir, err := os.MkdirTemp("", "bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		fmt.Fprintln(progress, "building bootstrap with the SAM target's flags")
		if *bootstrap, err = localenv.BuildBootstrap(ctx, root, dir); err != nil {
			return err
		}
	}
	rie, err := localenv.RIEPath(ctx, root)
	if err != nil {
		return err
	}
	motoBin, err := localenv.FindMoto(root)
	if err != nil {
		return err
	}

	report := &benchrun.Report{
		Date:       time.Now(),
		LoadBefore: benchrun.LoadAverage(),
		Machine:    benchrun.DescribeMachine(),
		Command:    strings.TrimSpace("go run ./cmd/bench " + strings.Join(args, " ")),
		Cold:       *cold, Warm: *warm, WarmUp: *warmUp,
		Zip:     artifact,
		Budgets: benchrun.DefaultBudgets(),
	}
	report.Scenarios, err = benchrun.Run(ctx, benchrun.Config{
		RIE: rie, Bootstrap: *bootstrap, MotoBin: motoBin,
		Cold: *cold, Warm: *warm, WarmUp: *warmUp, Progress: progress,
	})
	if err != nil {
		return err
	}
	if *goBench {
		fmt.Fprintln(progress, "running go test -bench", strings.Join(benchrun.GoBenchPackages, " "))
		if report.GoBench, err = benchrun.RunGoBench(ctx, root, benchrun.GoBenchPackages...); err != nil {
			return err
		}
	}

	report.LoadAfter = benchrun.LoadAverage()
	checks := benchrun.Evaluate(report)
	if err := writeChart(*outPNG, report); err != nil {
		return err
	}
	chart, err := relPath(*outMD, *outPNG)
	if err != nil {
		return err
	}
	var md bytes.Buffer
	if err := benchrun.WriteMarkdown(&md, report, checks, chart); err != nil {
		return err
	}
	if err := os.WriteFile(*outMD, md.Bytes(), 0o644); err != nil { //nolint:gosec // G306: a report committed to the repository
		return err
	}
	fmt.Fprintf(out, "wrote %s and %s\n", *outMD, *outPNG)
	for _, c := range checks {
		verdict := "PASS"
		if !c.Pass {
			verdict = "FAIL"
		}
		fmt.Fprintf(out, "%s  %s: %s (limit %s)\n", verdict, c.Name, c.Measured, c.Limit)
	}
	if failed := benchrun.Failed(checks); *check && len(failed) > 0 {
		return fmt.Errorf("%w: %d of %d", errBudgets, len(failed), len(checks))
	}
	return nil
}

func writeChart(path string, r *benchrun.Report) error {
	var png bytes.Buffer
	if err := benchrun.WriteChart(&png, r); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil { //nolint:gosec // G301: a directory of the repository
		return err
	}
	return os.WriteFile(path, png.Bytes(), 0o644) //nolint:gosec // G306: a chart committed to the repository
}

// relPath is target relative to the directory of from, with slashes.
func relPath(from, target string) (string, error) {
	absFrom, err := filepath.Abs(from)
	if err != nil {
		return "", err
	}
	absTarget, err := filepath.Abs(target)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(filepath.Dir(absFrom), absTarget)
	if err != nil {
		return "", err
	}
	return filepath.ToSlash(rel), nil
}
