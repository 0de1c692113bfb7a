package benchrun

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseGoBench(t *testing.T) {
	t.Parallel()
	out := `goos: linux
goarch: amd64
pkg: github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/trigger
cpu: AMD EPYC
BenchmarkHandle/api-rest-v1-2    	   24512	     46154 ns/op	   12438 B/op	     162 allocs/op
BenchmarkHandle/cloudtrail-2     	   18340	     64941.5 ns/op	    9704 B/op	      99 allocs/op
PASS
ok  	github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/trigger	3.246s
pkg: github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/flowservice
BenchmarkNoMem 	 1000000	      1043 ns/op
BenchmarkCustom-16 	 500	 12 ns/op	 3.5 MB/s	 0 B/op	 0 allocs/op
BenchmarkLogLine: this is a log line, not a result
PASS
`
	got, err := ParseGoBench([]byte(out))
	if err != nil {
		t.Fatalf("ParseGoBench() = %v", err)
	}
	const trigger, flow = "github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/trigger", "github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/flowservice"
	want := []GoBenchmark{
		{Package: trigger, Name: "Handle/api-rest-v1", Procs: 2, N: 24512, NsPerOp: 46154, BytesPerOp: 12438, AllocsPerOp: 162},
		{Package: trigger, Name: "Handle/cloudtrail", Procs: 2, N: 18340, NsPerOp: 64941.5, BytesPerOp: 9704, AllocsPerOp: 99},
		{Package: flow, Name: "NoMem", Procs: 0, N: 1000000, NsPerOp: 1043, BytesPerOp: -1, AllocsPerOp: -1},
		{Package: flow, Name: "Custom", Procs: 16, N: 500, NsPerOp: 12, BytesPerOp: 0, AllocsPerOp: 0},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseGoBench() mismatch (-want +got):\n%s", diff)
	}
}

func TestParseGoBenchErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		out  string
	}{
		{name: "no ns/op", out: "BenchmarkX-2 100 5 B/op 1 allocs/op\n"},
		{name: "bad value", out: "BenchmarkX-2 100 abc ns/op\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got, err := ParseGoBench([]byte(tt.out)); err == nil {
				t.Errorf("ParseGoBench(%q) = %+v, want an error", tt.out, got)
			}
		})
	}
}

func TestSplitProcs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in        string
		wantName  string
		wantProcs int
	}{
		{in: "Handle/api-rest-v1-2", wantName: "Handle/api-rest-v1", wantProcs: 2},
		{in: "Handle/api-rest-v1", wantName: "Handle/api-rest-v1", wantProcs: 0},
		{in: "X", wantName: "X", wantProcs: 0},
		{in: "X-0", wantName: "X-0", wantProcs: 0},
	}
	for _, tt := range tests {
		name, procs := splitProcs(tt.in)
		if name != tt.wantName || procs != tt.wantProcs {
			t.Errorf("splitProcs(%q) = %q, %d, want %q, %d", tt.in, name, procs, tt.wantName, tt.wantProcs)
		}
	}
}
