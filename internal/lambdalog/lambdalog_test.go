package lambdalog

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/google/go-cmp/cmp"
)

func TestParseLevel(t *testing.T) {
	t.Parallel()
	tests := map[string]slog.Level{
		"TRACE": LevelTrace, "debug": slog.LevelDebug, "INFO": slog.LevelInfo, "WARN": slog.LevelWarn,
		"ERROR": slog.LevelError, "FATAL": LevelFatal, "": slog.LevelInfo, "nonsense": slog.LevelInfo,
	}
	for in, want := range tests {
		if got := ParseLevel(in); got != want {
			t.Errorf("ParseLevel(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestLoggerWritesLambdaJSON(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := New(&buf, "WARN")
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})

	log.InfoContext(ctx, "dropped below WARN")
	log.ErrorContext(ctx, "kept", "connectionId", "c-1")
	log.Log(ctx, LevelFatal, "fatal")

	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	var got []map[string]any
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatalf("line %q is not JSON: %v", l, err)
		}
		delete(m, "timestamp")
		got = append(got, m)
	}
	want := []map[string]any{
		{"level": "ERROR", "message": "kept", "connectionId": "c-1", "requestId": "req-1"},
		{"level": "FATAL", "message": "fatal", "requestId": "req-1"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("log lines mismatch (-want +got):\n%s", diff)
	}
}

func TestLoggerWithoutLambdaContext(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	New(&buf, "").With("a", 1).WithGroup("g").Info("hello", "b", 2)
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m["requestId"]; ok {
		t.Errorf("requestId present without a Lambda context: %v", m)
	}
	if m["message"] != "hello" || m["level"] != "INFO" {
		t.Errorf("unexpected line %v", m)
	}
}
