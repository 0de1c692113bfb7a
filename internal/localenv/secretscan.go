package localenv

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/adobeemu"
)

// SecretMask replaces secret values in MaskSecrets.
const SecretMask = "[secret]"

// DemoSecrets are the secret values of a Stack started with the default
// options: the Kinesis secret key and access key id and the Adobe client
// secret. They are made to be distinctive (with '/' and '+', so that their
// encodings differ).
func DemoSecrets() []string {
	return []string{DemoSecretKey, DemoClientSecret, DemoAccessKeyID}
}

// SecretForms returns the forms a secret value can take in a log line, a
// result or an event: as is, JSON-escaped, URL query- and path-escaped, and
// the part of its standard and URL-safe base64 encodings that depends on the
// secret alone, at each of the three alignments it can have inside a longer
// base64 text. Keys name the form ("raw", "json", "base64@1", ...). Forms
// too short to be distinctive are left out.
func SecretForms(secret string) map[string]string {
	if secret == "" {
		return map[string]string{}
	}
	quoted, _ := json.Marshal(secret) // a string always marshals
	forms := map[string]string{
		"raw":          secret,
		"json":         strings.Trim(string(quoted), `"`),
		"query-escape": url.QueryEscape(secret),
		"path-escape":  url.PathEscape(secret),
	}
	for name, enc := range map[string]*base64.Encoding{"base64": base64.StdEncoding, "base64url": base64.URLEncoding} {
		for offset := range 3 {
			b := enc.EncodeToString([]byte(strings.Repeat("x", offset) + secret))
			// Keep the part that depends on the secret alone.
			start := (offset*4+2)/3 + 1
			if len(b) > start+8 {
				forms[fmt.Sprintf("%s@%d", name, offset)] = b[start : len(b)-4]
			}
		}
	}
	return forms
}

// FindSecrets reports where any of secrets appears in s, in any of its
// SecretForms. Each finding names the secret by its position in secrets and
// the form ("secret 0 (base64@2)"), never by its value; nil means none.
func FindSecrets(s string, secrets ...string) []string {
	var found []string
	for i, secret := range secrets {
		forms := SecretForms(secret)
		for _, name := range slices.Sorted(maps.Keys(forms)) {
			if strings.Contains(s, forms[name]) {
				found = append(found, fmt.Sprintf("secret %d (%s)", i, name))
			}
		}
	}
	return found
}

// MaskSecrets replaces every form of every secret in s with SecretMask, so
// that s can be printed even when a check found a leak.
func MaskSecrets(s string, secrets ...string) string {
	var forms []string
	for _, secret := range secrets {
		for _, v := range SecretForms(secret) {
			forms = append(forms, v)
		}
	}
	// Longest first, so that a form is not cut by a shorter one inside it.
	slices.SortFunc(forms, func(a, b string) int { return len(b) - len(a) })
	for _, f := range forms {
		s = strings.ReplaceAll(s, f, SecretMask)
	}
	return s
}

// IssuedTokens returns the IMS access tokens that reached the emulator's
// Flow Service as bearer tokens: secrets too, for FindSecrets.
func IssuedTokens(emu *adobeemu.Emulator) []string {
	var out []string
	for _, r := range emu.Requests() {
		if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && tok != "" && !slices.Contains(out, tok) {
			out = append(out, tok)
		}
	}
	return out
}
