package secrets

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/google/go-cmp/cmp"
)

// fakeAPI serves secret values from a map and counts calls.
type fakeAPI struct {
	mu     sync.Mutex
	values map[string]*secretsmanager.GetSecretValueOutput
	calls  atomic.Int32
	stages []string
	gate   chan struct{} // when set, calls block until it is closed
}

func (f *fakeAPI) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	f.calls.Add(1)
	if f.gate != nil {
		<-f.gate
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stages = append(f.stages, aws.ToString(in.VersionStage))
	out, ok := f.values[aws.ToString(in.SecretId)]
	if !ok {
		return nil, &types.ResourceNotFoundException{Message: aws.String("Secrets Manager can't find the specified secret.")}
	}
	return out, nil
}

func (f *fakeAPI) set(id, value string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.values == nil {
		f.values = map[string]*secretsmanager.GetSecretValueOutput{}
	}
	f.values[id] = &secretsmanager.GetSecretValueOutput{SecretString: aws.String(value)}
}

const (
	secretKey    = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
	clientSecret = "p8e-SUPER-SECRET-client-secret"
)

func TestKinesisKeys(t *testing.T) {
	t.Parallel()
	api := &fakeAPI{}
	api.set("k", `{"accessKeyId":"AKIAEXAMPLE123","secretKey":"`+secretKey+`","region":"eu-west-1","extra":true}`)
	s := NewStore(api, time.Minute)

	got, err := s.KinesisKeys(t.Context(), "k")
	if err != nil {
		t.Fatalf("KinesisKeys() error = %v", err)
	}
	want := KinesisKeys{AccessKeyID: "AKIAEXAMPLE123", SecretKey: secretKey, Region: "eu-west-1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("KinesisKeys() mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"AWSCURRENT"}, api.stages); diff != "" {
		t.Errorf("version stages read (-want +got):\n%s", diff)
	}
}

func TestAdobeCredentialsScopes(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		json string
		want Scopes
	}{
		"absent": {``, nil},
		"array":  {`,"scopes":["openid"," AdobeID",""]`, Scopes{"openid", "AdobeID"}},
		"string": {`,"scopes":"openid, AdobeID,read_organizations"`, Scopes{"openid", "AdobeID", "read_organizations"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			api := &fakeAPI{}
			api.set("a", `{"clientId":"cid","clientSecret":"`+clientSecret+`","orgId":"ORG@AdobeOrg"`+tt.json+`}`)
			got, err := NewStore(api, 0).AdobeCredentials(t.Context(), "a")
			if err != nil {
				t.Fatalf("AdobeCredentials() error = %v", err)
			}
			if diff := cmp.Diff(tt.want, got.Scopes); diff != "" {
				t.Errorf("Scopes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestErrorsNameSecretAndFieldNeverValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		value    *secretsmanager.GetSecretValueOutput // nil: secret absent
		adobe    bool
		wantText string
		notFound bool
	}{
		{name: "absent", wantText: `secret "id" does not exist`, notFound: true},
		{name: "binary", value: &secretsmanager.GetSecretValueOutput{SecretBinary: []byte(secretKey)}, wantText: "binary value"},
		{name: "not json", value: str(`{"secretKey":"` + secretKey + `"`), wantText: "is not valid JSON"},
		{name: "not json, bad char", value: str(secretKey), wantText: "is not valid JSON"},
		{name: "array", value: str(`["` + secretKey + `"]`), wantText: "must be a JSON object"},
		{name: "wrong type", value: str(`{"accessKeyId":42,"secretKey":"` + secretKey + `"}`), wantText: `field "accessKeyId" must be a string`},
		{name: "missing access key", value: str(`{"secretKey":"` + secretKey + `"}`), wantText: `field "accessKeyId" is missing`},
		{name: "missing secret key", value: str(`{"accessKeyId":"AKIAEXAMPLE123","secretKey":"  "}`), wantText: `field "secretKey" is missing`},
		{name: "adobe missing org", value: str(`{"clientId":"c","clientSecret":"` + clientSecret + `"}`), adobe: true, wantText: `field "orgId" is missing`},
		{name: "adobe bad scopes", value: str(`{"clientId":"c","clientSecret":"` + clientSecret + `","orgId":"o","scopes":7}`), adobe: true, wantText: `field "scopes" must be a string`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := &fakeAPI{values: map[string]*secretsmanager.GetSecretValueOutput{}}
			if tt.value != nil {
				api.values["id"] = tt.value
			}
			s := NewStore(api, time.Minute)
			var err error
			if tt.adobe {
				_, err = s.AdobeCredentials(t.Context(), "id")
			} else {
				_, err = s.KinesisKeys(t.Context(), "id")
			}
			var serr *Error
			if !errors.As(err, &serr) {
				t.Fatalf("error = %v, want *Error", err)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error = %q, want it to contain %q", err, tt.wantText)
			}
			if serr.NotFound != tt.notFound {
				t.Errorf("NotFound = %v, want %v", serr.NotFound, tt.notFound)
			}
			for _, secret := range []string{secretKey, clientSecret, "wJal", "p8e-"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q leaks secret material %q", err, secret)
				}
			}
		})
	}
}

func str(s string) *secretsmanager.GetSecretValueOutput {
	return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(s)}
}

func TestCacheTTLAndForget(t *testing.T) {
	t.Parallel()
	api := &fakeAPI{}
	api.set("k", `{"accessKeyId":"AKIAOLD00000","secretKey":"old"}`)
	now := time.Unix(1000, 0)
	s := NewStore(api, time.Minute)
	s.now = func() time.Time { return now }
	ctx := t.Context()

	read := func() string {
		t.Helper()
		k, err := s.KinesisKeys(ctx, "k")
		if err != nil {
			t.Fatal(err)
		}
		return k.SecretKey
	}
	read()
	api.set("k", `{"accessKeyId":"AKIANEW00000","secretKey":"new"}`)
	if got := read(); got != "old" {
		t.Errorf("within TTL: secretKey = %q, want cached %q", got, "old")
	}
	now = now.Add(61 * time.Second)
	if got := read(); got != "new" {
		t.Errorf("after TTL: secretKey = %q, want %q", got, "new")
	}
	api.set("k", `{"accessKeyId":"AKIAROT00000","secretKey":"rotated"}`)
	s.Forget("k")
	if got := read(); got != "rotated" {
		t.Errorf("after Forget: secretKey = %q, want %q", got, "rotated")
	}
	if got := api.calls.Load(); got != 3 {
		t.Errorf("GetSecretValue calls = %d, want 3", got)
	}
}

func TestConcurrentReadsShareOneCall(t *testing.T) {
	t.Parallel()
	api := &fakeAPI{gate: make(chan struct{})}
	api.set("k", `{"accessKeyId":"AKIAEXAMPLE1","secretKey":"s"}`)
	s := NewStore(api, time.Minute)

	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for range 10 {
		wg.Go(func() {
			_, err := s.KinesisKeys(t.Context(), "k")
			errs <- err
		})
	}
	// Let every reader reach the shared call before it returns.
	for api.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	close(api.gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("KinesisKeys() error = %v", err)
		}
	}
	if got := api.calls.Load(); got != 1 {
		t.Errorf("GetSecretValue calls = %d, want 1", got)
	}
}

func TestCancelledCallerDoesNotFailOthers(t *testing.T) {
	t.Parallel()
	api := &fakeAPI{gate: make(chan struct{})}
	api.set("k", `{"accessKeyId":"AKIAEXAMPLE1","secretKey":"s"}`)
	s := NewStore(api, time.Minute)

	ctx, cancel := context.WithCancel(t.Context())
	first := make(chan error, 1)
	go func() {
		_, err := s.KinesisKeys(ctx, "k")
		first <- err
	}()
	for api.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	second := make(chan error, 1)
	go func() {
		_, err := s.KinesisKeys(t.Context(), "k")
		second <- err
	}()
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled caller error = %v, want context.Canceled", err)
	}
	close(api.gate)
	if err := <-second; err != nil {
		t.Errorf("other caller error = %v, want nil", err)
	}
}

func TestSDKErrorsAreWrapped(t *testing.T) {
	t.Parallel()
	s := NewStore(errAPI{err: errors.New("throttled")}, time.Minute)
	_, err := s.KinesisKeys(t.Context(), "k")
	if err == nil || !strings.Contains(err.Error(), `read secret "k"`) {
		t.Errorf("error = %v, want it wrapped with the secret id", err)
	}
}

type errAPI struct{ err error }

func (e errAPI) GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	return nil, e.err
}

func TestCredentialsRedactWhenPrinted(t *testing.T) {
	t.Parallel()
	k := KinesisKeys{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretKey: secretKey, Region: "eu-west-1"}
	c := AdobeCredentials{ClientID: "cid", ClientSecret: clientSecret, OrgID: "org"}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("creds", "kinesis", k, "adobe", c)
	outputs := []string{
		fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s", k, k, k, k),
		fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s", c, c, c, c),
		fmt.Sprintf("%v", []any{k, c}), logged.String(),
	}
	for _, out := range outputs {
		for _, secret := range []string{secretKey, clientSecret, "IOSFODNN7EXAMPLE"} {
			if strings.Contains(out, secret) {
				t.Errorf("output %q leaks %q", out, secret)
			}
		}
	}
}

func TestExpandID(t *testing.T) {
	t.Parallel()
	if got, want := ExpandID("kinesis/{accountId}/{region}/{accountId}", "111122223333", "eu-west-1"), "kinesis/111122223333/eu-west-1/111122223333"; got != want {
		t.Errorf("ExpandID() = %q, want %q", got, want)
	}
}
