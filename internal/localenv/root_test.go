package localenv

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeExecutable creates an executable file at path (and its directory).
func writeExecutable(t *testing.T, path string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestFindMoto(t *testing.T) {
	// Not parallel: the rows set MOTO_SERVER and PATH.
	dir := t.TempDir()
	explicit := writeExecutable(t, filepath.Join(dir, "explicit", "moto_server"))
	withVenv := filepath.Join(dir, "repo")
	venv := writeExecutable(t, filepath.Join(withVenv, ".venv", "bin", "moto_server"))
	pathDir := filepath.Join(dir, "bin")
	onPath := writeExecutable(t, filepath.Join(pathDir, "moto_server"))
	emptyDir := filepath.Join(dir, "empty")
	if err := os.Mkdir(emptyDir, 0o755); err != nil {
		t.Fatal(err)
	}
	notExecutable := filepath.Join(dir, "plain")
	if err := os.WriteFile(notExecutable, nil, 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		env      string // MOTO_SERVER
		path     string // PATH
		root     string
		want     string
		wantErr  bool
		notFound bool // error wraps ErrMotoNotFound
	}{
		{name: "env wins over venv and PATH", env: explicit, path: pathDir, root: withVenv, want: explicit},
		{name: "venv wins over PATH", path: pathDir, root: withVenv, want: venv},
		{name: "PATH last", path: pathDir, root: emptyDir, want: onPath},
		{name: "no root uses PATH", path: pathDir, want: onPath},
		{name: "env set to a missing file", env: filepath.Join(dir, "missing"), path: pathDir, wantErr: true},
		{name: "env set to a non-executable", env: notExecutable, path: pathDir, wantErr: true},
		{name: "nowhere", path: emptyDir, root: emptyDir, wantErr: true, notFound: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(MotoEnv, tt.env)
			t.Setenv("PATH", tt.path)
			got, err := FindMoto(tt.root)
			if (err != nil) != tt.wantErr {
				t.Fatalf("FindMoto(%q) = %q, %v; want error %v", tt.root, got, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("FindMoto(%q) = %q, want %q", tt.root, got, tt.want)
			}
			if errors.Is(err, ErrMotoNotFound) != tt.notFound {
				t.Errorf("FindMoto(%q) error %v: errors.Is(ErrMotoNotFound) = %v, want %v", tt.root, err, !tt.notFound, tt.notFound)
			}
			if tt.notFound {
				for _, part := range []string{MotoEnv, filepath.Join(emptyDir, ".venv", "bin", "moto_server"), "PATH", "make deps", `pip install "moto[server]"`} {
					if !strings.Contains(err.Error(), part) {
						t.Errorf("FindMoto(%q) error %q does not mention %q", tt.root, err, part)
					}
				}
			}
		})
	}
}

func TestRIEPath(t *testing.T) {
	t.Parallel()
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	got, err := RIEPath(t.Context(), root)
	if err != nil {
		t.Fatalf("RIEPath(%q) = %v", root, err)
	}
	if filepath.Base(got) != "aws-lambda-rie" {
		t.Errorf("RIEPath(%q) = %q, want a path ending in aws-lambda-rie", root, got)
	}
}

func TestBuildBootstrap(t *testing.T) {
	t.Parallel()
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, BootstrapPackage)); err != nil {
		t.Skipf("%s does not exist yet: %v", BootstrapPackage, err)
	}
	out := t.TempDir()
	got, err := BuildBootstrap(t.Context(), root, out)
	if err != nil {
		t.Fatalf("BuildBootstrap(%q) = %v", root, err)
	}
	if want := filepath.Join(out, "bootstrap"); got != want {
		t.Errorf("BuildBootstrap(%q) = %q, want %q", root, got, want)
	}
	if err := checkExecutable(got); err != nil {
		t.Errorf("BuildBootstrap(%q) output: %v", root, err)
	}
}

func TestBuildFlagsMatchMakefile(t *testing.T) {
	t.Parallel()
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	makefile, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if errors.Is(err, os.ErrNotExist) {
		t.Skip("no Makefile yet")
	}
	if err != nil {
		t.Fatal(err)
	}
	// The Makefile quotes the ldflags ('-ldflags=-s -w' or -ldflags='-s -w'),
	// so compare what survives any quoting.
	for _, want := range append(BuildEnv, "-tags lambda.norpc", "-trimpath", "-ldflags", "-s -w", "bootstrap", BootstrapPackage[2:]) {
		if !strings.Contains(string(makefile), want) {
			t.Errorf("Makefile does not contain %q; keep BuildEnv/BuildFlags and the Makefile in step", want)
		}
	}
}
