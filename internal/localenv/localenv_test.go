package localenv

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Shared, lazily started fixtures: one moto server, one RIE path and one
// echofn build per test binary. TestMain tears them down.
var shared struct {
	motoOnce sync.Once
	moto     *Moto
	motoErr  error

	fnOnce    sync.Once
	rie       string
	bootstrap string
	fnErr     error
	dir       string
}

func TestMain(m *testing.M) {
	m.Run()
	if shared.moto != nil {
		_ = shared.moto.Close()
	}
	if shared.dir != "" {
		_ = os.RemoveAll(shared.dir)
	}
}

// testRegion is the region every test config uses.
const testRegion = "us-east-1"

// requireMoto returns the shared moto server. Without moto_server the test
// fails with FindMoto's error, or is skipped in -short mode.
func requireMoto(t *testing.T) *Moto {
	t.Helper()
	shared.motoOnce.Do(func() {
		root, err := ModuleRoot()
		if err != nil {
			shared.motoErr = err
			return
		}
		bin, err := FindMoto(root)
		if err != nil {
			shared.motoErr = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		shared.moto, shared.motoErr = StartMoto(ctx, MotoOptions{Bin: bin})
	})
	if shared.motoErr != nil {
		if errors.Is(shared.motoErr, ErrMotoNotFound) && testing.Short() {
			t.Skip(shared.motoErr)
		}
		t.Fatal(shared.motoErr)
	}
	return shared.moto
}

// requireEchoFunction returns the RIE binary and an echofn bootstrap built
// with BuildLambda.
func requireEchoFunction(t *testing.T) (rie, bootstrap string) {
	t.Helper()
	shared.fnOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		root, err := ModuleRoot()
		if err != nil {
			shared.fnErr = err
			return
		}
		if shared.rie, err = RIEPath(ctx, root); err != nil {
			shared.fnErr = err
			return
		}
		if shared.dir, err = os.MkdirTemp("", "localenv-test-"); err != nil { //nolint:usetesting // shared by every test of the binary, removed in TestMain
			shared.fnErr = err
			return
		}
		shared.bootstrap, shared.fnErr = BuildLambda(ctx, root, "./internal/localenv/testdata/echofn", shared.dir)
	})
	if shared.fnErr != nil {
		t.Fatal(shared.fnErr)
	}
	return shared.rie, shared.bootstrap
}

// startEcho starts an echofn Function and registers its Close.
func startEcho(t *testing.T, opts FunctionOptions) *Function {
	t.Helper()
	opts.RIE, opts.Bootstrap = requireEchoFunction(t)
	f, err := StartFunction(t.Context(), opts)
	if err != nil {
		t.Fatalf("StartFunction(%+v) = %v", opts, err)
	}
	t.Cleanup(func() {
		if err := f.Close(); err != nil {
			t.Errorf("Close() = %v", err)
		}
		if t.Failed() {
			t.Logf("function %q logs:\n%s", opts.Name, f.Logs())
		}
	})
	return f
}

func TestModuleRoot(t *testing.T) {
	got, err := ModuleRoot()
	if err != nil {
		t.Fatalf("ModuleRoot() = %v", err)
	}
	want, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("ModuleRoot() = %q, want %q", got, want)
	}
}
