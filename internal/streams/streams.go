package streams

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"golang.org/x/sync/errgroup"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/secrets"
)

// kinesisAPI is the part of Kinesis the lister uses. *kinesis.Client
// satisfies it.
type kinesisAPI interface {
	ListStreams(ctx context.Context, in *kinesis.ListStreamsInput, optFns ...func(*kinesis.Options)) (*kinesis.ListStreamsOutput, error)
	ListTagsForStream(ctx context.Context, in *kinesis.ListTagsForStreamInput, optFns ...func(*kinesis.Options)) (*kinesis.ListTagsForStreamOutput, error)
}

// Stream is one stream and its tags.
type Stream struct {
	Name string
	Tags map[string]string
}

// Lister lists streams. It is safe for concurrent use.
type Lister struct {
	base      aws.Config
	newClient func(aws.Config) kinesisAPI
	// parallel bounds concurrent ListTagsForStream calls.
	parallel int
}

// NewLister returns a Lister whose clients are base (endpoint, retries,
// HTTP client) with the account's keys and the region.
func NewLister(base aws.Config) *Lister {
	return &Lister{
		base:      base,
		newClient: func(cfg aws.Config) kinesisAPI { return kinesis.NewFromConfig(cfg) },
		parallel:  5,
	}
}

// maxPages bounds a listing.
const maxPages = 1000

// List returns the streams of the account the keys belong to, in region,
// with their tags.
func (l *Lister) List(ctx context.Context, keys secrets.KinesisKeys, region string) ([]Stream, error) {
	cfg := l.base.Copy()
	cfg.Region = region
	cfg.Credentials = aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(keys.AccessKeyID, keys.SecretKey, ""))
	api := l.newClient(cfg)

	var names []string
	in := &kinesis.ListStreamsInput{}
	for page := 0; ; page++ {
		if page == maxPages {
			return nil, errors.New("streams: list streams: more than 1000 pages")
		}
		out, err := api.ListStreams(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("streams: list streams in %s: %w", region, err)
		}
		names = append(names, out.StreamNames...)
		if !aws.ToBool(out.HasMoreStreams) || len(out.StreamNames) == 0 {
			break
		}
		if out.NextToken != nil {
			in = &kinesis.ListStreamsInput{NextToken: out.NextToken}
		} else {
			in = &kinesis.ListStreamsInput{ExclusiveStartStreamName: aws.String(out.StreamNames[len(out.StreamNames)-1])}
		}
	}

	result := make([]Stream, len(names))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(l.parallel)
	for i, name := range names {
		g.Go(func() error {
			tags, err := listTags(gctx, api, name)
			if err != nil {
				return err
			}
			result[i] = Stream{Name: name, Tags: tags}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return result, nil
}

func listTags(ctx context.Context, api kinesisAPI, stream string) (map[string]string, error) {
	tags := map[string]string{}
	in := &kinesis.ListTagsForStreamInput{StreamName: aws.String(stream)}
	for page := 0; page < maxPages; page++ {
		out, err := api.ListTagsForStream(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("streams: list tags of %s: %w", stream, err)
		}
		for _, t := range out.Tags {
			tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
		if !aws.ToBool(out.HasMoreTags) || len(out.Tags) == 0 {
			return tags, nil
		}
		in = &kinesis.ListTagsForStreamInput{StreamName: aws.String(stream), ExclusiveStartTagKey: out.Tags[len(out.Tags)-1].Key}
	}
	return nil, fmt.Errorf("streams: list tags of %s: more than 1000 pages", stream)
}
