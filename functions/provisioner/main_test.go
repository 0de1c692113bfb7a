package main

import (
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/settings"
)

// TestNewDispatcherReportsEverySettingsProblem: a cold start with a bad
// environment fails with the settings error, not a panic or a late failure.
func TestNewDispatcherReportsEverySettingsProblem(t *testing.T) {
	t.Setenv("KINESIS_SECRET_ID", "")
	t.Setenv("ADOBE_SECRET_ID", "")
	t.Setenv("EVENT_SOURCE", "aws.kinesis")
	_, err := newDispatcher(t.Context(), slog.New(slog.DiscardHandler))
	var serr *settings.Error
	if !errors.As(err, &serr) {
		t.Fatalf("newDispatcher() error = %v, want *settings.Error", err)
	}
	for _, want := range []string{"KINESIS_SECRET_ID is required", "ADOBE_SECRET_ID is required", "reserved for AWS"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("newDispatcher() error = %q, want it to mention %q", err, want)
		}
	}
}

func TestNewDispatcherWiresValidSettings(t *testing.T) {
	t.Setenv("KINESIS_SECRET_ID", "kinesis/{accountId}")
	t.Setenv("ADOBE_SECRET_ID", "adobe")
	t.Setenv("CONNECTIONS_TABLE", "connections")
	t.Setenv("AWS_REGION", "eu-west-1")
	d, err := newDispatcher(t.Context(), slog.New(slog.DiscardHandler))
	if err != nil || d == nil {
		t.Fatalf("newDispatcher() = %v, %v; want a dispatcher", d, err)
	}
}
