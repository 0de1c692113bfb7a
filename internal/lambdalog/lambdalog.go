package lambdalog

import (
	"context"
	"io"
	"log/slog"
	"strings"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// LevelTrace and LevelFatal complete slog's levels with the two extra levels
// Lambda's log settings accept.
const (
	LevelTrace = slog.Level(-8)
	LevelFatal = slog.Level(12)
)

// ParseLevel maps a Lambda application log level (TRACE, DEBUG, INFO, WARN,
// ERROR, FATAL; any case) to a slog level. Unknown or empty values mean INFO.
func ParseLevel(s string) slog.Level {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "TRACE":
		return LevelTrace
	case "DEBUG":
		return slog.LevelDebug
	case "WARN", "WARNING":
		return slog.LevelWarn
	case "ERROR":
		return slog.LevelError
	case "FATAL":
		return LevelFatal
	default:
		return slog.LevelInfo
	}
}

// New returns a JSON logger writing to w at the given level (a Lambda level
// name, as in AWS_LAMBDA_LOG_LEVEL).
func New(w io.Writer, level string) *slog.Logger {
	return slog.New(NewHandler(w, level))
}

// NewHandler returns the JSON handler behind New.
func NewHandler(w io.Writer, level string) slog.Handler {
	return &handler{next: slog.NewJSONHandler(w, &slog.HandlerOptions{
		Level:       ParseLevel(level),
		ReplaceAttr: replaceAttr,
	})}
}

func replaceAttr(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.LevelKey {
		if l, ok := a.Value.Any().(slog.Level); ok {
			switch {
			case l <= LevelTrace:
				return slog.String(slog.LevelKey, "TRACE")
			case l >= LevelFatal:
				return slog.String(slog.LevelKey, "FATAL")
			}
		}
	}
	return lambdacontext.ReplaceAttr(groups, a)
}

// handler adds the Lambda request id to records logged with a context that
// carries one.
type handler struct {
	next slog.Handler
}

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		r.AddAttrs(slog.String("requestId", lc.AwsRequestID))
	}
	return h.next.Handle(ctx, r)
}

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &handler{next: h.next.WithAttrs(attrs)}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{next: h.next.WithGroup(name)}
}
