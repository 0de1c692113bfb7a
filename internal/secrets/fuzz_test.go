package secrets

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"
)

// fuzzMarker stands for a secret value in the seeds of FuzzDecodeSecret
// (testdata/fuzz/FuzzDecodeSecret); mutations keep it, cut it and move it.
const fuzzMarker = "SeKrEtMaRkEr"

// secretErrorText is every message decodeJSON and validate may give for
// fuzzSecretID: fixed words and known field names only, never a value.
var secretErrorText = regexp.MustCompile(`^secret "kinesis/prod"(: field "(accessKeyId|secretKey|region|clientId|clientSecret|orgId|scopes)")? ` +
	`(is not valid JSON|must be a JSON object|must be a [a-z0-9]+|is missing or empty)$`)

const fuzzSecretID = "kinesis/prod"

// FuzzDecodeSecret: decoding any secret string as KinesisKeys and as
// AdobeCredentials never panics; an error is an *Error for the secret whose
// text holds only fixed words and field names; a decoded value never shows
// its secret (the Kinesis secret key, the Adobe client secret) in String,
// GoString, %v, %+v or a log line.
func FuzzDecodeSecret(f *testing.F) {
	f.Fuzz(func(t *testing.T, raw string) {
		var k KinesisKeys
		err := decodeJSON(fuzzSecretID, raw, &k)
		if err == nil {
			err = k.validate(fuzzSecretID)
		}
		if err != nil {
			checkSecretError(t, err)
		} else if hidden(k.SecretKey, k.Region, MaskKeyID(k.AccessKeyID)) {
			checkRedacted(t, k)
		}

		var c AdobeCredentials
		err = decodeJSON(fuzzSecretID, raw, &c)
		if err == nil {
			err = c.validate(fuzzSecretID)
		}
		if err != nil {
			checkSecretError(t, err)
		} else if hidden(c.ClientSecret, c.ClientID, c.OrgID) {
			checkRedacted(t, c)
		}
	})
}

// hidden reports whether secret holds the marker and none of the values
// that are shown does.
func hidden(secret string, shown ...string) bool {
	if !strings.Contains(secret, fuzzMarker) {
		return false
	}
	for _, s := range shown {
		if strings.Contains(s, fuzzMarker) {
			return false
		}
	}
	return true
}

func checkSecretError(t *testing.T, err error) {
	t.Helper()
	var secErr *Error
	if !errors.As(err, &secErr) || secErr.SecretID != fuzzSecretID {
		t.Fatalf("error = %T %v, want an *Error for %q", err, err, fuzzSecretID)
	}
	msg := err.Error()
	if strings.Contains(msg, fuzzMarker) {
		t.Fatalf("error %q shows the secret", msg)
	}
	if !secretErrorText.MatchString(msg) {
		t.Errorf("error %q is not made of fixed words and field names", msg)
	}
}

func checkRedacted(t *testing.T, v any) {
	t.Helper()
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("read", "value", v)
	for _, out := range []string{fmt.Sprint(v), fmt.Sprintf("%+v", v), fmt.Sprintf("%#v", v), logs.String()} {
		if strings.Contains(out, fuzzMarker) {
			t.Fatalf("printed %T shows its secret: %s", v, out)
		}
	}
}
