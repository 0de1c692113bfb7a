package localenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

const (
	// fakeAccessKeyID and fakeSecretAccessKey are moto's conventional
	// credentials; moto accepts anything, real AWS accepts neither.
	fakeAccessKeyID     = "testing"
	fakeSecretAccessKey = "testing"

	// defaultStartTimeout bounds a start when ctx has no deadline.
	defaultStartTimeout = 60 * time.Second
	// startAttempts is how often a start is retried with fresh ports when the
	// process exits before it serves (typically: its port was taken).
	startAttempts = 3
	pollInterval  = 50 * time.Millisecond
	outputTail    = 4 << 10
)

// MotoOptions configures StartMoto.
type MotoOptions struct {
	// Bin is the moto_server executable; "" means FindMoto(ModuleRoot()).
	Bin string
	// Output, if set, receives moto's stdout and stderr (request log).
	Output io.Writer
	// Host is the address moto listens on; default 127.0.0.1. Use 0.0.0.0
	// only to let containers (sam local invoke) reach it.
	Host string
	// Port is moto's port; 0 picks a free one.
	Port int
}

// Moto is a running moto_server on a loopback port.
type Moto struct {
	url  string
	proc *group
	out  *logSink
}

// StartMoto starts `moto_server -H 127.0.0.1 -p <free port>` in its own
// process group and returns once GET /moto-api/ answers 200. ctx bounds only
// the start (60s when it has no deadline); the server runs until Close. On any
// failure it kills what it started.
func StartMoto(ctx context.Context, opts MotoOptions) (*Moto, error) {
	bin := opts.Bin
	if bin == "" {
		root, _ := ModuleRoot() // without a module, FindMoto still tries $MOTO_SERVER and PATH
		var err error
		if bin, err = FindMoto(root); err != nil {
			return nil, fmt.Errorf("start moto: %w", err)
		}
	}
	ctx, cancel := withDefaultTimeout(ctx, defaultStartTimeout)
	defer cancel()

	var lastErr error
	for range startAttempts {
		m, err := startMotoOnce(ctx, bin, opts)
		if err == nil {
			return m, nil
		}
		lastErr = err
		if !errors.Is(err, errExitedEarly) {
			break
		}
	}
	return nil, fmt.Errorf("start moto: %w", lastErr)
}

var errExitedEarly = errors.New("exited before it was ready")

func startMotoOnce(ctx context.Context, bin string, opts MotoOptions) (*Moto, error) {
	ports := []int{opts.Port}
	if opts.Port == 0 {
		var err error
		if ports, err = freePorts(1); err != nil {
			return nil, err
		}
	}
	host := opts.Host
	if host == "" {
		host = "127.0.0.1"
	}
	out := &logSink{max: outputTail, out: opts.Output}
	cmd := exec.Command(bin, "-H", host, "-p", strconv.Itoa(ports[0]))
	cmd.Stdout = out
	cmd.Stderr = out
	proc, err := startGroup(cmd)
	if err != nil {
		return nil, err
	}
	m := &Moto{url: "http://" + loopback(ports[0]), proc: proc, out: out}
	if err := m.waitReady(ctx); err != nil {
		_ = proc.stop(0)
		return nil, fmt.Errorf("%s on port %d: %w; output: %q", bin, ports[0], err, out.tail(1024))
	}
	return m, nil
}

func (m *Moto) waitReady(ctx context.Context) error {
	client := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: time.Second}
	defer client.CloseIdleConnections()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		if m.proc.exited() {
			return errExitedEarly
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.url+"/moto-api/", nil)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not ready: %w", ctx.Err())
		case <-m.proc.done:
		case <-tick.C:
		}
	}
}

// URL is moto's base URL, e.g. http://127.0.0.1:41234.
func (m *Moto) URL() string { return m.url }

// Close kills moto's process group and waits for it. It is idempotent.
func (m *Moto) Close() error {
	if err := m.proc.stop(0); err != nil {
		return fmt.Errorf("stop moto: %w", err)
	}
	return nil
}

// Reset wipes all of moto's state (POST /moto-api/reset), for callers that
// share one server between independent scenarios.
func (m *Moto) Reset(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.url+"/moto-api/reset", nil)
	if err != nil {
		return fmt.Errorf("reset moto: %w", err)
	}
	client := &http.Client{Transport: &http.Transport{Proxy: nil}}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("reset moto: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("reset moto: status %d", resp.StatusCode)
	}
	return nil
}

// Config returns an SDK config for moto: see AWSConfig.
func (m *Moto) Config(ctx context.Context, region string) (aws.Config, error) {
	if err := ctx.Err(); err != nil {
		return aws.Config{}, fmt.Errorf("moto config: %w", err)
	}
	return AWSConfig(m.url, region)
}

// Env returns the environment a function needs to use moto: see AWSEnv.
func (m *Moto) Env(region string) map[string]string { return AWSEnv(m.url, region) }

// AWSConfig returns a real SDK config that sends every service's calls to
// endpoint (moto, or an awsfault proxy in front of it) with static fake
// credentials. It is built directly, not with config.LoadDefaultConfig, so no
// shared config or credentials file and no AWS_* variable of the caller leaks
// in.
func AWSConfig(endpoint, region string) (aws.Config, error) {
	if endpoint == "" || region == "" {
		return aws.Config{}, fmt.Errorf("aws config: endpoint %q and region %q must both be set", endpoint, region)
	}
	return aws.Config{
		Region:       region,
		Credentials:  aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(fakeAccessKeyID, fakeSecretAccessKey, "")),
		BaseEndpoint: aws.String(endpoint),
	}, nil
}

// AWSEnv returns the environment variables that point a function using
// config.LoadDefaultConfig at endpoint with static fake credentials, and keep
// the developer's ~/.aws files out (merge it into FunctionOptions.Env).
func AWSEnv(endpoint, region string) map[string]string {
	return map[string]string{
		"AWS_ACCESS_KEY_ID":           fakeAccessKeyID,
		"AWS_SECRET_ACCESS_KEY":       fakeSecretAccessKey,
		"AWS_REGION":                  region,
		"AWS_DEFAULT_REGION":          region,
		"AWS_ENDPOINT_URL":            endpoint,
		"AWS_CONFIG_FILE":             "/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
		"AWS_EC2_METADATA_DISABLED":   "true",
	}
}

func withDefaultTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}
