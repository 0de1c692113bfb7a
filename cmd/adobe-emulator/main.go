// Command adobe-emulator serves the local Adobe IMS and Flow Service emulator
// (package adobeemu) until it receives SIGINT or SIGTERM. It backs `make run`
// and manual experiments; it never talks to Adobe.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/adobeemu"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8090", "address to listen on")
	clientID := flag.String("client-id", "demo-client-id", "the IMS client ID (and x-api-key) the emulator accepts")
	clientSecret := flag.String("client-secret", "demo-client-secret", "the IMS client secret the emulator accepts")
	orgID := flag.String("org-id", "DEMO0000000000000000000@AdobeOrg", "the organization of issued tokens")
	sandboxes := flag.String("sandboxes", "prod,dev-sandbox", "comma-separated sandboxes that exist")
	pageSize := flag.Int("page-size", 20, "default page size of list endpoints")
	flag.Parse()

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
		log.Fatalf("adobe-emulator: %v", err)
	}
	fmt.Printf("Adobe emulator listening on %s\n", srv.URL())
	fmt.Printf("  IMS token endpoint: %s%s\n", srv.IMSURL(), adobeemu.IMSTokenPath)
	fmt.Printf("  Flow Service base:  %s\n", srv.FlowURL())
	fmt.Printf("  Admin API:          %s%s\n", srv.URL(), adobeemu.AdminBasePath)
	fmt.Printf("  client ID %s, org %s, sandboxes %s\n", *clientID, *orgID, *sandboxes)

	<-ctx.Done()
	if err := srv.Close(); err != nil {
		log.Fatalf("adobe-emulator: %v", err)
	}
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
