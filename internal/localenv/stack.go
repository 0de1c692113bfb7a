package localenv

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/adobeemu"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/awsfault"
)

// Demo values of the local stack. They are made up and only ever meet moto
// and the emulator.
const (
	// FunctionAccountID is the account of every function run under the RIE
	// (its invoked ARN is arn:aws:lambda:us-east-1:012345678912:function:…).
	FunctionAccountID = "012345678912"
	// StackRegion is the region of the function and of moto's resources.
	StackRegion = "us-east-1"

	DemoAccessKeyID  = "AKIADEMOKINESIS00001"
	DemoSecretKey    = "demo/Kinesis+Secret/Key/DoNotUse0000000000"
	DemoClientID     = "demo-client-id"
	DemoClientSecret = "demo-client-secret-p8e"
	DemoOrgID        = "DEMO0000000000000000000@AdobeOrg"
)

// DemoAccounts are the AWS accounts the local stack serves: the function's
// own and the two of the handed cases.
var DemoAccounts = []string{FunctionAccountID, "111122223333", "444455556666"}

// StackOptions configure a Stack. The zero value starts everything with the
// demo values.
type StackOptions struct {
	// Moto is a running moto to share (tests share one per binary); nil
	// starts one that the Stack owns.
	Moto *Moto
	// MotoBin is moto_server's path when the Stack starts its own.
	MotoBin string
	// Prefix makes the names of the Stack's AWS resources unique, so
	// several Stacks can share one moto. Default: random.
	Prefix string
	// Accounts get a Kinesis secret each. Default DemoAccounts.
	Accounts []string
	// AccessKeyID and SecretKey are the Kinesis keys put in the secrets.
	// Default DemoAccessKeyID and DemoSecretKey.
	AccessKeyID, SecretKey string
	// ClientSecret is the Adobe client secret. Default DemoClientSecret.
	ClientSecret string
	// Adobe tunes the emulator; its credentials are filled in.
	Adobe adobeemu.Options
	// Output receives moto's output when the Stack starts its own moto.
	Output io.Writer
	// MotoHost and MotoPort place the Stack's own moto (default: a free
	// loopback port); AdobeAddr places the emulator (default 127.0.0.1:0).
	MotoHost  string
	MotoPort  int
	AdobeAddr string
}

// SAMLocalOptions are the options of the long-running stack that env.json
// (for `sam local invoke --env-vars env.json`) points at: fixed resource
// names, moto on port 5000 and the emulator on port 8090 of every interface,
// so that containers reach them at host.docker.internal.
func SAMLocalOptions() StackOptions {
	return StackOptions{
		Prefix:    "aep-kinesis-provisioner",
		Accounts:  append([]string{"123456789012"}, DemoAccounts...),
		MotoHost:  "0.0.0.0",
		MotoPort:  5000,
		AdobeAddr: "0.0.0.0:8090",
	}
}

// Stack is the whole local stand-in for AWS and Adobe: moto behind a
// fault-injecting proxy, seeded with the secrets and an event bus whose
// events land in an SQS queue, and the Adobe emulator. Functions started
// from it are wired to all of that.
type Stack struct {
	Moto  *Moto
	Proxy *awsfault.Server
	Adobe *adobeemu.Server
	Sink  *EventSink
	// AWS is an SDK config for moto (direct, not through the proxy).
	AWS aws.Config

	env     map[string]string
	ownMoto bool
}

// StartStack starts and seeds a Stack. On error nothing is left running.
func StartStack(ctx context.Context, opts StackOptions) (st *Stack, err error) {
	st = &Stack{Moto: opts.Moto}
	defer func() {
		if err != nil {
			_ = st.Close()
			st = nil
		}
	}()
	if st.Moto == nil {
		st.Moto, err = StartMoto(ctx, MotoOptions{Bin: opts.MotoBin, Output: opts.Output, Host: opts.MotoHost, Port: opts.MotoPort})
		if err != nil {
			return st, err
		}
		st.ownMoto = true
	}
	if st.Proxy, err = awsfault.Start(ctx, st.Moto.URL()); err != nil {
		return st, err
	}
	if st.AWS, err = st.Moto.Config(ctx, StackRegion); err != nil {
		return st, err
	}
	adobe := opts.Adobe
	adobe.ClientID, adobe.ClientSecret, adobe.OrgID = DemoClientID, or(opts.ClientSecret, DemoClientSecret), DemoOrgID
	if len(adobe.Sandboxes) == 0 {
		adobe.Sandboxes = []string{"prod", "dev-sandbox"}
	}
	if st.Adobe, err = adobeemu.Start(ctx, or(opts.AdobeAddr, "127.0.0.1:0"), adobe); err != nil {
		return st, err
	}

	prefix := or(opts.Prefix, "stack-"+strings.ToLower(rand.Text()[:10]))
	kinesisSecret := prefix + "/kinesis/{accountId}"
	adobeSecret := prefix + "/adobe"
	bus := prefix + "-bus"
	table := prefix + "-connections"
	keys, err := json.Marshal(map[string]string{"accessKeyId": or(opts.AccessKeyID, DemoAccessKeyID), "secretKey": or(opts.SecretKey, DemoSecretKey)})
	if err != nil {
		return st, err
	}
	accounts := opts.Accounts
	if len(accounts) == 0 {
		accounts = DemoAccounts
	}
	for _, acct := range accounts {
		if err = CreateSecret(ctx, st.AWS, strings.ReplaceAll(kinesisSecret, "{accountId}", acct), string(keys)); err != nil {
			return st, err
		}
	}
	creds, err := json.Marshal(map[string]string{"clientId": DemoClientID, "clientSecret": or(opts.ClientSecret, DemoClientSecret), "orgId": DemoOrgID})
	if err != nil {
		return st, err
	}
	if err = CreateSecret(ctx, st.AWS, adobeSecret, string(creds)); err != nil {
		return st, err
	}
	if err = CreateTable(ctx, st.AWS, table); err != nil {
		return st, err
	}
	if st.Sink, err = NewEventSink(ctx, st.AWS, bus, `{"source":[{"prefix":""}]}`); err != nil {
		return st, err
	}

	st.env = AWSEnv(st.Proxy.URL(), StackRegion)
	maps.Copy(st.env, map[string]string{
		"KINESIS_SECRET_ID":        kinesisSecret,
		"ADOBE_SECRET_ID":          adobeSecret,
		"EVENT_BUS_NAME":           bus,
		"CONNECTIONS_TABLE":        table,
		"ALLOWED_ACCOUNT_IDS":      strings.Join(accounts, ","),
		"FLOW_SERVICE_URL":         st.Adobe.FlowURL(),
		"IMS_URL":                  st.Adobe.IMSURL(),
		"AWS_LAMBDA_LOG_FORMAT":    "JSON",
		"AWS_LAMBDA_LOG_LEVEL":     "INFO",
		"AWS_LAMBDA_FUNCTION_NAME": "ProvisionerFunction",
	})
	return st, nil
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// Env returns the function environment that points at the Stack: settings,
// AWS endpoint (through the fault proxy) and Lambda log settings.
func (s *Stack) Env() map[string]string { return maps.Clone(s.env) }

// Emulator returns the Adobe emulator.
func (s *Stack) Emulator() *adobeemu.Emulator { return s.Adobe.Emulator() }

// Faults returns the proxy in front of moto.
func (s *Stack) Faults() *awsfault.Proxy { return s.Proxy.Proxy() }

// StartFunction starts a function (an RIE running bootstrap) wired to the
// Stack; env overrides or adds variables.
func (s *Stack) StartFunction(ctx context.Context, opts FunctionOptions, env map[string]string) (*Function, error) {
	opts.Env = s.Env()
	maps.Copy(opts.Env, env)
	if opts.Name == "" {
		opts.Name = opts.Env["AWS_LAMBDA_FUNCTION_NAME"]
	}
	return StartFunction(ctx, opts)
}

// Close stops what the Stack started. It is idempotent.
func (s *Stack) Close() error {
	var errs []error
	if s.Adobe != nil {
		errs = append(errs, s.Adobe.Close())
		s.Adobe = nil
	}
	if s.Proxy != nil {
		errs = append(errs, s.Proxy.Close())
		s.Proxy = nil
	}
	if s.ownMoto && s.Moto != nil {
		errs = append(errs, s.Moto.Close())
		s.Moto = nil
	}
	return errors.Join(errs...)
}

// String describes the Stack's endpoints (no secrets).
func (s *Stack) String() string {
	return fmt.Sprintf("moto %s (via fault proxy %s), Adobe emulator %s", s.Moto.URL(), s.Proxy.URL(), s.Adobe.URL())
}
