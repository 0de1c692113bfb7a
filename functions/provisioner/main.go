// Command provisioner is the AWS Lambda function that connects Amazon Kinesis
// to Adobe Experience Platform. It only wires: settings, clients, handler.
package main

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/eventbus"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/flowservice"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/imsauth"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/lambdalog"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/ledger"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/metrics"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/provision"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/secrets"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/settings"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/streams"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/trigger"
)

// userAgent identifies the function to Adobe; serviceName is the Service
// dimension of its metrics.
const (
	userAgent   = "aep-kinesis-provisioner"
	serviceName = "aep-kinesis-provisioner"
)

func main() {
	log := lambdalog.New(os.Stdout, os.Getenv("AWS_LAMBDA_LOG_LEVEL"))
	// The runtime's own log.Printf lines (it repeats a failed invocation's
	// error, which the handler already logged at ERROR) become WARN JSON.
	slog.SetLogLoggerLevel(slog.LevelWarn)
	slog.SetDefault(log)
	d, err := newDispatcher(context.Background(), log)
	if err != nil {
		log.Error("start-up failed", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(d.Handle)
}

func newDispatcher(ctx context.Context, log *slog.Logger) (*trigger.Dispatcher, error) {
	s, err := settings.FromEnv()
	if err != nil {
		return nil, err
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, config.WithRetryer(awsRetryer(s)))
	if err != nil {
		return nil, err
	}
	httpClient := &http.Client{Timeout: 20 * time.Second}

	store := secrets.NewStore(secretsmanager.NewFromConfig(awsCfg), s.SecretCacheTTL)
	ims, err := imsauth.New(
		imsauth.WithTokenURL(s.IMSURL),
		imsauth.WithHTTPClient(httpClient),
		imsauth.WithCredentials(adobeCredentials(store, s)),
	)
	if err != nil {
		return nil, err
	}
	flow, err := flowservice.NewClient(
		flowservice.WithBaseURL(s.FlowServiceURL),
		flowservice.WithHTTPClient(httpClient),
		flowservice.WithTokenSource(ims),
		flowservice.WithUserAgent(userAgent),
	)
	if err != nil {
		return nil, err
	}
	pub, err := eventbus.NewPublisher(eventbridge.NewFromConfig(awsCfg), s.EventBusName, s.EventSource)
	if err != nil {
		return nil, err
	}
	table, err := ledger.New(dynamodb.NewFromConfig(awsCfg), s.ConnectionsTable)
	if err != nil {
		return nil, err
	}
	svc, err := provision.NewService(provision.Config{
		KinesisSecretID: s.KinesisSecretID,
		AuthSpecName:    s.AuthSpecName,
		ProviderID:      s.ProviderID,
		NameTemplate:    s.ConnectionNameTemplate,
		VerifyAfter:     s.RecordVerifyAfter,
		LockWait:        s.LockWait,
		LockGrace:       s.DeadlineMargin,

		Selection: provision.Selection{
			Include: s.StreamInclude, Exclude: s.StreamExclude,
			OptTag: s.StreamOptTag, RequireOptIn: s.StreamRequireOptIn, SandboxTag: s.SandboxTag,
		},
		NoSourceConnections: !s.SourceConnections,
		SourceNameTemplate:  s.SourceNameTemplate,
		DataType:            s.SourceDataType,
		Reset:               s.SourceReset,
	}, provision.Deps{Keys: store, Flow: flow, Ledger: table, Publisher: pub, Streams: streams.NewLister(awsCfg)})
	if err != nil {
		return nil, err
	}
	return trigger.NewDispatcher(trigger.Config{
		ProvisionEventSource: s.ProvisionEventSource,
		OwnEventSource:       s.EventSource,
		DefaultSandbox:       s.DefaultSandbox,
		AllowedAccountIDs:    s.AllowedAccountIDs,
		DeadlineMargin:       s.DeadlineMargin,
		Metrics:              metrics.NewEMF(os.Stdout, s.MetricsNamespace, serviceName),
		ReconcileRegions:     s.ReconcileRegions,
	}, svc, log)
}

// awsRetryer is the SDK's standard retryer without its client-side retry
// quota: a warm container that lived through a long outage would otherwise
// keep failing fast with "retry quota exceeded" after the service is back.
// Backoff is capped to fit a function's budget.
func awsRetryer(s settings.Settings) func() aws.Retryer {
	return func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = s.AWSMaxAttempts
			o.MaxBackoff = s.AWSMaxBackoff
			o.RateLimiter = ratelimit.None
		})
	}
}

// adobeCredentials reads the Adobe secret when IMS needs a new token.
func adobeCredentials(store *secrets.Store, s settings.Settings) func(context.Context) (imsauth.Credentials, error) {
	return func(ctx context.Context) (imsauth.Credentials, error) {
		c, err := store.AdobeCredentials(ctx, s.AdobeSecretID)
		if err != nil {
			return imsauth.Credentials{}, err
		}
		scopes := []string(c.Scopes)
		if len(scopes) == 0 {
			scopes = s.IMSScopes
		}
		return imsauth.Credentials{ClientID: c.ClientID, ClientSecret: c.ClientSecret, OrgID: c.OrgID, Scopes: scopes}, nil
	}
}
