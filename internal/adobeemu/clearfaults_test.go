package adobeemu

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestClearFaultsKeepsStateAndLog(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.emu.Inject(Fault{Method: "GET", Path: "/connections", Status: 503, Times: 1000})
	f.createConnection("kept")
	before := f.flow(http.MethodGet, "/connections", "")
	f.emu.ClearFaults()
	after := f.flow(http.MethodGet, "/connections", "")
	if got := []int{before.status, after.status}; !cmp.Equal(got, []int{503, 200}) {
		t.Errorf("GET /connections statuses around ClearFaults() = %v, want [503 200]", got)
	}
	if got := len(f.emu.Connections("prod")); got != 1 {
		t.Errorf("len(Connections) after ClearFaults() = %d, want 1", got)
	}
	if got := f.emu.Count("GET", "/connections"); got != 2 {
		t.Errorf("Count(GET, /connections) after ClearFaults() = %d, want 2", got)
	}
	if got := f.emu.Faulted(); got != 1 {
		t.Errorf("Faulted() after ClearFaults() = %d, want 1", got)
	}
	f.emu.Reset()
	if got := f.emu.Faulted(); got != 0 {
		t.Errorf("Faulted() after Reset() = %d, want 0", got)
	}
}
