// Command adobe-emulator serves the local Adobe IMS and Flow Service emulator
// (package adobeemu) until it receives SIGINT or SIGTERM. It backs manual
// experiments and `sam local invoke`; it never talks to Adobe.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/adobeemu"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "adobe-emulator: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("adobe-emulator", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8090", "address to listen on")
	clientID := fs.String("client-id", "demo-client-id", "the IMS client ID (and x-api-key) the emulator accepts")
	clientSecret := fs.String("client-secret", "demo-client-secret", "the IMS client secret the emulator accepts")
	orgID := fs.String("org-id", "DEMO0000000000000000000@AdobeOrg", "the organization of issued tokens")
	sandboxes := fs.String("sandboxes", "prod,dev-sandbox", "comma-separated sandboxes that exist")
	pageSize := fs.Int("page-size", 20, "default page size of list endpoints")
	if err := fs.Parse(args); err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	srv, err := adobeemu.Start(ctx, *listen, adobeemu.Options{
		ClientID:     *clientID,
		ClientSecret: *clientSecret,
		OrgID:        *orgID,
		Sandboxes:    splitList(*sandboxes),
		PageSize:     *pageSize,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Adobe emulator listening on %s\n", srv.URL())
	fmt.Fprintf(out, "  IMS token endpoint: %s%s\n", srv.IMSURL(), adobeemu.IMSTokenPath)
	fmt.Fprintf(out, "  Flow Service base:  %s\n", srv.FlowURL())
	fmt.Fprintf(out, "  Admin API:          %s%s\n", srv.URL(), adobeemu.AdminBasePath)
	fmt.Fprintf(out, "  client ID %s, org %s, sandboxes %s\n", *clientID, *orgID, *sandboxes)

	<-ctx.Done()
	return srv.Close()
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
