package eventbus

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/google/go-cmp/cmp"
)

// scriptedAPI answers each PutEvents call with the next scripted reply; a
// reply rejects the entries whose index is listed in it.
type scriptedAPI struct {
	replies []reply
	calls   [][]types.PutEventsRequestEntry
}

type reply struct {
	err       error
	reject    map[int]string // entry index -> error code
	shortList bool           // answer with fewer result entries than sent
}

func (s *scriptedAPI) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	s.calls = append(s.calls, in.Entries)
	r := reply{}
	if len(s.calls) <= len(s.replies) {
		r = s.replies[len(s.calls)-1]
	}
	if r.err != nil {
		return nil, r.err
	}
	out := &eventbridge.PutEventsOutput{}
	for i := range in.Entries {
		if code, ok := r.reject[i]; ok {
			out.FailedEntryCount++
			out.Entries = append(out.Entries, types.PutEventsResultEntry{ErrorCode: aws.String(code), ErrorMessage: aws.String("nope")})
			continue
		}
		out.Entries = append(out.Entries, types.PutEventsResultEntry{EventId: aws.String("evt")})
	}
	if r.shortList {
		out.Entries = out.Entries[:0]
	}
	return out, nil
}

type detail struct {
	ConnectionID string `json:"connectionId"`
}

func newPublisher(t *testing.T, api putEventsAPI) *Publisher {
	t.Helper()
	p, err := NewPublisher(api, "bus", "aep.kinesis.provisioner", WithResend(2, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPublishBuildsEntry(t *testing.T) {
	t.Parallel()
	api := &scriptedAPI{}
	p := newPublisher(t, api)
	err := p.Publish(t.Context(), Event{DetailType: "Kinesis Connection Provisioned", Detail: detail{"c-1"}, Resources: []string{"arn:aws:kinesis:eu-west-1:111122223333:stream/s"}})
	if err != nil {
		t.Fatalf("Publish() error = %v", err)
	}
	want := [][]types.PutEventsRequestEntry{{{
		EventBusName: aws.String("bus"),
		Source:       aws.String("aep.kinesis.provisioner"),
		DetailType:   aws.String("Kinesis Connection Provisioned"),
		Detail:       aws.String(`{"connectionId":"c-1"}`),
		Resources:    []string{"arn:aws:kinesis:eu-west-1:111122223333:stream/s"},
	}}}
	if diff := cmp.Diff(want, api.calls, cmp.AllowUnexported(types.PutEventsRequestEntry{})); diff != "" {
		t.Errorf("PutEvents input mismatch (-want +got):\n%s", diff)
	}
}

func TestPublishResendsOnlyRejectedEntries(t *testing.T) {
	t.Parallel()
	api := &scriptedAPI{replies: []reply{{reject: map[int]string{1: "ThrottlingException"}}, {}}}
	p := newPublisher(t, api)
	err := p.Publish(t.Context(), Event{DetailType: "A", Detail: 1}, Event{DetailType: "B", Detail: 2})
	if err != nil {
		t.Fatalf("Publish() error = %v", err)
	}
	if len(api.calls) != 2 || len(api.calls[1]) != 1 || aws.ToString(api.calls[1][0].DetailType) != "B" {
		t.Errorf("calls = %d, second call = %v; want the rejected entry B re-sent alone", len(api.calls), api.calls)
	}
}

func TestPublishFailures(t *testing.T) {
	t.Parallel()
	always := map[int]string{0: "InternalFailure"}
	tests := []struct {
		name      string
		replies   []reply
		wantCode  string
		wantCalls int
	}{
		{"rejected on every attempt", []reply{{reject: always}, {reject: always}, {reject: always}}, "InternalFailure", 3},
		{"result list does not match", []reply{{shortList: true}, {shortList: true}, {shortList: true}}, "InvalidResponse", 3},
		{"entry without event id", []reply{{reject: map[int]string{0: ""}}, {reject: map[int]string{0: ""}}, {reject: map[int]string{0: ""}}}, "MissingEventId", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := &scriptedAPI{replies: tt.replies}
			err := newPublisher(t, api).Publish(t.Context(), Event{DetailType: "A", Detail: 1})
			var entryErr *EntryError
			if !errors.As(err, &entryErr) {
				t.Fatalf("Publish() error = %v, want *EntryError", err)
			}
			if entryErr.Code != tt.wantCode || entryErr.Attempts != tt.wantCalls {
				t.Errorf("EntryError = %+v, want code %q after %d attempts", entryErr, tt.wantCode, tt.wantCalls)
			}
			if len(api.calls) != tt.wantCalls {
				t.Errorf("PutEvents calls = %d, want %d", len(api.calls), tt.wantCalls)
			}
		})
	}
}

func TestPublishSDKError(t *testing.T) {
	t.Parallel()
	sdkErr := errors.New("connection refused")
	api := &scriptedAPI{replies: []reply{{err: sdkErr}}}
	err := newPublisher(t, api).Publish(t.Context(), Event{DetailType: "A", Detail: 1})
	if !errors.Is(err, sdkErr) {
		t.Errorf("Publish() error = %v, want it to wrap %v", err, sdkErr)
	}
}

func TestPublishBatchesByTen(t *testing.T) {
	t.Parallel()
	api := &scriptedAPI{}
	events := make([]Event, 23)
	for i := range events {
		events[i] = Event{DetailType: "A", Detail: i}
	}
	if err := newPublisher(t, api).Publish(t.Context(), events...); err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for _, c := range api.calls {
		sizes = append(sizes, len(c))
	}
	if diff := cmp.Diff([]int{10, 10, 3}, sizes); diff != "" {
		t.Errorf("batch sizes (-want +got):\n%s", diff)
	}
}

func TestPublishRefusesBadEvents(t *testing.T) {
	t.Parallel()
	api := &scriptedAPI{}
	p := newPublisher(t, api)
	tests := map[string]Event{
		"no detail type": {Detail: 1},
		"not JSON":       {DetailType: "A", Detail: func() {}},
		"too large":      {DetailType: "A", Detail: strings.Repeat("x", maxEntrySize)},
	}
	for name, e := range tests {
		if err := p.Publish(t.Context(), e); err == nil {
			t.Errorf("%s: Publish() error = nil, want an error", name)
		}
	}
	if len(api.calls) != 0 {
		t.Errorf("PutEvents called %d times for refused events", len(api.calls))
	}
}

func TestNewPublisherValidates(t *testing.T) {
	t.Parallel()
	api := &scriptedAPI{}
	tests := map[string]struct {
		api         putEventsAPI
		bus, source string
		opts        []Option
	}{
		"nil api":         {nil, "b", "s", nil},
		"no bus":          {api, "", "s", nil},
		"no source":       {api, "b", "", nil},
		"aws source":      {api, "b", "aws.kinesis", nil},
		"negative resend": {api, "b", "s", []Option{WithResend(-1, 0)}},
	}
	for name, tt := range tests {
		if _, err := NewPublisher(tt.api, tt.bus, tt.source, tt.opts...); err == nil {
			t.Errorf("%s: NewPublisher() error = nil, want an error", name)
		}
	}
}

func TestDetailIsJSON(t *testing.T) {
	t.Parallel()
	api := &scriptedAPI{}
	if err := newPublisher(t, api).Publish(t.Context(), Event{DetailType: "A", Detail: map[string]any{"a": "<b>&"}}); err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	if err := json.Unmarshal([]byte(aws.ToString(api.calls[0][0].Detail)), &got); err != nil || got["a"] != "<b>&" {
		t.Errorf("detail = %s (%v), want JSON with a = <b>&", aws.ToString(api.calls[0][0].Detail), err)
	}
}
