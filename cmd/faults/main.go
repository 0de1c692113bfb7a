// Command faults runs the provisioner's fault matrix (package faultmatrix):
// every dependency of the function under every fault that applies, against
// the real bootstrap under the Lambda Runtime Interface Emulator, moto and
// the Adobe emulator, with Lambda's asynchronous retries simulated. It prints
// the matrix as a Markdown table and exits 1 when a cell misses (2 when the
// run itself fails).
//
//	faults -bootstrap .build/local/bootstrap                 (make faults)
//	faults -run 'flow-create/|putevents/partial' -logs /tmp/faultlogs
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/faultmatrix"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	var missed *missedError
	switch {
	case errors.As(err, &missed):
		fmt.Fprintf(os.Stderr, "faults: %v\n", err)
		os.Exit(1)
	case err != nil:
		fmt.Fprintf(os.Stderr, "faults: %v\n", err)
		os.Exit(2)
	}
}

// missedError names the cells that missed.
type missedError struct{ cells []string }

func (e *missedError) Error() string {
	return fmt.Sprintf("%d cell(s) missed: %s", len(e.cells), strings.Join(e.cells, ", "))
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("faults", flag.ContinueOnError)
	bootstrap := fs.String("bootstrap", "", "bootstrap to run (default: build it with the SAM target's flags)")
	filter := fs.String("run", "", "run only the cells whose name (<dependency>/<fault>, e.g. ddb-lock/5xx) matches this regexp")
	parallel := fs.Int("parallel", 4, "cells run at the same time")
	timeout := fs.Duration("timeout", 5*time.Minute, "bound on the whole run")
	logs := fs.String("logs", "", "directory to write every cell's function logs to (secrets masked)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cells, err := faultmatrix.Select(faultmatrix.Matrix(), *filter)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	r, err := faultmatrix.StartRunner(ctx, faultmatrix.RunnerOptions{Bootstrap: *bootstrap})
	if err != nil {
		return err
	}
	defer r.Close()
	results := r.RunAll(ctx, cells, *parallel)
	if err := faultmatrix.WriteMarkdown(out, results); err != nil {
		return err
	}
	if *logs != "" {
		if err := faultmatrix.WriteLogs(*logs, results); err != nil {
			return err
		}
	}
	if missed := faultmatrix.Missed(results); len(missed) > 0 {
		return &missedError{cells: missed}
	}
	return nil
}
