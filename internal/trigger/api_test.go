package trigger

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/provision"
)

func TestLowerKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   map[string]string
		want map[string]string
	}{
		{"one header", map[string]string{"Content-Type": "application/json"}, map[string]string{"content-type": "application/json"}},
		{"case variants with one value", map[string]string{"Content-Type": "application/json", "content-type": "application/json"},
			map[string]string{"content-type": "application/json"}},
		// Before, the value depended on map order: the request was accepted
		// or refused at random.
		{"case variants with two values", map[string]string{"content-type": "text/plain", "Content-Type": "application/json"},
			map[string]string{"content-type": "application/json,text/plain"}},
		{"three variants", map[string]string{"CONTENT-TYPE": "a", "Content-Type": "b", "content-type": "c", "Host": "h"},
			map[string]string{"content-type": "a,b,c", "host": "h"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for range 20 {
				if diff := cmp.Diff(tt.want, lowerKeys(tt.in)); diff != "" {
					t.Fatalf("lowerKeys(%v) (-want +got):\n%s", tt.in, diff)
				}
			}
		})
	}
}

func TestEcho(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
	}{
		{"444455556666", "444455556666"},
		{"ResourceInUseException", "ResourceInUseException"},
		{"orders.v2_x-1", "orders.v2_x-1"},
		{"", `""`},
		{"has space", `"has space"`},
		{"line\nbreak", `"line\nbreak"`},
		{strings.Repeat("9", 64), strings.Repeat("9", 64)},
		{strings.Repeat("9", 65), `"` + strings.Repeat("9", 64) + `…"`},
		{strings.Repeat("é", 40), `"` + strings.Repeat("é", 32) + `…"`},
	}
	for _, tt := range tests {
		if got := echo(tt.in); got != tt.want {
			t.Errorf("echo(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAccountNotServedErrorIsShort(t *testing.T) {
	t.Parallel()
	err := &AccountNotServedError{AccountID: strings.Repeat("1", 100000)}
	if got := err.Error(); len(got) > 200 || !strings.Contains(got, "is not served") {
		t.Errorf("Error() = %.100q… (%d bytes), want a short message saying the account is not served", got, len(got))
	}
	if got, want := (&AccountNotServedError{AccountID: otherAccount}).Error(), "account "+otherAccount+" is not served by this function (see ALLOWED_ACCOUNT_IDS)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestDecodeProvisionBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		body    string
		want    provision.Request
		wantErr string // exact message; empty for success
	}{
		{name: "all fields", body: `{"region":"eu-west-1","streamName":"s","accountId":"111122223333","sandbox":"dev"}`,
			want: provision.Request{Region: "eu-west-1", StreamName: "s", AccountID: "111122223333", Sandbox: "dev"}},
		{name: "null is refused", body: ` {"region":null} `, wantErr: `field "region" must be a string`},
		{name: "empty is refused, not read as absent", body: `{"region":"eu-west-1","streamName":""}`, wantErr: `field "streamName" must not be empty (leave it out instead)`},
		{name: "duplicate name", body: `{"region":"eu-west-1","region":"eu-west-1"}`, wantErr: `field "region" appears more than once`},
		{name: "duplicate unknown name", body: `{"x":1,"x":2}`, wantErr: `field "x" appears more than once`},
		{name: "unknown fields are listed up to three", body: `{"region":"eu-west-1","e":1,"d":1,"c":1,"b":1,"a":1}`,
			wantErr: `unknown field "a", "b", "c" and 2 more; allowed fields are region, streamName, accountId and sandbox`},
		{name: "ends too early", body: `{"region":"eu-west-1"`, wantErr: "the body is not valid JSON (it ends too early)"},
		{name: "ends after a name", body: `{"region"`, wantErr: "the body is not valid JSON (it ends too early)"},
		{name: "missing colon", body: `{"region" "eu-west-1"}`, wantErr: "the body is not valid JSON (at byte 10)"},
		{name: "missing comma", body: `{"region":"eu-west-1" "sandbox":"dev"}`, wantErr: "the body is not valid JSON (at byte 22)"},
		{name: "trailing comma", body: `{"region":"eu-west-1",}`, wantErr: "the body is not valid JSON (at byte 22)"},
		{name: "array", body: `[{"region":"eu-west-1"}]`, wantErr: "the body must be a JSON object"},
		{name: "null", body: `null`, wantErr: "the body must be a JSON object"},
		{name: "huge number", body: `1e400`, wantErr: "the body must be a JSON object"},
		{name: "two objects", body: `{}{}`, wantErr: "the body must hold exactly one JSON object"},
		{name: "not a string", body: `{"sandbox":1e400}`, wantErr: `field "sandbox" must be a string`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := decodeProvisionBody([]byte(tt.body))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Errorf("decodeProvisionBody(%s) error = %v, want %q", tt.body, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("decodeProvisionBody(%s) error = %v", tt.body, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("decodeProvisionBody(%s) (-want +got):\n%s", tt.body, diff)
			}
		})
	}
}
