package localenv

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// BootstrapPackage is the function's main package, relative to the module
// root.
const BootstrapPackage = "./functions/provisioner"

// BuildEnv and BuildFlags are the environment and `go build` flags of the SAM
// Makefile target that produces the deployed bootstrap:
//
//	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build -tags lambda.norpc -trimpath -ldflags='-s -w' -o $(ARTIFACTS_DIR)/bootstrap ./functions/provisioner
//
// BuildLambda uses them unchanged, except that GOARCH is this machine's so
// the binary runs here. Keep them and the Makefile in step.
var (
	BuildEnv   = []string{"CGO_ENABLED=0", "GOOS=linux"}
	BuildFlags = []string{"-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w"}
)

// BuildLambda builds the main package pkg (a path relative to root, e.g.
// "./functions/provisioner") into outDir/bootstrap with BuildEnv and
// BuildFlags for this machine's GOARCH, and returns the binary's absolute
// path.
func BuildLambda(ctx context.Context, root, pkg, outDir string) (string, error) {
	out, err := filepath.Abs(filepath.Join(outDir, "bootstrap"))
	if err != nil {
		return "", fmt.Errorf("build %s: %w", pkg, err)
	}
	args := append([]string{"build"}, BuildFlags...)
	args = append(args, "-o", out, pkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), BuildEnv...)
	cmd.Env = append(cmd.Env, "GOARCH="+runtime.GOARCH)
	var output bytes.Buffer
	cmd.Stdout = &output
	cmd.Stderr = &output
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build %s: %w: %s", pkg, err, bytes.TrimSpace(output.Bytes()))
	}
	return out, nil
}

// BuildBootstrap builds the provisioner function (BootstrapPackage) into
// outDir/bootstrap; see BuildLambda.
func BuildBootstrap(ctx context.Context, root, outDir string) (string, error) {
	return BuildLambda(ctx, root, BootstrapPackage, outDir)
}
