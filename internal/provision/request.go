package provision

import (
	"errors"
	"fmt"
	"regexp"
)

// Trigger says how a request reached the function.
type Trigger string

// Triggers.
const (
	TriggerCloudTrail Trigger = "cloudtrail"
	TriggerEvent      Trigger = "event"
	TriggerAPI        Trigger = "api"
	TriggerDirect     Trigger = "direct"
	TriggerReconcile  Trigger = "reconcile"
	TriggerSchedule   Trigger = "schedule"
	TriggerRotation   Trigger = "rotation"
)

// Request asks for the connection of one account and region in one sandbox,
// on behalf of one stream (optional).
type Request struct {
	AccountID  string
	Region     string
	StreamName string
	Sandbox    string
	Trigger    Trigger
	// CorrelationID ties the published event to what caused it: the
	// incoming event id or the API request id.
	CorrelationID string
	// Tags are the stream's tags when the request carries them (CloudTrail
	// CreateStream, reconciliation); nil when unknown.
	Tags map[string]string
}

// NotSelectedError reports a stream the configured selection leaves out.
type NotSelectedError struct {
	Stream string
	Reason string
}

func (e *NotSelectedError) Error() string { return "not selected: " + e.Reason }

// ErrInvalidRequest is matched (errors.Is) by every *RequestError.
var ErrInvalidRequest = errors.New("invalid request")

// RequestError reports a request field that is missing or malformed.
type RequestError struct {
	Field   string
	Message string
}

func (e *RequestError) Error() string {
	return fmt.Sprintf("invalid request: %s %s", e.Field, e.Message)
}

// Is reports whether target is ErrInvalidRequest.
func (e *RequestError) Is(target error) bool { return target == ErrInvalidRequest }

var (
	accountPattern = regexp.MustCompile(`^[0-9]{12}$`)
	// streamPattern is Kinesis's rule for stream names.
	streamPattern = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,128}$`)
	// sandboxPattern follows Experience Platform's sandbox names: lower-case
	// letters, digits and hyphens.
	sandboxPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,254}$`)
)

// partitions maps region name shapes to AWS partitions, after the SDK's
// partition table. Order matters: the more specific shapes come first.
var partitions = []struct {
	name    string
	pattern *regexp.Regexp
}{
	{"aws-us-gov", regexp.MustCompile(`^us-gov-[a-z]+-[0-9]+$`)},
	{"aws-iso-b", regexp.MustCompile(`^us-isob-[a-z]+-[0-9]+$`)},
	{"aws-iso", regexp.MustCompile(`^us-iso-[a-z]+-[0-9]+$`)},
	{"aws-iso-f", regexp.MustCompile(`^us-isof-[a-z]+-[0-9]+$`)},
	{"aws-iso-e", regexp.MustCompile(`^eu-isoe-[a-z]+-[0-9]+$`)},
	{"aws-cn", regexp.MustCompile(`^cn-[a-z]+-[0-9]+$`)},
	{"aws-eusc", regexp.MustCompile(`^eusc-[a-z]+-[a-z]+-[0-9]+$`)},
	{"aws", regexp.MustCompile(`^(us|eu|ap|sa|ca|me|af|il|mx)-[a-z]+-[0-9]+$`)},
}

// Partition returns the AWS partition of region, or false when region is
// not the name of a region in any partition.
func Partition(region string) (string, bool) {
	for _, p := range partitions {
		if p.pattern.MatchString(region) {
			return p.name, true
		}
	}
	return "", false
}

// StreamARN builds a Kinesis stream's ARN. CloudTrail's CreateStream record
// carries none, so the function makes it from the account, region and name.
func StreamARN(accountID, region, stream string) string {
	partition, ok := Partition(region)
	if !ok {
		partition = "aws"
	}
	return fmt.Sprintf("arn:%s:kinesis:%s:%s:stream/%s", partition, region, accountID, stream)
}

// Validate checks the request's fields; the stream name is optional.
func (r Request) Validate() error {
	if r.AccountID == "" {
		return &RequestError{"accountId", "is required"}
	}
	if !accountPattern.MatchString(r.AccountID) {
		return &RequestError{"accountId", "must be a 12-digit AWS account id"}
	}
	if r.Region == "" {
		return &RequestError{"region", "is required"}
	}
	if _, ok := Partition(r.Region); !ok {
		return &RequestError{"region", fmt.Sprintf("%q is not an AWS region name such as eu-west-1", truncate(r.Region))}
	}
	if r.StreamName != "" && !streamPattern.MatchString(r.StreamName) {
		return &RequestError{"streamName", "must be 1 to 128 characters from a-z, A-Z, 0-9, '_', '.' and '-'"}
	}
	if r.Sandbox == "" {
		return &RequestError{"sandbox", "is required"}
	}
	if !sandboxPattern.MatchString(r.Sandbox) {
		return &RequestError{"sandbox", "must be a sandbox name: lower-case letters, digits and hyphens"}
	}
	return nil
}

// truncate keeps an echoed caller value short.
func truncate(s string) string {
	const max = 40
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}
