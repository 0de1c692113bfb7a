package benchrun

import "testing"

func TestCPUModel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, cpuinfo, want string
	}{
		{name: "x86", cpuinfo: "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B13\n", want: "AMD EPYC 7B13"},
		{name: "arm with hardware", cpuinfo: "processor\t: 0\nBogoMIPS\t: 243.75\nCPU part\t: 0xd0c\n\nHardware\t: Graviton\n", want: "Graviton"},
		{name: "arm with cpu part only", cpuinfo: "processor\t: 0\nCPU part\t: 0xd0c\n", want: "0xd0c"},
		{name: "nothing", cpuinfo: "", want: "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := cpuModel([]byte(tt.cpuinfo)); got != tt.want {
				t.Errorf("cpuModel(%q) = %q, want %q", tt.cpuinfo, got, tt.want)
			}
		})
	}
}

func TestOSReleaseName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{name: "quoted", in: "NAME=\"Ubuntu\"\nPRETTY_NAME=\"Ubuntu 24.04.1 LTS\"\nID=ubuntu\n", want: "Ubuntu 24.04.1 LTS"},
		{name: "unquoted", in: "PRETTY_NAME=Alpine\n", want: "Alpine"},
		{name: "missing", in: "NAME=x\n", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := osReleaseName([]byte(tt.in)); got != tt.want {
				t.Errorf("osReleaseName(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseLoadAvg(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want float64
	}{
		{in: "0.52 0.58 0.59 1/123 4567\n", want: 0.52},
		{in: "9.60 6.84 3.78 5/900 1\n", want: 9.6},
		{in: "", want: -1},
		{in: "busy 1 2", want: -1},
	}
	for _, tt := range tests {
		if got := parseLoadAvg([]byte(tt.in)); got != tt.want {
			t.Errorf("parseLoadAvg(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
