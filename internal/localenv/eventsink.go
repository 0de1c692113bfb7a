package localenv

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// maxPollWait is the longest single SQS long poll (the SQS maximum is 20s;
// shorter keeps ctx cancellation prompt).
const maxPollWait = 2 * time.Second

// EventSink captures the events published to an EventBridge bus that match a
// pattern, through a rule whose target is a dedicated SQS queue. moto delivers
// to the queue synchronously inside PutEvents; each SQS message body is the
// full EventBridge envelope (version, id, detail-type, source, account, time,
// region, resources, detail).
type EventSink struct {
	sqs      *sqs.Client
	queueURL string
}

// NewEventSink creates bus (unless it is "default"; an existing bus is
// fine), an SQS queue with a unique name, and a rule on bus with the given
// event pattern (JSON) whose target is the queue.
func NewEventSink(ctx context.Context, cfg aws.Config, bus, pattern string) (*EventSink, error) {
	if bus == "" {
		bus = "default"
	}
	suffix := rand.Text()
	eb := eventbridge.NewFromConfig(cfg)
	q := sqs.NewFromConfig(cfg)

	if bus != "default" {
		_, err := eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(bus)})
		var exists *ebtypes.ResourceAlreadyExistsException
		if err != nil && !errors.As(err, &exists) {
			return nil, fmt.Errorf("new event sink: create bus %q: %w", bus, err)
		}
	}
	queue, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("localenv-sink-" + suffix)})
	if err != nil {
		return nil, fmt.Errorf("new event sink: create queue: %w", err)
	}
	attrs, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       queue.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return nil, fmt.Errorf("new event sink: queue arn: %w", err)
	}
	queueARN := attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]

	rule := "localenv-sink-" + suffix
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{
		Name:         aws.String(rule),
		EventBusName: aws.String(bus),
		EventPattern: aws.String(pattern),
		State:        ebtypes.RuleStateEnabled,
	}); err != nil {
		return nil, fmt.Errorf("new event sink: put rule on bus %q: %w", bus, err)
	}
	out, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{
		Rule:         aws.String(rule),
		EventBusName: aws.String(bus),
		Targets:      []ebtypes.Target{{Id: aws.String("sink"), Arn: aws.String(queueARN)}},
	})
	if err != nil {
		return nil, fmt.Errorf("new event sink: put target: %w", err)
	}
	if out.FailedEntryCount != 0 {
		return nil, fmt.Errorf("new event sink: put target: %d failed entries", out.FailedEntryCount)
	}
	return &EventSink{sqs: q, queueURL: aws.ToString(queue.QueueUrl)}, nil
}

// QueueURL is the URL of the sink's SQS queue.
func (s *EventSink) QueueURL() string { return s.queueURL }

// Receive long-polls until n events arrived and returns their envelopes (the
// SQS message bodies), deleting them from the queue. When ctx ends first it
// returns the events received so far together with an error wrapping
// ctx.Err().
func (s *EventSink) Receive(ctx context.Context, n int) ([]json.RawMessage, error) {
	var got []json.RawMessage
	for len(got) < n {
		if err := ctx.Err(); err != nil {
			return got, fmt.Errorf("receive events: got %d of %d: %w", len(got), n, err)
		}
		batch, err := s.poll(ctx, min(n-len(got), 10), maxPollWait)
		got = append(got, batch...)
		if err != nil {
			return got, fmt.Errorf("receive events: got %d of %d: %w", len(got), n, err)
		}
	}
	return got, nil
}

// Drain returns whatever arrives within wait (possibly nothing), deleting it
// from the queue; use it to assert that nothing was published. It may poll up
// to a second longer than wait.
func (s *EventSink) Drain(ctx context.Context, wait time.Duration) ([]json.RawMessage, error) {
	var got []json.RawMessage
	deadline := time.Now().Add(wait)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return got, nil
		}
		// Never cancel a poll in flight: a message moto handed out on a
		// cancelled request would turn invisible and be missed.
		batch, err := s.poll(ctx, 10, min(left, maxPollWait))
		got = append(got, batch...)
		if err != nil {
			return got, fmt.Errorf("drain events: %w", err)
		}
	}
}

// poll receives up to maxMessages messages, waiting up to wait (rounded up to whole
// seconds) for the first, and deletes what it received.
func (s *EventSink) poll(ctx context.Context, maxMessages int, wait time.Duration) ([]json.RawMessage, error) {
	out, err := s.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:            aws.String(s.queueURL),
		MaxNumberOfMessages: int32(maxMessages),
		WaitTimeSeconds:     int32(math.Ceil(wait.Seconds())),
	})
	if err != nil {
		return nil, err
	}
	var got []json.RawMessage
	for _, m := range out.Messages {
		got = append(got, json.RawMessage(aws.ToString(m.Body)))
		if _, err := s.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{
			QueueUrl:      aws.String(s.queueURL),
			ReceiptHandle: m.ReceiptHandle,
		}); err != nil {
			return got, fmt.Errorf("delete message: %w", err)
		}
	}
	return got, nil
}
