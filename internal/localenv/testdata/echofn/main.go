// Command echofn is a minimal Lambda function for localenv's tests: it echoes
// its input, fails for {"fail":true}, sleeps (ignoring its deadline) for
// {"sleep":N} seconds, and for {"env":["NAME",...]} answers
// {"env":{"NAME":"value"},"arn":"<invoked function ARN>"} with the variables
// that are set. It logs one line per invoke.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"log"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type request struct {
	Fail  bool     `json:"fail"`
	Sleep float64  `json:"sleep"`
	Env   []string `json:"env"`
}

type envResponse struct {
	Env map[string]string `json:"env"`
	ARN string            `json:"arn"`
}

func handle(ctx context.Context, in json.RawMessage) (any, error) {
	var id, arn string
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		id, arn = lc.AwsRequestID, lc.InvokedFunctionArn
	}
	log.Printf("echofn: request %s: %d bytes", id, len(in))

	var req request
	_ = json.Unmarshal(in, &req) // anything that is not such an object is just echoed
	switch {
	case req.Fail:
		return nil, errors.New("echofn: asked to fail")
	case req.Sleep > 0:
		time.Sleep(time.Duration(req.Sleep * float64(time.Second)))
	case req.Env != nil:
		resp := envResponse{Env: map[string]string{}, ARN: arn}
		for _, k := range req.Env {
			if v, ok := os.LookupEnv(k); ok {
				resp.Env[k] = v
			}
		}
		return resp, nil
	}
	return in, nil
}

func main() {
	lambda.Start(handle)
}
