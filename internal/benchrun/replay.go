package benchrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/localenv"
)

// Replayer makes the floor's round trips: the calls an invocation made,
// again, one after the other, from this process, to the same endpoints.
//
// AWS calls go through real aws-sdk-go-v2 clients (signing, serialisation
// middleware, response deserialisation, no retries) whose request body is
// replaced by the recorded one; Adobe calls are plain net/http requests with
// the recorded method, path, query, headers (the token included) and body.
// Both share one http.Transport, so connections stay warm between calls and
// between Replay calls; use a new Replayer for fresh connections.
type Replayer struct {
	adobeURL string
	client   *http.Client
	sm       *secretsmanager.Client
	ddb      *dynamodb.Client
	eb       *eventbridge.Client
}

// NewReplayer returns a Replayer for the AWS endpoint awsURL and the Adobe
// server adobeURL (both the Recorder's servers), with a new transport.
func NewReplayer(awsURL, adobeURL string) (*Replayer, error) {
	cfg, err := localenv.AWSConfig(awsURL, localenv.StackRegion)
	if err != nil {
		return nil, fmt.Errorf("floor client: %w", err)
	}
	client := &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 16}}
	cfg.HTTPClient = client
	cfg.Retryer = func() aws.Retryer { return aws.NopRetryer{} }
	return &Replayer{
		adobeURL: strings.TrimSuffix(adobeURL, "/"),
		client:   client,
		sm:       secretsmanager.NewFromConfig(cfg),
		ddb:      dynamodb.NewFromConfig(cfg),
		eb:       eventbridge.NewFromConfig(cfg),
	}, nil
}

// Close closes the Replayer's idle connections.
func (p *Replayer) Close() { p.client.CloseIdleConnections() }

// Replay sends calls one after the other, in their order, and returns the
// time from sending the first to having read the last answer. rewrite (nil:
// none) is applied to every path, query and body first: it points the
// floor's writes at keys of its own (another account or stream) so that they
// do what the function's did, e.g. a conditional create that succeeds.
// Answers with an error status are not an error here: the caller compares
// the statuses with the function's. Transport failures are.
func (p *Replayer) Replay(ctx context.Context, calls []Call, rewrite *strings.Replacer) (time.Duration, error) {
	if rewrite == nil {
		rewrite = strings.NewReplacer()
	}
	type prepared struct {
		call Call
		req  *http.Request // Adobe
		body []byte        // AWS
		op   awsOp
	}
	// Everything but the round trips is prepared before the clock starts.
	ps := make([]prepared, len(calls))
	for i, c := range calls {
		if c.req == nil {
			return 0, fmt.Errorf("floor: call %s has no recorded request", c.Op)
		}
		ps[i].call = c
		body := []byte(rewrite.Replace(string(c.req.body)))
		switch c.Endpoint {
		case EndpointAWS:
			op, ok := awsOps[c.req.target]
			if !ok {
				return 0, fmt.Errorf("floor: no replayer for AWS operation %q (%s): add one to benchrun's awsOps", c.req.target, c.Op)
			}
			ps[i].op, ps[i].body = op, body
		case EndpointAdobe:
			req, err := p.adobeRequest(ctx, c.req, rewrite, body)
			if err != nil {
				return 0, err
			}
			ps[i].req = req
		default:
			return 0, fmt.Errorf("floor: call %s to unknown endpoint %q", c.Op, c.Endpoint)
		}
	}
	start := time.Now()
	for _, pc := range ps {
		var err error
		if pc.req != nil {
			err = p.sendAdobe(pc.req)
		} else {
			err = pc.op(ctx, p, withBody(pc.body))
			if answered(err) {
				err = nil // the status is compared by the caller
			}
		}
		if err != nil {
			return 0, fmt.Errorf("floor: %s: %w", pc.call.Op, err)
		}
	}
	return time.Since(start), nil
}

// answered reports whether an SDK error is an answer with an error status,
// not a failure to send or to receive (the SDK wraps those in a
// ResponseError with status 0 too).
func answered(err error) bool {
	var (
		re   *smithyhttp.ResponseError
		send *smithyhttp.RequestSendError
	)
	return err != nil && !errors.As(err, &send) && errors.As(err, &re) && re.HTTPStatusCode() > 0
}

// hopHeaders are not copied from a recorded request: the transport sets
// them (Accept-Encoding too, so it decompresses as the function's does).
var hopHeaders = []string{"Connection", "Content-Length", "Accept-Encoding", "Keep-Alive", "Te", "Trailer", "Transfer-Encoding", "Upgrade", "Host"}

func (p *Replayer) adobeRequest(ctx context.Context, r *request, rewrite *strings.Replacer, body []byte) (*http.Request, error) {
	target := p.adobeURL + rewrite.Replace(r.path)
	if r.rawQuery != "" {
		target += "?" + rewrite.Replace(r.rawQuery)
	}
	var rd io.Reader = http.NoBody
	if len(body) > 0 {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, target, rd)
	if err != nil {
		return nil, fmt.Errorf("floor: %s %s: %w", r.method, r.path, err)
	}
	req.Header = r.header.Clone()
	for _, h := range hopHeaders {
		req.Header.Del(h)
	}
	return req, nil
}

func (p *Replayer) sendAdobe(req *http.Request) error {
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// withBody returns an SDK stack option that sends body as the request body
// in place of the serialised input (the operation is called with an empty
// input, so its validation is removed too). The body is set before the
// content length, payload hash and signature are computed.
func withBody(body []byte) func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		_, _ = s.Initialize.Remove("OperationInputValidation") // absent on some operations
		return s.Serialize.Add(middleware.SerializeMiddlewareFunc("BenchrunRecordedBody",
			func(ctx context.Context, in middleware.SerializeInput, next middleware.SerializeHandler) (middleware.SerializeOutput, middleware.Metadata, error) {
				req, ok := in.Request.(*smithyhttp.Request)
				if !ok {
					return middleware.SerializeOutput{}, middleware.Metadata{}, fmt.Errorf("unexpected request type %T", in.Request)
				}
				r, err := req.SetStream(bytes.NewReader(body))
				if err != nil {
					return middleware.SerializeOutput{}, middleware.Metadata{}, err
				}
				in.Request = r
				return next.HandleSerialize(ctx, in)
			}), middleware.After)
	}
}

// awsOp calls one SDK operation with an empty input and the stack option.
type awsOp func(ctx context.Context, p *Replayer, opt func(*middleware.Stack) error) error

func smOpt(f func(*middleware.Stack) error) func(*secretsmanager.Options) {
	return func(o *secretsmanager.Options) { o.APIOptions = append(o.APIOptions, f) }
}

func ddbOpt(f func(*middleware.Stack) error) func(*dynamodb.Options) {
	return func(o *dynamodb.Options) { o.APIOptions = append(o.APIOptions, f) }
}

func ebOpt(f func(*middleware.Stack) error) func(*eventbridge.Options) {
	return func(o *eventbridge.Options) { o.APIOptions = append(o.APIOptions, f) }
}

// awsOps are the operations the floor can replay, by X-Amz-Target: those the
// function makes, and the likely alternatives (batch reads, transactions).
var awsOps = map[string]awsOp{
	"secretsmanager.GetSecretValue": func(ctx context.Context, p *Replayer, o func(*middleware.Stack) error) error {
		_, err := p.sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{}, smOpt(o))
		return err
	},
	"secretsmanager.BatchGetSecretValue": func(ctx context.Context, p *Replayer, o func(*middleware.Stack) error) error {
		_, err := p.sm.BatchGetSecretValue(ctx, &secretsmanager.BatchGetSecretValueInput{}, smOpt(o))
		return err
	},
	"DynamoDB_20120810.GetItem": func(ctx context.Context, p *Replayer, o func(*middleware.Stack) error) error {
		_, err := p.ddb.GetItem(ctx, &dynamodb.GetItemInput{}, ddbOpt(o))
		return err
	},
	"DynamoDB_20120810.BatchGetItem": func(ctx context.Context, p *Replayer, o func(*middleware.Stack) error) error {
		_, err := p.ddb.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{}, ddbOpt(o))
		return err
	},
	"DynamoDB_20120810.Query": func(ctx context.Context, p *Replayer, o func(*middleware.Stack) error) error {
		_, err := p.ddb.Query(ctx, &dynamodb.QueryInput{}, ddbOpt(o))
		return err
	},
	"DynamoDB_20120810.PutItem": func(ctx context.Context, p *Replayer, o func(*middleware.Stack) error) error {
		_, err := p.ddb.PutItem(ctx, &dynamodb.PutItemInput{}, ddbOpt(o))
		return err
	},
	"DynamoDB_20120810.UpdateItem": func(ctx context.Context, p *Replayer, o func(*middleware.Stack) error) error {
		_, err := p.ddb.UpdateItem(ctx, &dynamodb.UpdateItemInput{}, ddbOpt(o))
		return err
	},
	"DynamoDB_20120810.DeleteItem": func(ctx context.Context, p *Replayer, o func(*middleware.Stack) error) error {
		_, err := p.ddb.DeleteItem(ctx, &dynamodb.DeleteItemInput{}, ddbOpt(o))
		return err
	},
	"DynamoDB_20120810.TransactWriteItems": func(ctx context.Context, p *Replayer, o func(*middleware.Stack) error) error {
		_, err := p.ddb.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{}, ddbOpt(o))
		return err
	},
	"DynamoDB_20120810.TransactGetItems": func(ctx context.Context, p *Replayer, o func(*middleware.Stack) error) error {
		_, err := p.ddb.TransactGetItems(ctx, &dynamodb.TransactGetItemsInput{}, ddbOpt(o))
		return err
	},
	"DynamoDB_20120810.BatchWriteItem": func(ctx context.Context, p *Replayer, o func(*middleware.Stack) error) error {
		_, err := p.ddb.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{}, ddbOpt(o))
		return err
	},
	"AWSEvents.PutEvents": func(ctx context.Context, p *Replayer, o func(*middleware.Stack) error) error {
		_, err := p.eb.PutEvents(ctx, &eventbridge.PutEventsInput{}, ebOpt(o))
		return err
	},
}
