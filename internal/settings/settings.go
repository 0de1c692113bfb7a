package settings

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Defaults for optional variables.
const (
	DefaultEventBusName         = "default"
	DefaultEventSource          = "aep.kinesis.provisioner"
	DefaultProvisionEventSource = "custom.kinesis.provisioning"
	DefaultSandbox              = "prod"
	DefaultFlowServiceURL       = "https://platform.adobe.io/data/foundation/flowservice"
	DefaultIMSURL               = "https://ims-na1.adobelogin.com"
	DefaultIMSScopes            = "openid,session,AdobeID,read_organizations,additional_info.projectedProductContext"
	DefaultAuthSpecName         = "Aws Kinesis authentication credentials"
	DefaultProviderID           = "521eee4d-8cbe-4906-bb48-fb6bd4450033"
	DefaultSecretCacheTTL       = 5 * time.Minute
	DefaultDeadlineMargin       = 500 * time.Millisecond
	DefaultConnectionName       = "Amazon Kinesis {accountId} {region}"
	DefaultRecordVerifyAfter    = 24 * time.Hour
	DefaultLockWait             = 10 * time.Second
	DefaultSourceName           = "Amazon Kinesis {accountId} {region} {streamName}"
	DefaultMetricsNamespace     = "AEPKinesisProvisioner"
	DefaultStreamOptTag         = "aep-provision"
	DefaultSandboxTag           = "aep-sandbox"
	DefaultAWSMaxAttempts       = 3
	DefaultAWSMaxBackoff        = time.Second
)

// Settings is the function's configuration. The zero value is not valid; use
// FromEnv or Load.
type Settings struct {
	// KinesisSecretID names the Secrets Manager secret that holds the Kinesis
	// access keys. It may contain the placeholders {accountId} and {region}.
	KinesisSecretID string
	// AdobeSecretID names the secret that holds the Adobe OAuth
	// server-to-server credentials.
	AdobeSecretID string
	// EventBusName is the bus the function publishes to.
	EventBusName string
	// EventSource is the source of every event the function publishes. It
	// never starts with "aws.".
	EventSource string
	// ProvisionEventSource is the source of the custom "Provision Kinesis
	// Connection" events the function accepts.
	ProvisionEventSource string
	// DefaultSandbox is the Experience Platform sandbox used when a request
	// names none.
	DefaultSandbox string
	// AllowedAccountIDs are the AWS accounts the function serves. Empty means
	// only the account the function runs in.
	AllowedAccountIDs []string
	// FlowServiceURL is the Flow Service base URL.
	FlowServiceURL string
	// IMSURL is the Adobe IMS base URL; the token endpoint is below it.
	IMSURL string
	// IMSScopes is the default scope list, used when the Adobe secret names
	// none.
	IMSScopes []string
	// AuthSpecName is the Flow Service auth spec name of the connection.
	AuthSpecName string
	// ProviderID is sent as the connection's providerId; empty leaves it out.
	ProviderID string
	// SecretCacheTTL is how long secret values are reused across warm
	// invocations.
	SecretCacheTTL time.Duration
	// DeadlineMargin is kept free before the Lambda deadline so the function
	// answers with its own error instead of being killed.
	DeadlineMargin time.Duration
	// ConnectionsTable is the DynamoDB table that records connections and
	// locks their creation.
	ConnectionsTable string
	// ConnectionNameTemplate names connections; it may contain {accountId},
	// {region} and {sandbox}, and no comma (provision.NewService checks it).
	ConnectionNameTemplate string
	// RecordVerifyAfter is the age after which a recorded connection is
	// checked against Flow Service.
	RecordVerifyAfter time.Duration
	// LockWait bounds how long an invocation waits for another one making
	// the same connection.
	LockWait time.Duration
	// SourceConnections turns on the source connection per stream.
	SourceConnections bool
	// SourceNameTemplate names source connections ({accountId}, {region},
	// {sandbox}, {streamName}).
	SourceNameTemplate string
	// SourceDataType (raw or xdm) and SourceReset (latest or earliest) are
	// the source connections' params.
	SourceDataType, SourceReset string
	// AWSMaxAttempts and AWSMaxBackoff shape the AWS SDK's retries (its
	// own 20 s backoff cap does not fit a function's budget).
	AWSMaxAttempts int
	AWSMaxBackoff  time.Duration
	// StreamInclude and StreamExclude are name patterns (path.Match) that
	// select streams; an empty include list selects every name
	// (provision.Selection validates them).
	StreamInclude, StreamExclude []string
	// StreamOptTag is the tag key that opts a stream in ("true") or out
	// ("false"); StreamRequireOptIn selects only opted-in streams (among
	// those whose tags are known).
	StreamOptTag       string
	StreamRequireOptIn bool
	// SandboxTag is the tag key whose value picks a stream's sandbox.
	SandboxTag string
	// ReconcileRegions are the regions a scheduled reconciliation covers;
	// default the function's own region.
	ReconcileRegions []string
	// MetricsNamespace is the CloudWatch namespace of the EMF metrics.
	MetricsNamespace string
	// AllowInsecureEndpoints permits plain-http Adobe URLs on hosts other than
	// loopback. It exists for local development only.
	AllowInsecureEndpoints bool
}

// FromEnv reads Settings from the process environment.
func FromEnv() (Settings, error) {
	return Load(os.LookupEnv)
}

// Load reads Settings through lookup, which has the signature of
// os.LookupEnv. The error lists every problem found.
func Load(lookup func(string) (string, bool)) (Settings, error) {
	l := loader{lookup: lookup}
	s := Settings{
		KinesisSecretID:        l.required("KINESIS_SECRET_ID"),
		AdobeSecretID:          l.required("ADOBE_SECRET_ID"),
		EventBusName:           l.optional("EVENT_BUS_NAME", DefaultEventBusName),
		EventSource:            l.optional("EVENT_SOURCE", DefaultEventSource),
		ProvisionEventSource:   l.optional("PROVISION_EVENT_SOURCE", DefaultProvisionEventSource),
		DefaultSandbox:         l.optional("DEFAULT_SANDBOX", DefaultSandbox),
		AllowedAccountIDs:      l.list("ALLOWED_ACCOUNT_IDS"),
		FlowServiceURL:         strings.TrimRight(l.optional("FLOW_SERVICE_URL", DefaultFlowServiceURL), "/"),
		IMSURL:                 strings.TrimRight(l.optional("IMS_URL", DefaultIMSURL), "/"),
		IMSScopes:              l.list("IMS_SCOPES"),
		AuthSpecName:           l.optional("AUTH_SPEC_NAME", DefaultAuthSpecName),
		ProviderID:             l.optionalEmpty("PROVIDER_ID", DefaultProviderID),
		SecretCacheTTL:         l.duration("SECRET_CACHE_TTL", DefaultSecretCacheTTL),
		DeadlineMargin:         l.duration("DEADLINE_MARGIN", DefaultDeadlineMargin),
		AllowInsecureEndpoints: l.boolean("ALLOW_INSECURE_ENDPOINTS", false),
		ConnectionsTable:       l.required("CONNECTIONS_TABLE"),
		ConnectionNameTemplate: l.optional("CONNECTION_NAME_TEMPLATE", DefaultConnectionName),
		RecordVerifyAfter:      l.duration("RECORD_VERIFY_AFTER", DefaultRecordVerifyAfter),
		LockWait:               l.duration("LOCK_WAIT", DefaultLockWait),
		SourceConnections:      l.boolean("SOURCE_CONNECTIONS", true),
		SourceNameTemplate:     l.optional("SOURCE_CONNECTION_NAME_TEMPLATE", DefaultSourceName),
		SourceDataType:         l.optional("SOURCE_DATA_TYPE", "raw"),
		SourceReset:            l.optional("SOURCE_RESET", "latest"),
		MetricsNamespace:       l.optional("METRICS_NAMESPACE", DefaultMetricsNamespace),
		StreamInclude:          l.list("STREAM_INCLUDE"),
		StreamExclude:          l.list("STREAM_EXCLUDE"),
		StreamOptTag:           l.optionalEmpty("STREAM_OPT_TAG", DefaultStreamOptTag),
		StreamRequireOptIn:     l.boolean("STREAM_REQUIRE_OPT_IN", false),
		SandboxTag:             l.optionalEmpty("SANDBOX_TAG", DefaultSandboxTag),
		ReconcileRegions:       l.list("RECONCILE_REGIONS"),
		AWSMaxAttempts:         l.integer("SDK_MAX_ATTEMPTS", DefaultAWSMaxAttempts),
		AWSMaxBackoff:          l.duration("SDK_MAX_BACKOFF", DefaultAWSMaxBackoff),
	}
	if _, set := lookup("IMS_SCOPES"); !set {
		s.IMSScopes = strings.Split(DefaultIMSScopes, ",")
	}
	if len(s.ReconcileRegions) == 0 {
		// The region the function runs in; Lambda always sets AWS_REGION.
		if r, _ := l.get("AWS_REGION"); r != "" {
			s.ReconcileRegions = []string{r}
		}
	}
	l.check(s.validate())
	if len(l.errs) > 0 {
		return Settings{}, &Error{Problems: l.errs}
	}
	return s, nil
}

// Error reports every problem found in the environment.
type Error struct {
	Problems []string
}

func (e *Error) Error() string {
	return "invalid settings: " + strings.Join(e.Problems, "; ")
}

var (
	accountIDPattern = regexp.MustCompile(`^[0-9]{12}$`)
	// eventSourcePattern follows EventBridge's rule for an entry's Source.
	eventSourcePattern = regexp.MustCompile(`^[A-Za-z0-9._\-/]{1,256}$`)
	placeholder        = regexp.MustCompile(`\{[^{}]*\}`)
)

func (s Settings) validate() []string {
	var problems []string
	if strings.HasPrefix(s.EventSource, "aws.") {
		problems = append(problems, fmt.Sprintf("EVENT_SOURCE %q: sources beginning with \"aws.\" are reserved for AWS services", s.EventSource))
	} else if !eventSourcePattern.MatchString(s.EventSource) {
		problems = append(problems, fmt.Sprintf("EVENT_SOURCE %q: not a valid EventBridge source", s.EventSource))
	}
	if s.ProvisionEventSource == s.EventSource {
		problems = append(problems, "PROVISION_EVENT_SOURCE must differ from EVENT_SOURCE, or the function would consume its own events")
	}
	for _, id := range s.AllowedAccountIDs {
		if !accountIDPattern.MatchString(id) {
			problems = append(problems, fmt.Sprintf("ALLOWED_ACCOUNT_IDS: %q is not a 12-digit AWS account id", id))
		}
	}
	for _, p := range placeholder.FindAllString(s.KinesisSecretID, -1) {
		if p != "{accountId}" && p != "{region}" {
			problems = append(problems, fmt.Sprintf("KINESIS_SECRET_ID: unknown placeholder %s (use {accountId} or {region})", p))
		}
	}
	for name, raw := range map[string]string{"FLOW_SERVICE_URL": s.FlowServiceURL, "IMS_URL": s.IMSURL} {
		if err := checkEndpoint(raw, s.AllowInsecureEndpoints); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", name, err))
		}
	}
	if len(s.IMSScopes) == 0 {
		problems = append(problems, "IMS_SCOPES: at least one scope is required")
	}
	if s.DeadlineMargin < 0 {
		problems = append(problems, "DEADLINE_MARGIN must not be negative")
	}
	if s.SourceDataType != "raw" && s.SourceDataType != "xdm" {
		problems = append(problems, fmt.Sprintf("SOURCE_DATA_TYPE %q: use raw or xdm", s.SourceDataType))
	}
	if s.SourceReset != "latest" && s.SourceReset != "earliest" {
		problems = append(problems, fmt.Sprintf("SOURCE_RESET %q: use latest or earliest", s.SourceReset))
	}
	if s.AWSMaxAttempts < 1 || s.AWSMaxBackoff <= 0 {
		problems = append(problems, "SDK_MAX_ATTEMPTS must be at least 1 and SDK_MAX_BACKOFF positive")
	}
	if s.RecordVerifyAfter <= 0 || s.LockWait <= 0 {
		problems = append(problems, "RECORD_VERIFY_AFTER and LOCK_WAIT must be positive")
	}
	if s.SecretCacheTTL < 0 {
		problems = append(problems, "SECRET_CACHE_TTL must not be negative")
	}
	return problems
}

// checkEndpoint accepts https URLs, and plain http only on loopback hosts or
// when insecure endpoints are explicitly allowed.
func checkEndpoint(raw string, allowInsecure bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q is not an absolute URL", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q must not carry credentials, a query or a fragment", raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if allowInsecure || isLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("%q uses plain http; use https (ALLOW_INSECURE_ENDPOINTS=true is for local development only)", raw)
	default:
		return fmt.Errorf("%q: scheme must be https", raw)
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

type loader struct {
	lookup func(string) (string, bool)
	errs   []string
}

func (l *loader) check(problems []string) { l.errs = append(l.errs, problems...) }

func (l *loader) get(name string) (string, bool) {
	v, ok := l.lookup(name)
	v = strings.TrimSpace(v)
	return v, ok && v != ""
}

func (l *loader) required(name string) string {
	v, ok := l.get(name)
	if !ok {
		l.errs = append(l.errs, name+" is required")
	}
	return v
}

func (l *loader) optional(name, def string) string {
	if v, ok := l.get(name); ok {
		return v
	}
	return def
}

// optionalEmpty is optional, except that a variable set to the empty string
// keeps its empty value instead of taking the default.
func (l *loader) optionalEmpty(name, def string) string {
	v, set := l.lookup(name)
	if !set {
		return def
	}
	return strings.TrimSpace(v)
}

func (l *loader) list(name string) []string {
	v, _ := l.get(name)
	var out []string
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func (l *loader) duration(name string, def time.Duration) time.Duration {
	v, ok := l.get(name)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		l.errs = append(l.errs, fmt.Sprintf("%s: %q is not a duration such as 90s or 5m", name, v))
		return def
	}
	return d
}

func (l *loader) integer(name string, def int) int {
	v, ok := l.get(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		l.errs = append(l.errs, fmt.Sprintf("%s: %q is not a whole number", name, v))
		return def
	}
	return n
}

func (l *loader) boolean(name string, def bool) bool {
	v, ok := l.get(name)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		l.errs = append(l.errs, fmt.Sprintf("%s: %q is not true or false", name, v))
		return def
	}
	return b
}
