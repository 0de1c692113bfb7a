package localenv

import "testing"

func TestParseVmHWM(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		status  string
		want    int64
		wantErr bool
	}{
		{
			name:   "linux status",
			status: "Name:\tbootstrap\nVmPeak:\t 1234568 kB\nVmSize:\t 1234560 kB\nVmHWM:\t   12288 kB\nVmRSS:\t   11000 kB\n",
			want:   12288 << 10,
		},
		{name: "last line without newline", status: "Name:\tx\nVmHWM:\t1 kB", want: 1024},
		{name: "zero", status: "VmHWM:\t0 kB\n", want: 0},
		{name: "missing", status: "Name:\tx\nVmRSS:\t1 kB\n", wantErr: true},
		{name: "other unit", status: "VmHWM:\t1 MB\n", wantErr: true},
		{name: "not a number", status: "VmHWM:\tlots kB\n", wantErr: true},
		{name: "negative", status: "VmHWM:\t-4 kB\n", wantErr: true},
		{name: "empty", status: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseVMHWM([]byte(tt.status))
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseVMHWM(%q) error = %v, want error %v", tt.status, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("parseVMHWM(%q) = %d, want %d", tt.status, got, tt.want)
			}
		})
	}
}
