package trigger

import (
	"bytes"
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
)

// malformedFiles is the manifest of testdata/malformed: each file, a complete
// invocation payload, and the outcome it must have. TestMalformedInputs fails
// when a file has no entry or an entry has no file.
var malformedFiles = map[string]outcome{
	// API bodies that are not one JSON object.
	"api-v1-body-unquoted-key.json":       rejected(400, "InvalidRequest", "not valid JSON"),
	"api-v2-body-truncated.json":          rejected(400, "InvalidRequest", "not valid JSON"),
	"api-v1-body-trailing-comma.json":     rejected(400, "InvalidRequest", "not valid JSON"),
	"api-v2-body-single-quotes.json":      rejected(400, "InvalidRequest", "not valid JSON"),
	"api-v1-body-empty.json":              rejected(400, "InvalidRequest", "the body is empty"),
	"api-v2-body-whitespace.json":         rejected(400, "InvalidRequest", "the body is empty"),
	"api-v1-body-null.json":               rejected(400, "InvalidRequest", "must be a JSON object"),
	"api-v2-body-array.json":              rejected(400, "InvalidRequest", "must be a JSON object"),
	"api-v1-body-string.json":             rejected(400, "InvalidRequest", "must be a JSON object"),
	"api-v2-body-two-objects.json":        rejected(400, "InvalidRequest", "exactly one JSON object"),
	"api-v1-body-byte-order-mark.json":    rejected(400, "InvalidRequest", "not valid JSON"),
	"api-v2-body-raw-nul-in-string.json":  rejected(400, "InvalidRequest", "not valid JSON"),
	"api-v1-body-nul-after-object.json":   rejected(400, "InvalidRequest", "exactly one JSON object"),
	"api-v2-body-comment.json":            rejected(400, "InvalidRequest", "not valid JSON"),
	"api-v1-body-nan.json":                rejected(400, "InvalidRequest", "not valid JSON"),
	"api-v2-body-deep-array.json":         rejected(400, "InvalidRequest", "must be a string"),
	"api-v1-body-deep-object.json":        rejected(400, "InvalidRequest", "unknown field"),
	"api-v2-body-invalid-utf8-value.json": refused("region"),
	"api-v1-body-invalid-utf8-key.json":   rejected(400, "InvalidRequest", "unknown field"),
	"api-v1-body-escaped-nul.json":        refused("region"),

	// API bodies with wrong types, unknown or repeated fields, and payload fields of the wrong type.
	"api-v1-region-number.json":          rejected(400, "InvalidRequest", "must be a string"),
	"api-v2-region-1e400.json":           rejected(400, "InvalidRequest", "must be a string"),
	"api-v1-account-number.json":         rejected(400, "InvalidRequest", "must be a string"),
	"api-v2-stream-float.json":           rejected(400, "InvalidRequest", "must be a string"),
	"api-v1-stream-negative.json":        rejected(400, "InvalidRequest", "must be a string"),
	"api-v2-sandbox-bool.json":           rejected(400, "InvalidRequest", "must be a string"),
	"api-v1-region-object.json":          rejected(400, "InvalidRequest", "must be a string"),
	"api-v2-region-array.json":           rejected(400, "InvalidRequest", "must be a string"),
	"api-v1-account-300-digits.json":     rejected(400, "InvalidRequest", "must be a string"),
	"api-v2-field-name-case.json":        rejected(400, "InvalidRequest", "unknown field"),
	"api-v1-field-snake-case.json":       rejected(400, "InvalidRequest", "unknown field"),
	"api-v2-many-unknown-fields.json":    rejected(400, "InvalidRequest", "unknown field"),
	"api-v1-duplicate-region.json":       rejected(400, "InvalidRequest", "more than once"),
	"api-v2-duplicate-account.json":      rejected(400, "InvalidRequest", "more than once"),
	"api-v1-body-object-not-string.json": rejected(400, "InvalidRequest", "API Gateway payload could not be decoded"),
	"api-v2-body-number.json":            rejected(400, "InvalidRequest", "API Gateway payload could not be decoded"),

	// Content types other than JSON, header case variants.
	"api-v1-content-type-text-plain.json":        rejected(415, "UnsupportedMediaType", "must be JSON"),
	"api-v2-content-type-form.json":              rejected(415, "UnsupportedMediaType", "must be JSON"),
	"api-v1-content-type-multipart.json":         rejected(415, "UnsupportedMediaType", "must be JSON"),
	"api-v2-content-type-jsonp.json":             rejected(415, "UnsupportedMediaType", "must be JSON"),
	"api-v1-content-type-xml.json":               rejected(415, "UnsupportedMediaType", "must be JSON"),
	"api-v2-content-type-text-json.json":         rejected(415, "UnsupportedMediaType", "must be JSON"),
	"api-v1-content-type-header-upper-case.json": rejected(415, "UnsupportedMediaType", "must be JSON"),
	"api-v2-content-type-list.json":              rejected(415, "UnsupportedMediaType", "must be JSON"),
	"api-v1-content-type-conflicting-case.json":  rejected(415, "UnsupportedMediaType", "must be JSON"),
	"api-v2-content-type-malformed.json":         rejected(415, "UnsupportedMediaType", "must be JSON"),
	"api-v1-content-type-no-subtype.json":        rejected(415, "UnsupportedMediaType", "must be JSON"),

	// Base64 bodies.
	"api-v1-base64-not-base64.json":   rejected(400, "InvalidRequest", "not valid base64"),
	"api-v2-base64-url-alphabet.json": rejected(400, "InvalidRequest", "not valid base64"),
	"api-v1-base64-unpadded.json":     rejected(400, "InvalidRequest", "not valid base64"),
	"api-v2-base64-flag-string.json":  rejected(400, "InvalidRequest", "API Gateway payload could not be decoded"),
	"api-v1-base64-flag-number.json":  rejected(400, "InvalidRequest", "API Gateway payload could not be decoded"),
	"api-v2-base64-of-form.json":      rejected(400, "InvalidRequest", "not valid JSON"),
	"api-v1-base64-bad-region.json":   refused("region"),
	"api-v2-base64-invalid-utf8.json": refused("streamName"),

	// Stream names outside Kinesis's rule (validated by the use case).
	"api-v1-stream-129-chars.json":            refused("streamName"),
	"api-v2-stream-space.json":                refused("streamName"),
	"api-v1-stream-slash.json":                refused("streamName"),
	"api-v2-stream-umlaut.json":               refused("streamName"),
	"api-v1-stream-emoji.json":                refused("streamName"),
	"api-v2-stream-arn.json":                  refused("streamName"),
	"api-v1-delete-stream-encoded-slash.json": refused("streamName"),

	// Regions (validated by the use case).
	"api-v1-region-eu-west.json":        refused("region"),
	"api-v2-region-upper-case.json":     refused("region"),
	"api-v1-region-xx-north-1.json":     refused("region"),
	"api-v2-region-trailing-space.json": refused("region"),
	"api-v1-region-empty.json":          rejected(400, "InvalidRequest", `"region" must not be empty`),
	"api-v2-region-missing.json":        refused("region is required"),
	"api-v2-region-null.json":           rejected(400, "InvalidRequest", `"region" must be a string`),
	"api-v1-get-region-upper-case.json": refused("region"),
	"api-v2-get-region-dot-dot.json":    refused("region"),
	"api-v1-delete-region-eu-west.json": refused("region"),

	// Sandboxes (validated by the use case).
	"api-v1-sandbox-upper-case.json":     refused("sandbox"),
	"api-v2-sandbox-space.json":          refused("sandbox"),
	"api-v1-sandbox-leading-hyphen.json": refused("sandbox"),
	"api-v2-get-sandbox-upper-case.json": refused("sandbox"),
	"api-v1-delete-sandbox-space.json":   refused("sandbox"),

	// Accounts not served (checked before the use case).
	"api-v1-account-11-digits.json":        rejected(403, "AccountNotServed", "11112222333"),
	"api-v2-account-13-digits.json":        rejected(403, "AccountNotServed", "1111222233334"),
	"api-v1-account-letters.json":          rejected(403, "AccountNotServed", "not served"),
	"api-v2-account-padded.json":           rejected(403, "AccountNotServed", "not served"),
	"api-v2-get-account-11-digits.json":    rejected(403, "AccountNotServed", "not served"),
	"api-v1-delete-account-13-digits.json": rejected(403, "AccountNotServed", "not served"),
	"api-v1-account-long.json":             rejected(403, "AccountNotServed", "not served"),

	// Methods and routes, encoded slashes, "..", stage prefixes.
	"api-v1-get-connections.json":          notAllowed("POST"),
	"api-v2-put-connections.json":          notAllowed("POST"),
	"api-v1-delete-connection-region.json": notAllowed("GET"),
	"api-v2-post-stream.json":              notAllowed("DELETE"),
	"api-v1-patch-stream.json":             notAllowed("DELETE"),
	"api-v1-lower-case-delete.json":        notAllowed("POST"),
	"api-v2-empty-method.json":             notAllowed("POST"),
	"api-v1-method-with-crlf.json":         notAllowed("POST"),
	"api-v2-no-http-context.json":          notAllowed("POST"),
	"api-v1-method-null.json":              notAllowed("POST"),
	"api-v1-stream-empty.json":             rejected(400, "InvalidRequest", `"streamName" must not be empty`),
	"api-v2-stream-null.json":              rejected(400, "InvalidRequest", `"streamName" must be a string`),
	"api-v2-stage-without-boundary.json":   rejected(404, "NotFound", "no route"),
	"api-v1-path-typo.json":                rejected(404, "NotFound", "no route"),
	"api-v2-path-too-deep.json":            rejected(404, "NotFound", "no route"),
	"api-v1-path-root.json":                rejected(404, "NotFound", "no route"),
	"api-v2-path-dot-dot.json":             rejected(404, "NotFound", "no route"),
	"api-v1-path-bad-escape.json":          rejected(404, "NotFound", "no route"),
	"api-v2-path-encoded-slash.json":       rejected(404, "NotFound", "no route"),
	"api-v1-path-upper-case.json":          rejected(404, "NotFound", "no route"),
	"api-v2-stage-prefix-wrong-case.json":  rejected(404, "NotFound", "no route"),
	"api-v2-stage-prefix-get.json":         notAllowed("POST"),
	"api-v2-stage-prefix-bad-region.json":  refused("region"),
	"api-v1-path-empty.json":               rejected(404, "NotFound", "no route"),
	"api-v2-query-in-path.json":            rejected(404, "NotFound", "no route"),
	"api-v1-path-nul.json":                 rejected(404, "NotFound", "no route"),
	"api-v1-delete-stream-dot-dot.json":    answered(404, "NotProvisioned", "no source connection"),

	// Query parameters.
	"api-v1-post-with-query.json":   rejected(400, "InvalidRequest", "unknown query parameter"),
	"api-v2-get-unknown-query.json": rejected(400, "InvalidRequest", "unknown query parameter"),
	"api-v1-delete-query-case.json": rejected(400, "InvalidRequest", "unknown query parameter"),
	"api-v1-query-array.json":       rejected(400, "InvalidRequest", "API Gateway payload could not be decoded"),
	"api-v2-query-number.json":      rejected(400, "InvalidRequest", "API Gateway payload could not be decoded"),

	// API Gateway payloads of the wrong shape. Without requestContext or routeKey a payload is not
	// recognised as API Gateway's, so it is a direct invocation with unknown fields.
	"api-v1-request-context-string.json":         rejected(400, "InvalidRequest", "API Gateway payload could not be decoded"),
	"api-v2-request-id-number.json":              rejected(400, "InvalidRequest", "API Gateway payload could not be decoded"),
	"api-v1-headers-array.json":                  rejected(400, "InvalidRequest", "API Gateway payload could not be decoded"),
	"api-v2-header-value-number.json":            rejected(400, "InvalidRequest", "API Gateway payload could not be decoded"),
	"direct-api-v1-without-request-context.json": invalid("unknown field"),
	"direct-api-v2-without-route-key.json":       invalid("unknown field"),
	"direct-api-v2-version-number.json":          invalid("unknown field"),
	"direct-api-v2-version-3.json":               invalid("unknown field"),

	// Custom provisioning events.
	"event-custom-detail-string.json":              skipped("ERROR", "must be an object"),
	"event-custom-detail-array.json":               skipped("ERROR", "must be an object"),
	"event-custom-detail-name-case.json":           skipped("ERROR", "no streamName"),
	"event-custom-detail-duplicate-account.json":   skipped("ERROR", "appears more than once"),
	"event-custom-detail-null.json":                skipped("ERROR", "must be an object of strings"),
	"event-custom-detail-missing.json":             skipped("ERROR", "must be an object"),
	"event-custom-region-number.json":              skipped("ERROR", "must be an object"),
	"event-custom-region-1e400.json":               skipped("ERROR", "must be an object"),
	"event-custom-stream-empty.json":               skipped("ERROR", `"streamName" must not be empty`),
	"event-custom-stream-129-chars.json":           skippedByUseCase("streamName"),
	"event-custom-stream-space.json":               skippedByUseCase("streamName"),
	"event-custom-region-eu-west.json":             skippedByUseCase("region"),
	"event-custom-region-upper-case.json":          skippedByUseCase("region"),
	"event-custom-region-xx-north-1.json":          skippedByUseCase("region"),
	"event-custom-region-missing.json":             skippedByUseCase("region is required"),
	"event-custom-sandbox-upper-case.json":         skippedByUseCase("sandbox"),
	"event-custom-sandbox-space.json":              skippedByUseCase("sandbox"),
	"event-custom-account-11-digits.json":          skipped("WARN", "not served"),
	"event-custom-account-13-digits.json":          skipped("WARN", "not served"),
	"event-custom-account-number.json":             skipped("ERROR", "must be an object"),
	"event-custom-account-long.json":               skipped("WARN", "not served"),
	"event-custom-wrong-source.json":               skipped("WARN", "only \"custom.kinesis.provisioning\" is accepted"),
	"event-custom-detail-type-trailing-space.json": skipped("INFO", "is not handled"),
	"event-custom-deep-nesting.json":               skipped("ERROR", "must be an object"),
	"event-custom-invalid-utf8-stream.json":        skippedByUseCase("streamName"),
	"event-custom-duplicate-source.json":           skipped("WARN", "only \"custom.kinesis.provisioning\" is accepted"),
	"event-custom-detail-type-long.json":           skipped("INFO", "is not handled"),

	// EventBridge envelopes, and events of other shapes.
	"event-source-number.json":     skipped("WARN", "envelope could not be decoded"),
	"event-time-invalid.json":      skipped("WARN", "envelope could not be decoded"),
	"event-resources-string.json":  skipped("WARN", "envelope could not be decoded"),
	"event-account-number.json":    skipped("WARN", "envelope could not be decoded"),
	"event-version-number.json":    skipped("WARN", "envelope could not be decoded"),
	"event-detail-type-null.json":  skipped("INFO", "is not handled"),
	"event-own-event.json":         skipped("INFO", "own event"),
	"event-scheduled.json":         skipped("INFO", "is not handled"),
	"event-s3-object-created.json": skipped("INFO", "is not handled"),

	// CloudTrail records, CreateStream and DeleteStream.
	"event-cloudtrail-detail-string.json":               skipped("ERROR", "could not be decoded"),
	"event-cloudtrail-detail-type-trailing-space.json":  skipped("INFO", "is not handled"),
	"event-cloudtrail-detail-type-lower-case.json":      skipped("INFO", "is not handled"),
	"event-cloudtrail-request-parameters-string.json":   skipped("ERROR", "could not be decoded"),
	"event-cloudtrail-request-parameters-array.json":    skipped("ERROR", "could not be decoded"),
	"event-cloudtrail-stream-name-number.json":          skipped("ERROR", "could not be decoded"),
	"event-cloudtrail-request-parameters-null.json":     skipped("ERROR", "without requestParameters.streamName"),
	"event-cloudtrail-request-parameters-empty.json":    skipped("ERROR", "without requestParameters.streamName"),
	"event-cloudtrail-stream-129-chars.json":            skippedByUseCase("streamName"),
	"event-cloudtrail-stream-slash.json":                skippedByUseCase("streamName"),
	"event-cloudtrail-stream-nul.json":                  skippedByUseCase("streamName"),
	"event-cloudtrail-region-eu-west.json":              skippedByUseCase("region"),
	"event-cloudtrail-region-upper-case.json":           skippedByUseCase("region"),
	"event-cloudtrail-region-1e400.json":                skipped("ERROR", "could not be decoded"),
	"event-cloudtrail-account-11-digits.json":           skipped("WARN", "not served"),
	"event-cloudtrail-account-13-digits.json":           skipped("WARN", "not served"),
	"event-cloudtrail-event-source-look-alike.json":     skipped("INFO", "is not handled"),
	"event-cloudtrail-event-name-lower-case.json":       skipped("INFO", "is not handled"),
	"event-cloudtrail-error-code-number.json":           skipped("ERROR", "could not be decoded"),
	"event-cloudtrail-error-code-long.json":             skipped("INFO", "CreateStream failed with"),
	"event-cloudtrail-forged-source.json":               skipped("WARN", "only \"aws.kinesis\" is trusted"),
	"event-custom-from-aws-kinesis.json":                skipped("WARN", "only \"custom.kinesis.provisioning\" is accepted"),
	"event-deletestream-request-parameters-string.json": skipped("ERROR", "could not be decoded"),
	"event-deletestream-bad-arn.json":                   skipped("ERROR", "names no stream"),
	"event-deletestream-other-account-arn.json":         skipped("WARN", "not served"),
	"event-deletestream-stream-space.json":              skippedByUseCase("streamName"),
	"event-deletestream-arn-region-upper-case.json":     skippedByUseCase("region"),

	// Direct invocations. direct-truncated-json.json is not JSON, which Lambda itself would refuse.
	"direct-action-padded.json":              invalid(`must be "reconcile"`),
	"direct-null.json":                       invalid("must be a JSON object"),
	"direct-array.json":                      invalid("must be a JSON object"),
	"direct-string.json":                     invalid("must be a JSON object"),
	"direct-number-1e400.json":               invalid("must be a JSON object"),
	"direct-negative-number.json":            invalid("must be a JSON object"),
	"direct-true.json":                       invalid("must be a JSON object"),
	"direct-empty-object.json":               invalidByUseCase("region is required"),
	"direct-region-number.json":              invalid("must be a string"),
	"direct-stream-float.json":               invalid("must be a string"),
	"direct-field-name-case.json":            invalid("unknown field"),
	"direct-region-eu-west.json":             invalidByUseCase("region"),
	"direct-region-upper-case.json":          invalidByUseCase("region"),
	"direct-region-xx-north-1.json":          invalidByUseCase("region"),
	"direct-stream-129-chars.json":           invalidByUseCase("streamName"),
	"direct-stream-space.json":               invalidByUseCase("streamName"),
	"direct-sandbox-upper-case.json":         invalidByUseCase("sandbox"),
	"direct-sandbox-space.json":              invalidByUseCase("sandbox"),
	"direct-account-11-digits.json":          notServed(),
	"direct-account-13-digits.json":          notServed(),
	"direct-account-long.json":               notServed(),
	"direct-duplicate-keys.json":             invalid("more than once"),
	"direct-sqs-event.json":                  invalid("unknown field"),
	"direct-sns-event.json":                  invalid("unknown field"),
	"direct-kinesis-event.json":              invalid("unknown field"),
	"direct-s3-event.json":                   invalid("unknown field"),
	"direct-detail-type-without-source.json": invalid("unknown field"),
	"direct-deep-nesting.json":               invalid("must be a string"),
	"direct-truncated-json.json":             invalid("not valid JSON"),
	"direct-many-unknown-fields.json":        invalid("unknown field"),
	"direct-region-null-bad-stream.json":     invalid(`"region" must be a string`),
	"direct-invalid-utf8-sandbox.json":       invalidByUseCase("sandbox"),
}

// big is n bytes of c.
func big(c string, n int) string { return strings.Repeat(c, n) }

// generatedCase is a malformed input too large to check in.
type generatedCase struct {
	name    string
	payload func(t *testing.T) []byte
	want    outcome
}

// malformedGenerated lists the inputs larger than maxCheckedInBytes, made at
// test time.
var malformedGenerated = []generatedCase{
	// Bodies over MaxBodyBytes: 413 before anything else but the content type.
	{"gen-api-v1-body-300KiB", func(t *testing.T) []byte {
		return restV1(t, "POST", "/connections", `{"region":"eu-west-1","streamName":"`+big("a", 300<<10)+`"}`, nil, false)
	}, rejected(413, "PayloadTooLarge", "larger than 262144 bytes")},
	{"gen-api-v2-body-one-byte-over", func(t *testing.T) []byte {
		body := `{"region":"eu-west-1","streamName":"` + big("a", MaxBodyBytes) + `"}`
		return httpV2(t, "POST", "/connections", body[:MaxBodyBytes-2]+`"}`+" ", nil, false)
	}, rejected(413, "PayloadTooLarge", "larger than")},
	{"gen-api-v2-base64-body-300KiB", func(t *testing.T) []byte {
		body := `{"region":"eu-west-1","streamName":"` + big("a", 300<<10) + `"}`
		return httpV2(t, "POST", "/connections", base64.StdEncoding.EncodeToString([]byte(body)), nil, true)
	}, rejected(413, "PayloadTooLarge", "larger than")},
	{"gen-api-v1-base64-invalid-400KiB", func(t *testing.T) []byte {
		return restV1(t, "POST", "/connections", big("!", 400<<10), nil, true)
	}, rejected(413, "PayloadTooLarge", "larger than")},
	{"gen-api-v2-text-plain-300KiB", func(t *testing.T) []byte {
		return httpV2(t, "POST", "/connections", big("a", 300<<10), map[string]string{"content-type": "text/plain"}, false)
	}, rejected(415, "UnsupportedMediaType", "must be JSON")},

	// Deep nesting, huge arrays, numbers and field lists within the limit.
	{"gen-api-v1-body-nesting-20000", func(t *testing.T) []byte {
		return restV1(t, "POST", "/connections", `{"region":`+big("[", 20000)+big("]", 20000)+`}`, nil, false)
	}, rejected(400, "InvalidRequest", "not valid JSON")},
	{"gen-api-v2-body-array-100000", func(t *testing.T) []byte {
		return httpV2(t, "POST", "/connections", `{"region":[`+big("0,", 99999)+`0]}`, nil, false)
	}, rejected(400, "InvalidRequest", "must be a string")},
	{"gen-api-v1-body-number-200000-digits", func(t *testing.T) []byte {
		return restV1(t, "POST", "/connections", `{"region":`+big("9", 200000)+`}`, nil, false)
	}, rejected(400, "InvalidRequest", "must be a string")},
	{"gen-api-v2-body-10000-unknown-fields", func(t *testing.T) []byte {
		var b strings.Builder
		b.WriteString(`{"region":"eu-west-1"`)
		for i := range 10000 {
			b.WriteString(`,"f` + strconv.Itoa(i) + `":0`)
		}
		return httpV2(t, "POST", "/connections", b.String()+"}", nil, false)
	}, rejected(400, "InvalidRequest", "unknown field")},
	{"gen-api-v1-field-name-100KiB", func(t *testing.T) []byte {
		return restV1(t, "POST", "/connections", `{"`+big("n", 100<<10)+`":"eu-west-1"}`, nil, false)
	}, rejected(400, "InvalidRequest", "unknown field")},
	{"gen-api-v2-duplicate-keys-1000", func(t *testing.T) []byte {
		return httpV2(t, "POST", "/connections", `{`+big(`"sandbox":"prod",`, 1000)+`"region":"eu-west-1"}`, nil, false)
	}, rejected(400, "InvalidRequest", "more than once")},

	// Long values that messages must not echo in full.
	{"gen-api-v2-path-100KiB", func(t *testing.T) []byte {
		return httpV2(t, "POST", "/"+big("p", 100<<10), `{"region":"eu-west-1"}`, nil, false)
	}, rejected(404, "NotFound", "no route")},
	{"gen-api-v1-method-100KiB", func(t *testing.T) []byte {
		return restV1(t, big("M", 100<<10), "/connections", `{"region":"eu-west-1"}`, nil, false)
	}, notAllowed("POST")},
	{"gen-api-v2-query-name-100KiB", func(t *testing.T) []byte {
		return withQuery(t, httpV2(t, "GET", "/connections/eu-west-1", "", map[string]string{}, false), map[string]string{big("q", 100<<10): "1"})
	}, rejected(400, "InvalidRequest", "unknown query parameter")},
	{"gen-api-v1-account-100KiB", func(t *testing.T) []byte {
		return restV1(t, "POST", "/connections", `{"region":"eu-west-1","accountId":"`+big("1", 100<<10)+`"}`, nil, false)
	}, rejected(403, "AccountNotServed", "is not served")},
	{"gen-api-v2-stream-100KiB", func(t *testing.T) []byte {
		return httpV2(t, "POST", "/connections", `{"region":"eu-west-1","streamName":"`+big("s", 100<<10)+`"}`, nil, false)
	}, refused("streamName")},
	{"gen-api-v1-delete-sandbox-100KiB", func(t *testing.T) []byte {
		return withQuery(t, restV1(t, "DELETE", "/streams/eu-west-1/orders", "", map[string]string{}, false), map[string]string{"sandbox": big("s", 100<<10)})
	}, refused("sandbox")},

	// Direct invocations.
	{"gen-direct-nesting-20000", func(*testing.T) []byte {
		return []byte(`{"region":` + big("[", 20000) + big("]", 20000) + `}`)
	}, invalid("not valid JSON")},
	{"gen-direct-account-100KiB", func(*testing.T) []byte {
		return []byte(`{"region":"eu-west-1","accountId":"` + big("9", 100<<10) + `"}`)
	}, notServed()},
	{"gen-direct-region-100KiB", func(*testing.T) []byte {
		return []byte(`{"region":"` + big("r", 100<<10) + `"}`)
	}, invalidByUseCase("region")},
	{"gen-direct-unknown-fields-5000", func(*testing.T) []byte {
		var b bytes.Buffer
		b.WriteString(`{"region":"eu-west-1"`)
		for i := range 5000 {
			b.WriteString(`,"` + big("k", 60) + strconv.Itoa(i) + `":1`)
		}
		return append(b.Bytes(), '}')
	}, invalid("unknown field")},
	// Nested too deeply to be parsed, an event cannot be told from a direct
	// invocation: it is refused as one.
	{"gen-direct-event-nesting-20000", func(t *testing.T) []byte {
		e := string(eventBridge(t, "custom.kinesis.provisioning", ProvisionDetailType, "@"))
		return []byte(strings.Replace(e, `"@"`, big("[", 20000)+big("]", 20000), 1))
	}, invalid("not valid JSON")},

	// Events.
	{"gen-event-detail-type-100KiB", func(t *testing.T) []byte {
		return eventBridge(t, "custom.kinesis.provisioning", big("D", 100<<10), map[string]string{"region": "eu-west-1", "streamName": "s"})
	}, skipped("INFO", "is not handled")},
	{"gen-event-source-100KiB", func(t *testing.T) []byte {
		return eventBridge(t, big("s", 100<<10), ProvisionDetailType, map[string]string{"region": "eu-west-1", "streamName": "s"})
	}, skipped("WARN", "is accepted")},
	{"gen-event-custom-account-100KiB", func(t *testing.T) []byte {
		return eventBridge(t, "custom.kinesis.provisioning", ProvisionDetailType, map[string]string{"region": "eu-west-1", "streamName": "s", "accountId": big("4", 100<<10)})
	}, skipped("WARN", "is not served")},
	{"gen-event-custom-detail-300KiB-string", func(t *testing.T) []byte {
		return eventBridge(t, "custom.kinesis.provisioning", ProvisionDetailType, big("x", 300<<10))
	}, skipped("ERROR", "must be an object")},
	{"gen-event-cloudtrail-event-name-100KiB", func(t *testing.T) []byte {
		return eventBridge(t, "aws.kinesis", cloudTrailDetailType, map[string]any{"eventSource": "kinesis.amazonaws.com", "eventName": big("N", 100<<10)})
	}, skipped("INFO", "is not handled")},
	{"gen-event-cloudtrail-event-source-100KiB", func(t *testing.T) []byte {
		return eventBridge(t, "aws.kinesis", cloudTrailDetailType, map[string]any{"eventSource": big("e", 100<<10), "eventName": "CreateStream"})
	}, skipped("INFO", "is not handled")},
	{"gen-event-cloudtrail-error-code-100KiB", func(t *testing.T) []byte {
		return eventBridge(t, "aws.kinesis", cloudTrailDetailType, map[string]any{"eventSource": "kinesis.amazonaws.com", "eventName": "DeleteStream", "errorCode": big("E", 100<<10)})
	}, skipped("INFO", "DeleteStream failed with")},
	{"gen-event-deletestream-arn-account-100KiB", func(t *testing.T) []byte {
		return eventBridge(t, "aws.kinesis", cloudTrailDetailType, map[string]any{"eventSource": "kinesis.amazonaws.com", "eventName": "DeleteStream",
			"requestParameters": map[string]string{"streamARN": "arn:aws:kinesis:eu-west-1:" + big("4", 100<<10) + ":stream/orders"}})
	}, skipped("WARN", "is not served")},
	{"gen-event-deletestream-stream-100KiB", func(t *testing.T) []byte {
		return eventBridge(t, "aws.kinesis", cloudTrailDetailType, map[string]any{"eventSource": "kinesis.amazonaws.com", "eventName": "DeleteStream",
			"awsRegion": "eu-west-1", "recipientAccountId": ownAccount, "requestParameters": map[string]string{"streamName": big("s", 100<<10)}})
	}, skippedByUseCase("streamName")},
}
