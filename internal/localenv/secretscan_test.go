package localenv

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestFindSecrets(t *testing.T) {
	t.Parallel()
	const secret = "demo/Kinesis+Secret/Key/DoNotUse0000000000"
	quoted, _ := json.Marshal(map[string]string{"k": "\n" + secret})
	tests := []struct {
		name string
		in   string
		want string // a finding FindSecrets must report; "" for none at all
	}{
		{name: "absent", in: `{"level":"INFO","msg":"provisioned"}`},
		{name: "raw", in: "key=" + secret + " end", want: "secret 1 (raw)"},
		{name: "json escaped", in: string(quoted), want: "secret 1 (json)"},
		{name: "query escaped", in: "a=" + url.QueryEscape(secret), want: "secret 1 (query-escape)"},
		{name: "path escaped", in: "/p/" + url.PathEscape(secret), want: "secret 1 (path-escape)"},
		{name: "base64 inside a longer text", in: base64.StdEncoding.EncodeToString([]byte("Authorization: " + secret)), want: "secret 1 (base64@0)"},
		{name: "base64url at another alignment", in: base64.URLEncoding.EncodeToString([]byte("ab" + secret + "tail")), want: "secret 1 (base64url@2)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := FindSecrets(tt.in, "other-secret-value-1", secret)
			switch {
			case tt.want == "" && len(got) != 0:
				t.Errorf("FindSecrets(%s) = %v, want none", tt.name, got)
			case tt.want != "" && !slices.Contains(got, tt.want):
				t.Errorf("FindSecrets(%s) = %v, want it to report %q", tt.name, got, tt.want)
			}
			for _, f := range got {
				if strings.Contains(f, secret) {
					t.Errorf("FindSecrets(%s) finding %q holds the secret", tt.name, f)
				}
			}
		})
	}
}

func TestMaskSecrets(t *testing.T) {
	t.Parallel()
	const secret = "demo-client-secret-p8e"
	in := "secret=" + secret + " b64=" + base64.StdEncoding.EncodeToString([]byte("x:"+secret+":y"))
	got := MaskSecrets(in, secret)
	if found := FindSecrets(got, secret); len(found) != 0 {
		t.Errorf("MaskSecrets(%q) = %q, still holds %v", "…", got, found)
	}
	if !strings.HasPrefix(got, "secret="+SecretMask+" b64=") {
		t.Errorf("MaskSecrets() = %q, want the raw value replaced by %q", got, SecretMask)
	}
}

func TestSecretFormsOfEmpty(t *testing.T) {
	t.Parallel()
	if got := SecretForms(""); len(got) != 0 {
		t.Errorf("SecretForms(\"\") = %v, want none (an empty secret is in every text)", got)
	}
}
