package eventbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

// putEventsAPI is the one EventBridge operation the publisher needs.
// *eventbridge.Client satisfies it.
type putEventsAPI interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// Limits EventBridge puts on PutEvents.
const (
	maxEntriesPerCall = 10
	// maxEntrySize is the documented 256 KB entry limit.
	maxEntrySize = 256 * 1024
)

// Event is one event to publish.
type Event struct {
	DetailType string
	// Detail is marshalled to JSON. It must not hold secrets.
	Detail any
	// Resources are ARNs the event concerns (optional).
	Resources []string
}

// Publisher sends events to one bus with one source.
type Publisher struct {
	api      putEventsAPI
	bus      string
	source   string
	attempts int
	backoff  time.Duration
}

// Option configures a Publisher.
type Option func(*Publisher) error

// WithResend sets how many times entries PutEvents did not accept are sent
// again (default 2), waiting backoff, then twice that, between attempts.
func WithResend(times int, backoff time.Duration) Option {
	return func(p *Publisher) error {
		if times < 0 || backoff < 0 {
			return errors.New("eventbus: resend times and backoff must not be negative")
		}
		p.attempts, p.backoff = times+1, backoff
		return nil
	}
}

// NewPublisher returns a Publisher for bus and source. A source that begins
// with "aws." is refused: EventBridge reserves it for AWS services.
func NewPublisher(api putEventsAPI, bus, source string, opts ...Option) (*Publisher, error) {
	switch {
	case api == nil:
		return nil, errors.New("eventbus: nil PutEvents client")
	case bus == "":
		return nil, errors.New("eventbus: empty bus name")
	case source == "":
		return nil, errors.New("eventbus: empty source")
	case strings.HasPrefix(source, "aws."):
		return nil, fmt.Errorf("eventbus: source %q is reserved for AWS services", source)
	}
	p := &Publisher{api: api, bus: bus, source: source, attempts: 3, backoff: 50 * time.Millisecond}
	for _, opt := range opts {
		if err := opt(p); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Source returns the source of the events p publishes.
func (p *Publisher) Source() string { return p.source }

// Publish sends the events and returns nil only when EventBridge accepted
// every one of them.
func (p *Publisher) Publish(ctx context.Context, events ...Event) error {
	entries := make([]types.PutEventsRequestEntry, 0, len(events))
	for _, e := range events {
		entry, err := p.entry(e)
		if err != nil {
			return err
		}
		entries = append(entries, entry)
	}
	for start := 0; start < len(entries); start += maxEntriesPerCall {
		end := min(start+maxEntriesPerCall, len(entries))
		if err := p.send(ctx, entries[start:end]); err != nil {
			return err
		}
	}
	return nil
}

func (p *Publisher) entry(e Event) (types.PutEventsRequestEntry, error) {
	if e.DetailType == "" {
		return types.PutEventsRequestEntry{}, errors.New("eventbus: event without a detail type")
	}
	detail, err := json.Marshal(e.Detail)
	if err != nil {
		return types.PutEventsRequestEntry{}, fmt.Errorf("eventbus: encode %q detail: %w", e.DetailType, err)
	}
	size := 14 + len(p.source) + len(e.DetailType) + len(detail)
	for _, r := range e.Resources {
		size += len(r)
	}
	if size > maxEntrySize {
		return types.PutEventsRequestEntry{}, fmt.Errorf("eventbus: %q event is %d bytes, over the %d byte entry limit", e.DetailType, size, maxEntrySize)
	}
	return types.PutEventsRequestEntry{
		EventBusName: aws.String(p.bus),
		Source:       aws.String(p.source),
		DetailType:   aws.String(e.DetailType),
		Detail:       aws.String(string(detail)),
		Resources:    e.Resources,
	}, nil
}

// send puts entries, re-sending the ones that were not accepted.
func (p *Publisher) send(ctx context.Context, entries []types.PutEventsRequestEntry) error {
	pending := entries
	wait := p.backoff
	for attempt := 1; ; attempt++ {
		out, err := p.api.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: pending})
		if err != nil {
			return fmt.Errorf("put events on bus %q: %w", p.bus, err)
		}
		failed, entryErr := rejected(pending, out)
		if len(failed) == 0 {
			return nil
		}
		if attempt >= p.attempts {
			entryErr.Attempts = attempt
			return entryErr
		}
		select {
		case <-ctx.Done():
			entryErr.Attempts = attempt
			return fmt.Errorf("%w (gave up re-sending: %w)", entryErr, ctx.Err())
		case <-time.After(wait):
		}
		wait *= 2
		pending = failed
	}
}

// rejected returns the entries EventBridge did not accept and an error
// describing the first of them. A response whose entry count does not match
// the request counts every entry as rejected.
func rejected(sent []types.PutEventsRequestEntry, out *eventbridge.PutEventsOutput) ([]types.PutEventsRequestEntry, *EntryError) {
	if out == nil || len(out.Entries) != len(sent) {
		return sent, &EntryError{Code: "InvalidResponse", Message: "PutEvents answered with a result entry count that does not match the request", Failed: len(sent)}
	}
	var failed []types.PutEventsRequestEntry
	var first *EntryError
	for i, r := range out.Entries {
		if r.ErrorCode == nil && r.EventId != nil {
			continue
		}
		failed = append(failed, sent[i])
		if first == nil {
			first = &EntryError{
				Code:       aws.ToString(r.ErrorCode),
				Message:    aws.ToString(r.ErrorMessage),
				DetailType: aws.ToString(sent[i].DetailType),
			}
			if first.Code == "" {
				first.Code = "MissingEventId"
			}
		}
	}
	if first == nil && out.FailedEntryCount > 0 {
		return sent, &EntryError{Code: "FailedEntryCount", Message: "PutEvents reported failed entries without naming them", Failed: len(sent)}
	}
	if first != nil {
		first.Failed = len(failed)
	}
	return failed, first
}

// EntryError reports events EventBridge did not accept, after every re-send.
type EntryError struct {
	// Code and Message are EventBridge's for the first rejected entry, e.g.
	// "ThrottlingException" or "InternalFailure".
	Code, Message string
	DetailType    string
	// Failed is how many entries were still rejected at the last attempt.
	Failed int
	// Attempts is how many times they were sent.
	Attempts int
}

func (e *EntryError) Error() string {
	return fmt.Sprintf("eventbridge did not accept %d event(s) (%q, first error %s: %s) after %d attempt(s)", e.Failed, e.DetailType, e.Code, e.Message, e.Attempts)
}
