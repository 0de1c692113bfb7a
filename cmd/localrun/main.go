// Command localrun runs the provisioner end to end on this machine, with no
// AWS or Adobe account: moto_server stands in for Secrets Manager,
// EventBridge, SQS and DynamoDB, the Adobe emulator for IMS and Flow Service,
// and the real bootstrap runs under the Lambda Runtime Interface Emulator,
// exactly as `sam local invoke` runs it, without Docker.
//
//	localrun -event events/cloudtrail-createstream-provisioned.json   (make run / make invoke)
//	localrun -stack                                                     (make stack)
//
// It prints the function's result, the Flow Service requests that arrived
// (secrets masked) and the events published, then stops everything it
// started, on success and on failure.
package main

import (
	"bytes"
	"context"
	"encoding/json"
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

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/adobeemu"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/localenv"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "localrun: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("localrun", flag.ContinueOnError)
	var eventFiles eventList
	fs.Var(&eventFiles, "event", "event file to invoke the function with; repeat it to invoke one warm function with several, in order (default events/cloudtrail-createstream-provisioned.json)")
	bootstrap := fs.String("bootstrap", "", "bootstrap to run (default: build it with the SAM target's flags)")
	stack := fs.Bool("stack", false, "start moto and the Adobe emulator and keep them running (for sam local invoke)")
	verbose := fs.Bool("v", false, "also print the function's log lines")
	if err := fs.Parse(args); err != nil {
		return err
	}
	root, err := localenv.ModuleRoot()
	if err != nil {
		return err
	}
	if *stack {
		return serveStack(ctx, root, out)
	}
	if len(eventFiles) == 0 {
		eventFiles = eventList{"events/cloudtrail-createstream-provisioned.json"}
	}
	payloads := make([][]byte, len(eventFiles))
	for i, name := range eventFiles {
		if payloads[i], err = os.ReadFile(name); err != nil {
			return fmt.Errorf("read event: %w", err)
		}
		if !json.Valid(payloads[i]) {
			return fmt.Errorf("%s is not valid JSON", name)
		}
	}

	step(out, "building bootstrap and finding the Runtime Interface Emulator")
	if *bootstrap == "" {
		dir, err := os.MkdirTemp("", "localrun-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
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

	step(out, "starting moto_server and the Adobe emulator, seeding demo secrets and an event bus")
	// The stack's own moto, so the fixed names of env.json and the samples
	// (the rotation sample names aep-kinesis-provisioner/kinesis/...) fit.
	st, err := localenv.StartStack(ctx, localenv.StackOptions{MotoBin: motoBin, Prefix: "aep-kinesis-provisioner"})
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Fprintf(out, "  %s\n", st)

	fn, err := st.StartFunction(ctx, localenv.FunctionOptions{RIE: rie, Bootstrap: *bootstrap}, nil)
	if err != nil {
		return err
	}
	defer fn.Close()
	var failed error
	for i, payload := range payloads {
		step(out, "invoking bootstrap under the RIE with "+filepath.Base(eventFiles[i]))
		inv, err := fn.Invoke(ctx, payload)
		if err != nil {
			return err
		}
		step(out, "function result")
		fmt.Fprintln(out, indent(inv.Payload))
		switch {
		case inv.TimedOut:
			failed = errors.Join(failed, fmt.Errorf("%s: the invocation timed out", eventFiles[i]))
		case inv.Err != nil:
			failed = errors.Join(failed, fmt.Errorf("%s: the invocation failed: %s: %s", eventFiles[i], inv.Err.ErrorType, inv.Err.ErrorMessage))
		}
	}
	if *verbose {
		step(out, "function logs")
		fmt.Fprint(out, fn.Logs())
	}

	step(out, "Flow Service requests that arrived (secrets masked)")
	printFlowRequests(out, st.Emulator().Requests())

	step(out, "events published, read back from the SQS queue behind the bus rule")
	published, err := st.Sink.Drain(ctx, 500*time.Millisecond)
	if err != nil {
		return err
	}
	if len(published) == 0 {
		fmt.Fprintln(out, "  (none)")
	}
	for _, e := range published {
		fmt.Fprintln(out, indent(e))
	}

	if failed != nil {
		return failed
	}
	step(out, "done; everything started has been stopped")
	return nil
}

// printFlowRequests prints the Flow Service requests (not IMS token calls)
// with the emulator's redaction.
func printFlowRequests(out io.Writer, reqs []adobeemu.Request) {
	n := 0
	for _, r := range reqs {
		r = r.Redacted()
		if !strings.HasPrefix(r.Path, adobeemu.FlowBasePath) {
			continue
		}
		n++
		target := r.Path
		if r.RawQuery != "" {
			target += "?" + r.RawQuery
		}
		fmt.Fprintf(out, "  %s %s -> %d\n", r.Method, target, r.Status)
		for _, h := range []string{"Authorization", "x-api-key", "x-gw-ims-org-id", "x-sandbox-name", "Content-Type"} {
			if v := r.Header.Get(h); v != "" {
				fmt.Fprintf(out, "    %s: %s\n", h, v)
			}
		}
		if len(r.Body) > 0 {
			fmt.Fprintln(out, indent(r.Body))
		}
	}
	if n == 0 {
		fmt.Fprintln(out, "  (none)")
	}
}

func step(out io.Writer, msg string) { fmt.Fprintf(out, "\n==> %s\n", msg) }

func indent(b []byte) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "  ", "  "); err != nil {
		return "  " + string(b)
	}
	return "  " + buf.String()
}

// serveStack keeps moto and the emulator running on fixed ports, reachable
// from Docker, until interrupted: `sam local invoke --env-vars env.json`
// then talks to them.
func serveStack(ctx context.Context, root string, out io.Writer) error {
	motoBin, err := localenv.FindMoto(root)
	if err != nil {
		return err
	}
	opts := localenv.SAMLocalOptions()
	opts.MotoBin = motoBin
	st, err := localenv.StartStack(ctx, opts)
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Fprintf(out, "local stack running: %s\n", st)
	fmt.Fprintf(out, "published events land in SQS queue %s\n", st.Sink.QueueURL())
	fmt.Fprintln(out, "in another terminal:")
	fmt.Fprintln(out, "  sam build && sam local invoke ProvisionerFunction -e events/cloudtrail-createstream-provisioned.json \\")
	fmt.Fprintln(out, "    --env-vars env.json --add-host host.docker.internal:host-gateway")
	fmt.Fprintf(out, "  AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing aws --endpoint-url http://127.0.0.1:%d --region %s sqs receive-message --queue-url %s\n",
		opts.MotoPort, localenv.StackRegion, st.Sink.QueueURL())
	fmt.Fprintln(out, "press Ctrl-C to stop")
	<-ctx.Done()
	step(out, "stopping the local stack")
	return nil
}

// eventList is the repeatable -event flag.
type eventList []string

func (l *eventList) String() string { return strings.Join(*l, ",") }

func (l *eventList) Set(name string) error {
	*l = append(*l, name)
	return nil
}
