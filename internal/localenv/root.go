package localenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// MotoEnv is the environment variable that names the moto_server executable,
// taking precedence over the project venv and PATH.
const MotoEnv = "MOTO_SERVER"

// ErrMotoNotFound is wrapped by the FindMoto (and StartMoto) error when no
// moto_server executable could be found.
var ErrMotoNotFound = errors.New("moto_server not found")

// ModuleRoot walks up from the working directory to the directory that holds
// go.mod.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("module root: %w", err)
	}
	for {
		if fi, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil && !fi.IsDir() {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("module root: no go.mod in the working directory or any parent")
		}
		dir = parent
	}
}

// FindMoto locates the moto_server executable: $MOTO_SERVER if set (it must
// then be executable; a wrong value is an error, not a reason to look
// elsewhere), else <root>/.venv/bin/moto_server, else moto_server on PATH.
// When none is found the error wraps ErrMotoNotFound and says how to install
// it.
func FindMoto(root string) (string, error) {
	if p := os.Getenv(MotoEnv); p != "" {
		if err := checkExecutable(p); err != nil {
			return "", fmt.Errorf("$%s=%q: %w", MotoEnv, p, err)
		}
		return p, nil
	}
	venv := filepath.Join(root, ".venv", "bin", "moto_server")
	if root != "" && checkExecutable(venv) == nil {
		return venv, nil
	}
	if p, err := exec.LookPath("moto_server"); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%w: looked at $%s (unset), %s and PATH; run `make deps` or pip install \"moto[server]\"",
		ErrMotoNotFound, MotoEnv, venv)
}

func checkExecutable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", p)
	}
	return nil
}

// RIEPath returns the path of the aws-lambda-rie binary pinned in go.mod as a
// Go tool, building it if needed (`go tool -n aws-lambda-rie`, run in root).
func RIEPath(ctx context.Context, root string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "tool", "-n", "aws-lambda-rie")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go tool -n aws-lambda-rie in %s: %w: %s", root, err, bytes.TrimSpace(stderr.Bytes()))
	}
	p := string(bytes.TrimSpace(out))
	if err := checkExecutable(p); err != nil {
		return "", fmt.Errorf("go tool -n aws-lambda-rie printed %q: %w", p, err)
	}
	return p, nil
}
