package localenv

import (
	"bytes"
	"context"
	"os"
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
