package localenv

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// running reports whether pid exists and is not a zombie.
func running(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && len(stat) > i+2 && stat[i+2] != 'Z'
}

// waitGone waits (bounded) until none of pids is running; it fails the test
// naming the survivors.
func waitGone(t *testing.T, pids []int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for {
		var alive []int
		for _, pid := range pids {
			if running(pid) {
				alive = append(alive, pid)
			}
		}
		if len(alive) == 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("processes %v outlived their Function", alive)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func TestStopLeavesNoProcess(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		stop func(*Function) error
	}{
		{name: "Close", stop: (*Function).Close},
		{name: "Kill", stop: (*Function).Kill},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := startEcho(t, FunctionOptions{Name: "echo-stop-" + tt.name})
			// The RIE starts the runtime on the first invoke.
			if _, err := f.Invoke(t.Context(), []byte(`{}`)); err != nil {
				t.Fatalf("Invoke() = %v", err)
			}
			pids := append(descendants(f.proc.pgid), f.proc.pgid)
			if len(pids) < 2 {
				t.Fatalf("descendants of the RIE = %v, want the bootstrap among them", pids[:len(pids)-1])
			}
			if err := tt.stop(f); err != nil {
				t.Fatalf("%s() = %v", tt.name, err)
			}
			waitGone(t, pids)
		})
	}
}

func TestPeakRSS(t *testing.T) {
	t.Parallel()
	f := startEcho(t, FunctionOptions{Name: "echo-rss"})
	if got, err := f.PeakRSS(); err == nil {
		t.Errorf("PeakRSS() before the first invoke = %d, want an error (no runtime yet)", got)
	}
	if _, err := f.Invoke(t.Context(), []byte(`{}`)); err != nil {
		t.Fatalf("Invoke() = %v", err)
	}
	got, err := f.PeakRSS()
	if err != nil {
		t.Fatalf("PeakRSS() after an invoke = %v", err)
	}
	// A Go program's peak RSS is megabytes: more than 256 KiB and less than
	// 1 GiB rules out reading the wrong line or unit.
	if got < 256<<10 || got > 1<<30 {
		t.Errorf("PeakRSS() = %d bytes, want between 256 KiB and 1 GiB", got)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	if got, err := f.PeakRSS(); err == nil {
		t.Errorf("PeakRSS() after Close = %d, want an error", got)
	}
}

func TestPeakRSSAfterTheBinaryWasReplaced(t *testing.T) {
	t.Parallel()
	rie, shared := requireEchoFunction(t)
	bin, err := os.ReadFile(shared)
	if err != nil {
		t.Fatal(err)
	}
	bootstrap := filepath.Join(t.TempDir(), "bootstrap")
	if err := os.WriteFile(bootstrap, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := StartFunction(t.Context(), FunctionOptions{RIE: rie, Bootstrap: bootstrap, Name: "echo-rss-replaced"})
	if err != nil {
		t.Fatalf("StartFunction() = %v", err)
	}
	t.Cleanup(func() { _ = f.Close() })
	if _, err := f.Invoke(t.Context(), []byte(`{}`)); err != nil {
		t.Fatalf("Invoke() = %v", err)
	}
	// A rebuild replaces the file (a new inode) while the function runs.
	if err := os.Remove(bootstrap); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bootstrap, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := f.PeakRSS(); err != nil || got <= 0 {
		t.Errorf("PeakRSS() after the binary was replaced = %d, %v; want a positive size", got, err)
	}
}
