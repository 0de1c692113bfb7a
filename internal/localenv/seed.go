package localenv

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kintypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// Table layout shared with the function's DynamoDB adapter.
const (
	TablePartitionKey = "pk"
	TableSortKey      = "sk"
	TableTTLAttribute = "expiresAt"
)

// CreateSecret creates secret name with a string value, or puts value as the
// new current version when the secret exists. Errors never contain value.
func CreateSecret(ctx context.Context, cfg aws.Config, name, value string) error {
	client := secretsmanager.NewFromConfig(cfg)
	_, err := client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name:         aws.String(name),
		SecretString: aws.String(value),
	})
	var exists *smtypes.ResourceExistsException
	if errors.As(err, &exists) {
		_, err = client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
			SecretId:     aws.String(name),
			SecretString: aws.String(value),
		})
	}
	if err != nil {
		return fmt.Errorf("create secret %q: %w", name, err)
	}
	return nil
}

// CreateTable creates an on-demand table with partition key "pk" (S), sort key
// "sk" (S) and TTL on "expiresAt", and waits until it is active. It is
// idempotent.
func CreateTable(ctx context.Context, cfg aws.Config, name string) error {
	client := dynamodb.NewFromConfig(cfg)
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: dbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []dbtypes.AttributeDefinition{
			{AttributeName: aws.String(TablePartitionKey), AttributeType: dbtypes.ScalarAttributeTypeS},
			{AttributeName: aws.String(TableSortKey), AttributeType: dbtypes.ScalarAttributeTypeS},
		},
		KeySchema: []dbtypes.KeySchemaElement{
			{AttributeName: aws.String(TablePartitionKey), KeyType: dbtypes.KeyTypeHash},
			{AttributeName: aws.String(TableSortKey), KeyType: dbtypes.KeyTypeRange},
		},
	})
	var inUse *dbtypes.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("create table %q: %w", name, err)
	}
	waiter := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 100 * time.Millisecond
		o.MaxDelay = time.Second
	})
	if err := waiter.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, time.Minute); err != nil {
		return fmt.Errorf("create table %q: wait until active: %w", name, err)
	}

	ttl, err := client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err != nil {
		return fmt.Errorf("create table %q: describe ttl: %w", name, err)
	}
	if d := ttl.TimeToLiveDescription; d != nil && d.TimeToLiveStatus == dbtypes.TimeToLiveStatusEnabled &&
		aws.ToString(d.AttributeName) == TableTTLAttribute {
		return nil
	}
	if _, err := client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(name),
		TimeToLiveSpecification: &dbtypes.TimeToLiveSpecification{
			AttributeName: aws.String(TableTTLAttribute),
			Enabled:       aws.Bool(true),
		},
	}); err != nil {
		return fmt.Errorf("create table %q: enable ttl: %w", name, err)
	}
	return nil
}

// CreateStreams creates one on-demand Kinesis stream per key of names, tagged
// with the key's map, and waits until each is active. A stream that exists
// only gets the tags added. moto ignores CreateStream's Tags, so tags are
// applied with AddTagsToStream.
func CreateStreams(ctx context.Context, cfg aws.Config, names map[string]map[string]string) error {
	client := kinesis.NewFromConfig(cfg)
	waiter := kinesis.NewStreamExistsWaiter(client, func(o *kinesis.StreamExistsWaiterOptions) {
		o.MinDelay = 100 * time.Millisecond
		o.MaxDelay = time.Second
	})
	for name, tags := range names {
		_, err := client.CreateStream(ctx, &kinesis.CreateStreamInput{
			StreamName:        aws.String(name),
			StreamModeDetails: &kintypes.StreamModeDetails{StreamMode: kintypes.StreamModeOnDemand},
		})
		var inUse *kintypes.ResourceInUseException
		if err != nil && !errors.As(err, &inUse) {
			return fmt.Errorf("create stream %q: %w", name, err)
		}
		if err := waiter.Wait(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String(name)}, time.Minute); err != nil {
			return fmt.Errorf("create stream %q: wait until active: %w", name, err)
		}
		if len(tags) == 0 {
			continue
		}
		if _, err := client.AddTagsToStream(ctx, &kinesis.AddTagsToStreamInput{
			StreamName: aws.String(name),
			Tags:       tags,
		}); err != nil {
			return fmt.Errorf("tag stream %q: %w", name, err)
		}
	}
	return nil
}
