package benchrun

import (
	"archive/zip"
	"os"
	"path/filepath"
	"testing"
)

func writeZip(t *testing.T, name string, size int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "a.zip")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	w, err := zw.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(make([]byte, size)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestInspectZip(t *testing.T) {
	t.Parallel()
	path := writeZip(t, "bootstrap", 100000)
	got, err := InspectZip(path)
	if err != nil {
		t.Fatalf("InspectZip(%s) = %v", path, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	want := Artifact{Path: path, Bytes: fi.Size(), BootstrapBytes: 100000}
	if got != want {
		t.Errorf("InspectZip(%s) = %+v, want %+v", path, got, want)
	}
}

func TestInspectZipErrors(t *testing.T) {
	t.Parallel()
	notZip := filepath.Join(t.TempDir(), "x.zip")
	if err := os.WriteFile(notZip, []byte("not a zip"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, path := range map[string]string{
		"missing":      filepath.Join(t.TempDir(), "none.zip"),
		"no bootstrap": writeZip(t, "functions/bootstrap", 10),
		"not a zip":    notZip,
	} {
		if got, err := InspectZip(path); err == nil {
			t.Errorf("InspectZip(%s) = %+v, want an error (%s)", path, got, name)
		}
	}
}
