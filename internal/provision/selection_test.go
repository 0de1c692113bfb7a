package provision

import "testing"

func TestSelect(t *testing.T) {
	t.Parallel()
	sel := Selection{Include: []string{"orders-*", "payments.*"}, Exclude: []string{"*-test"}, OptTag: "aep-provision", SandboxTag: "aep-sandbox"}
	optIn := Selection{OptTag: "aep-provision", RequireOptIn: true}
	tests := []struct {
		name        string
		sel         Selection
		stream      string
		tags        map[string]string
		want        bool
		wantSandbox string
	}{
		{"everything by default", Selection{}, "anything", nil, true, ""},
		{"included", sel, "orders-eu", nil, true, ""},
		{"included by another pattern", sel, "payments.v2", nil, true, ""},
		{"not included", sel, "clicks", nil, false, ""},
		{"excluded", sel, "orders-test", nil, false, ""},
		{"opted out beats include", sel, "orders-eu", map[string]string{"aep-provision": "false"}, false, ""},
		{"opted in beats exclude", sel, "orders-test", map[string]string{"aep-provision": "TRUE"}, true, ""},
		{"sandbox tag", sel, "orders-eu", map[string]string{"aep-sandbox": "dev"}, true, "dev"},
		{"unparsable opt value falls back to patterns", sel, "clicks", map[string]string{"aep-provision": "maybe"}, false, ""},
		{"opt-in required, tagged", optIn, "s", map[string]string{"aep-provision": "yes"}, true, ""},
		{"opt-in required, untagged", optIn, "s", map[string]string{"team": "x"}, false, ""},
		{"opt-in required, tags unknown", optIn, "s", nil, true, ""},
	}
	for _, tt := range tests {
		d := tt.sel.Select(tt.stream, tt.tags)
		if d.Selected != tt.want || d.Sandbox != tt.wantSandbox || (d.Selected == (d.Reason != "")) {
			t.Errorf("%s: Select(%q, %v) = %+v, want selected %v sandbox %q (and a reason only when not selected)", tt.name, tt.stream, tt.tags, d, tt.want, tt.wantSandbox)
		}
	}
	if err := (Selection{Include: []string{"[a-"}}).Validate(); err == nil {
		t.Error("Validate() accepted a malformed pattern")
	}
	if err := (Selection{RequireOptIn: true}).Validate(); err == nil {
		t.Error("Validate() accepted RequireOptIn without a tag key")
	}
}
