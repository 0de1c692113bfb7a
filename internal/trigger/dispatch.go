package trigger

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/metrics"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/provision"
)

// Provisioner is the use case the dispatcher drives. *provision.Service
// satisfies it.
type Provisioner interface {
	Provision(ctx context.Context, req provision.Request) (provision.Result, error)
	Deprovision(ctx context.Context, req provision.DeprovisionRequest) ([]provision.Deprovisioned, error)
	Status(ctx context.Context, accountID, region, sandbox string) (provision.Status, error)
	Reconcile(ctx context.Context, req provision.ReconcileRequest) (provision.ReconcileSummary, error)
	RotateKeys(ctx context.Context, req provision.RotationRequest) ([]provision.KeysUpdated, error)
}

// Config holds the dispatcher's settings.
type Config struct {
	// ProvisionEventSource is the source of accepted custom events.
	ProvisionEventSource string
	// OwnEventSource is the source of the function's own published events,
	// which it ignores if they are fed back to it.
	OwnEventSource string
	// DefaultSandbox is used when a request names no sandbox.
	DefaultSandbox string
	// AllowedAccountIDs are the accounts served; empty means the function's
	// own account only.
	AllowedAccountIDs []string
	// DeadlineMargin is kept free before the Lambda deadline.
	DeadlineMargin time.Duration
	// Metrics, if set, receives each invocation's metrics.
	Metrics MetricsRecorder
	// ReconcileRegions are the regions a scheduled (or region-less direct)
	// reconciliation covers.
	ReconcileRegions []string
}

// MetricsRecorder records one invocation's metrics. *metrics.EMF
// satisfies it.
type MetricsRecorder interface {
	Record(inv metrics.Invocation) error
}

// Dispatcher routes invocations. It is safe for concurrent use.
type Dispatcher struct {
	cfg Config
	svc Provisioner
	log *slog.Logger
	now func() time.Time
	// warm is set after the first invocation of the process.
	warm atomic.Bool
}

// NewDispatcher returns a Dispatcher.
func NewDispatcher(cfg Config, svc Provisioner, log *slog.Logger) (*Dispatcher, error) {
	switch {
	case svc == nil || log == nil:
		return nil, errors.New("trigger: nil provisioner or logger")
	case cfg.ProvisionEventSource == "" || cfg.OwnEventSource == "":
		return nil, errors.New("trigger: event sources are required")
	case cfg.DefaultSandbox == "":
		return nil, errors.New("trigger: default sandbox is required")
	case cfg.DeadlineMargin < 0:
		return nil, errors.New("trigger: negative deadline margin")
	}
	return &Dispatcher{cfg: cfg, svc: svc, log: log, now: time.Now}, nil
}

// errPanic marks an invocation that panicked (and was recovered).
var errPanic = errors.New("panic")

// kind is what sent an invocation.
type kind int

const (
	kindDirect kind = iota
	kindAPIv1
	kindAPIv2
	kindEvent
)

func (k kind) String() string {
	return [...]string{"direct", "api-rest", "api-http", "eventbridge"}[k]
}

// Handle is the Lambda handler: it accepts any JSON payload.
func (d *Dispatcher) Handle(ctx context.Context, payload json.RawMessage) (resp any, err error) {
	start := d.now()
	if dl, ok := ctx.Deadline(); ok && d.cfg.DeadlineMargin > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dl.Add(-d.cfg.DeadlineMargin))
		defer cancel()
	}
	k := classify(payload)
	sum := &summary{kind: k, coldStart: !d.warm.Swap(true)}
	defer func() {
		if p := recover(); p != nil {
			d.log.ErrorContext(ctx, "recovered from a panic", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			resp, err = d.internalFailure(ctx, k, payload)
			sum.outcome, sum.err = "failed", errPanic
		}
		elapsed := d.now().Sub(start)
		d.logSummary(ctx, sum, elapsed)
		d.recordMetrics(ctx, sum, elapsed)
	}()

	switch k {
	case kindAPIv1:
		return d.handleAPIv1(ctx, payload, sum), nil
	case kindAPIv2:
		return d.handleAPIv2(ctx, payload, sum), nil
	case kindEvent:
		return d.handleEvent(ctx, payload, sum)
	default:
		return d.handleDirect(ctx, payload, sum)
	}
}

// classify tells the payload kinds apart by their discriminating keys: API
// Gateway payloads carry requestContext (v1 with httpMethod, v2 with version
// "2.0"), EventBridge events carry detail-type and source. Anything else is a
// direct invocation.
func classify(payload []byte) kind {
	// Only the discriminating members are kept (as raw bytes); matching is
	// exact, as API Gateway and EventBridge spell them.
	var probe struct {
		RequestContext json.RawMessage `json:"requestContext"`
		HTTPMethod     json.RawMessage `json:"httpMethod"`
		RouteKey       json.RawMessage `json:"routeKey"`
		Version        json.RawMessage `json:"version"`
		DetailType     json.RawMessage `json:"detail-type"`
		Source         json.RawMessage `json:"source"`
	}
	if len(bytes.TrimSpace(payload)) == 0 || bytes.TrimSpace(payload)[0] != '{' || json.Unmarshal(payload, &probe) != nil {
		return kindDirect
	}
	has := func(name string, raw json.RawMessage) bool {
		// encoding/json matches member names case-insensitively: check
		// that the exact name is in the payload.
		return raw != nil && bytes.Contains(payload, []byte(`"`+name+`"`))
	}
	switch {
	case has("requestContext", probe.RequestContext) && has("httpMethod", probe.HTTPMethod):
		return kindAPIv1
	case has("requestContext", probe.RequestContext) && has("routeKey", probe.RouteKey) && bytes.Equal(bytes.TrimSpace(probe.Version), []byte(`"2.0"`)):
		return kindAPIv2
	case has("detail-type", probe.DetailType) && has("source", probe.Source):
		return kindEvent
	}
	return kindDirect
}

// internalFailure answers after a recovered panic.
func (d *Dispatcher) internalFailure(ctx context.Context, k kind, _ []byte) (any, error) {
	msg := "internal error; the function's logs have the details" + requestIDSuffix(ctx)
	switch k {
	case kindAPIv1:
		return apiV1Response(errorResponse(500, "InternalError", msg, 0)), nil
	case kindAPIv2:
		return apiV2Response(errorResponse(500, "InternalError", msg, 0)), nil
	}
	return nil, &InternalError{Message: msg}
}

func requestIDSuffix(ctx context.Context) string {
	if id := requestID(ctx); id != "" {
		return " (request id " + id + ")"
	}
	return ""
}

// functionAccount is the account the function runs in, from its invoked ARN
// (arn:partition:lambda:region:account:function:name).
func functionAccount(ctx context.Context) string {
	lc, ok := lambdacontext.FromContext(ctx)
	if !ok {
		return ""
	}
	parts := strings.Split(lc.InvokedFunctionArn, ":")
	if len(parts) < 5 {
		return ""
	}
	return parts[4]
}

// serves reports whether the function serves account.
func (d *Dispatcher) serves(ctx context.Context, account string) bool {
	if len(d.cfg.AllowedAccountIDs) == 0 {
		own := functionAccount(ctx)
		return own != "" && account == own
	}
	return slices.Contains(d.cfg.AllowedAccountIDs, account)
}

// summary collects what the invocation's one summary log line says.
type summary struct {
	kind      kind
	coldStart bool
	// deleted counts source connections deleted.
	deleted  int
	trigger  provision.Trigger
	outcome  string // provisioned, skipped, rejected, failed
	level    slog.Level
	reason   string
	status   int
	result   *provision.Result
	err      error
	correlID string
}

// recordMetrics turns the summary into the invocation's metrics.
func (d *Dispatcher) recordMetrics(ctx context.Context, s *summary, elapsed time.Duration) {
	if d.cfg.Metrics == nil {
		return
	}
	inv := metrics.Invocation{
		ColdStart:                s.coldStart,
		SourceConnectionsDeleted: s.deleted,
		Skipped:                  s.outcome == "skipped",
		Duration:                 elapsed,
	}
	if r := s.result; r != nil {
		if r.Created {
			inv.ConnectionsCreated = 1
		} else {
			inv.ConnectionsReused = 1
		}
		if r.SourceCreated {
			inv.SourceConnectionsCreated = 1
		}
	}
	switch {
	case s.outcome != "failed" || s.err == nil:
	case errors.Is(s.err, errPanic):
		inv.FailureKind = "InternalError"
	default:
		inv.FailureKind = classifyError(s.err).code
	}
	if err := d.cfg.Metrics.Record(inv); err != nil {
		d.log.WarnContext(ctx, "could not write the invocation's metrics", "error", err.Error())
	}
}

func (d *Dispatcher) logSummary(ctx context.Context, s *summary, elapsed time.Duration) {
	attrs := []slog.Attr{
		slog.String("source", s.kind.String()),
		slog.String("outcome", s.outcome),
		slog.Float64("durationMs", float64(elapsed.Microseconds())/1000),
	}
	if s.trigger != "" {
		attrs = append(attrs, slog.String("trigger", string(s.trigger)))
	}
	if s.correlID != "" {
		attrs = append(attrs, slog.String("correlationId", s.correlID))
	}
	if s.status != 0 {
		attrs = append(attrs, slog.Int("status", s.status))
	}
	if s.reason != "" {
		attrs = append(attrs, slog.String("reason", s.reason))
	}
	if r := s.result; r != nil {
		attrs = append(attrs,
			slog.String("connectionId", r.ConnectionID), slog.Bool("created", r.Created),
			slog.String("accountId", r.AccountID), slog.String("region", r.Region), slog.String("sandbox", r.Sandbox))
		if r.StreamName != "" {
			attrs = append(attrs, slog.String("streamName", r.StreamName))
		}
		for _, w := range r.Warnings {
			d.log.WarnContext(ctx, w)
		}
	}
	if s.err != nil {
		attrs = append(attrs, slog.String("error", s.err.Error()))
	}
	level := s.level
	switch s.outcome {
	case "failed":
		level = slog.LevelError
	case "rejected":
		level = max(level, slog.LevelWarn)
	}
	d.log.LogAttrs(ctx, level, "invocation", attrs...)
}

// requestID returns the invocation's Lambda request id, if any.
func requestID(ctx context.Context) string {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		return lc.AwsRequestID
	}
	return ""
}
