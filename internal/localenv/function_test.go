package localenv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestFunctionInvoke(t *testing.T) {
	t.Parallel()
	f := startEcho(t, FunctionOptions{Name: "echo-invoke"})
	tests := []struct {
		name    string
		payload string
		opts    []InvokeOption
		want    Invocation // RequestID is checked separately
	}{
		{
			name:    "echo",
			payload: `{"hello":"world"}`,
			want:    Invocation{Payload: []byte(`{"hello":"world"}`), Status: 200},
		},
		{
			name:    "echo a JSON string",
			payload: `"just a string"`,
			want:    Invocation{Payload: []byte(`"just a string"`), Status: 200},
		},
		{
			name:    "handler error",
			payload: `{"fail":true}`,
			want: Invocation{
				Payload: []byte(`{"errorMessage":"echofn: asked to fail","errorType":"errorString"}`),
				Err:     &FunctionError{ErrorType: "errorString", ErrorMessage: "echofn: asked to fail"},
				Status:  200,
			},
		},
		{
			name:    "fixed request id",
			payload: `{"n":1}`,
			opts:    []InvokeOption{WithRequestID("11111111-2222-4333-8444-555555555555")},
			want:    Invocation{Payload: []byte(`{"n":1}`), Status: 200},
		},
	}
	for _, tt := range tests {
		// Not parallel: one Function serves one invoke at a time anyway.
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.Invoke(t.Context(), []byte(tt.payload), tt.opts...)
			if err != nil {
				t.Fatalf("Invoke(%s) = %v", tt.payload, err)
			}
			if got.RequestID == "" {
				t.Errorf("Invoke(%s).RequestID is empty", tt.payload)
			}
			if want := "START RequestId: " + got.RequestID; !strings.Contains(f.Logs(), want) {
				t.Errorf("Logs() after Invoke(%s) lacks %q", tt.payload, want)
			}
			if want := "echofn: request " + got.RequestID; !strings.Contains(f.Logs(), want) {
				t.Errorf("Logs() after Invoke(%s) lacks the function's own line %q", tt.payload, want)
			}
			if got.Latency <= 0 {
				t.Errorf("Invoke(%s).Latency = %v, want > 0", tt.payload, got.Latency)
			}
			got.RequestID, got.Latency = "", 0
			if diff := cmp.Diff(&tt.want, got); diff != "" {
				t.Errorf("Invoke(%s) mismatch (-want +got):\n%s", tt.payload, diff)
			}
		})
	}
	t.Run("request id is passed to the function", func(t *testing.T) {
		id := "11111111-2222-4333-8444-555555555555"
		if !strings.Contains(f.Logs(), "echofn: request "+id) {
			t.Errorf("Logs() lacks the function seeing request id %q", id)
		}
	})
}

func TestFunctionEnvironmentIsClean(t *testing.T) {
	// Not parallel: sets variables in this process that must not reach the
	// function.
	t.Setenv("LOCALENV_CANARY", "leaked")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "parent-secret")
	f := startEcho(t, FunctionOptions{
		Name:    "echo-env",
		Timeout: 1500 * time.Millisecond,
		Env:     map[string]string{"GREETING": "hello", "AWS_REGION": "eu-west-1"},
	})
	names := []string{"LOCALENV_CANARY", "AWS_SECRET_ACCESS_KEY", "GREETING", "AWS_REGION",
		"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_TIMEOUT", "PATH"}
	payload, err := json.Marshal(map[string]any{"env": names})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := f.Invoke(t.Context(), payload)
	if err != nil {
		t.Fatalf("Invoke(%s) = %v", payload, err)
	}
	var got struct {
		Env map[string]string `json:"env"`
		ARN string            `json:"arn"`
	}
	if err := json.Unmarshal(inv.Payload, &got); err != nil {
		t.Fatalf("Invoke(%s) payload %s: %v", payload, inv.Payload, err)
	}
	want := struct {
		Env map[string]string `json:"env"`
		ARN string            `json:"arn"`
	}{
		Env: map[string]string{
			"GREETING":   "hello",
			"AWS_REGION": "eu-west-1",
			// The RIE always defines the credential variables, from its own
			// (clean) environment: empty, not the parent's value.
			"AWS_SECRET_ACCESS_KEY":       "",
			"AWS_LAMBDA_FUNCTION_NAME":    "echo-env",
			"AWS_LAMBDA_FUNCTION_TIMEOUT": "2", // rounded up
			"PATH":                        os.Getenv("PATH"),
		},
		ARN: "arn:aws:lambda:us-east-1:012345678912:function:echo-env",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("function environment mismatch (-want +got):\n%s", diff)
	}
}

func TestFunctionTimeout(t *testing.T) {
	t.Parallel()
	f := startEcho(t, FunctionOptions{Name: "echo-timeout", Timeout: time.Second})
	got, err := f.Invoke(t.Context(), []byte(`{"sleep":5}`))
	if err != nil {
		t.Fatalf("Invoke(sleep past the timeout) = %v", err)
	}
	// The caller waited for the whole timeout.
	if got.Latency < time.Second {
		t.Errorf("Invoke(sleep past the timeout).Latency = %v, want at least the 1s timeout", got.Latency)
	}
	want := &Invocation{Payload: []byte("Task timed out after 1.00 seconds"), TimedOut: true, Status: 200, RequestID: got.RequestID, Latency: got.Latency}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Invoke(sleep past the timeout) mismatch (-want +got):\n%s", diff)
	}
	// The RIE kills the timed-out runtime and starts a fresh one on the next
	// invoke, as Lambda does.
	again, err := f.Invoke(t.Context(), []byte(`{"after":"timeout"}`))
	if err != nil {
		t.Fatalf("Invoke() after a timeout = %v", err)
	}
	if got, want := string(again.Payload), `{"after":"timeout"}`; got != want {
		t.Errorf("Invoke() after a timeout = %s, want %s", got, want)
	}
}

func TestFunctionsInParallel(t *testing.T) {
	t.Parallel()
	fns := []*Function{
		startEcho(t, FunctionOptions{Name: "echo-a"}),
		startEcho(t, FunctionOptions{Name: "echo-b"}),
	}
	const perFunction = 3 // issued concurrently: each Function queues its own
	type result struct {
		fn, i     int
		payload   string
		requestID string
		err       error
	}
	results := make(chan result, len(fns)*perFunction)
	var wg sync.WaitGroup
	for fn, f := range fns {
		for i := range perFunction {
			wg.Go(func() {
				payload := fmt.Sprintf(`{"fn":%d,"i":%d,"sleep":0.2}`, fn, i)
				inv, err := f.Invoke(t.Context(), []byte(payload))
				r := result{fn: fn, i: i, err: err}
				if err == nil {
					r.payload, r.requestID = string(inv.Payload), inv.RequestID
					if inv.Err != nil || inv.TimedOut {
						r.err = fmt.Errorf("invocation %+v", inv)
					}
				}
				results <- r
			})
		}
	}
	wg.Wait()
	close(results)
	for r := range results {
		want := fmt.Sprintf(`{"fn":%d,"i":%d,"sleep":0.2}`, r.fn, r.i)
		if r.err != nil || r.payload != want {
			t.Errorf("function %d Invoke(%s) = %s, %v; want %s", r.fn, want, r.payload, r.err, want)
			continue
		}
		// Each invoke ran in the Function it was sent to.
		for other, f := range fns {
			if ran := strings.Contains(f.Logs(), "echofn: request "+r.requestID); ran != (other == r.fn) {
				t.Errorf("function %d logs contain request %s of function %d: %v, want %v", other, r.requestID, r.fn, ran, other == r.fn)
			}
		}
	}
}

func TestFunctionKill(t *testing.T) {
	t.Parallel()
	f := startEcho(t, FunctionOptions{Name: "echo-kill"})
	const id = "99999999-8888-4777-8666-555555555555"
	errc := make(chan error, 1)
	go func() {
		_, err := f.Invoke(t.Context(), []byte(`{"sleep":60}`), WithRequestID(id))
		errc <- err
	}()
	// Kill only once the function is inside the handler.
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if err := f.WaitLog(ctx, "echofn: request "+id); err != nil {
		t.Fatalf("WaitLog() = %v", err)
	}
	if err := f.Kill(); err != nil {
		t.Fatalf("Kill() = %v", err)
	}
	if err := <-errc; err == nil {
		t.Errorf("Invoke() in flight during Kill() = nil error, want an error")
	}
	if _, err := f.Invoke(t.Context(), []byte(`{}`)); err == nil {
		t.Errorf("Invoke() after Kill() = nil error, want an error")
	}
	for _, stop := range []func() error{f.Kill, f.Close} {
		if err := stop(); err != nil {
			t.Errorf("Kill/Close after Kill() = %v, want nil", err)
		}
	}
}

func TestStartFunctionErrors(t *testing.T) {
	t.Parallel()
	rie, bootstrap := requireEchoFunction(t)
	tests := []struct {
		name string
		opts FunctionOptions
	}{
		{name: "no RIE", opts: FunctionOptions{Bootstrap: bootstrap}},
		{name: "no bootstrap", opts: FunctionOptions{RIE: rie}},
		{name: "missing bootstrap", opts: FunctionOptions{RIE: rie, Bootstrap: bootstrap + ".missing"}},
		{name: "bad env name", opts: FunctionOptions{RIE: rie, Bootstrap: bootstrap, Env: map[string]string{"A=B": "c"}}},
		{name: "negative timeout", opts: FunctionOptions{RIE: rie, Bootstrap: bootstrap, Timeout: -time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, err := StartFunction(t.Context(), tt.opts)
			if err == nil {
				_ = f.Close()
				t.Fatalf("StartFunction(%+v) = nil error, want an error", tt.opts)
			}
		})
	}
}

func TestParseFunctionError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want *FunctionError
	}{
		{name: "aws-lambda-go error", body: `{"errorMessage":"boom","errorType":"errorString"}`,
			want: &FunctionError{ErrorType: "errorString", ErrorMessage: "boom"}},
		{name: "panic with stack trace", body: `{"errorMessage":"x","errorType":"runtime.Error","stackTrace":[]}`,
			want: &FunctionError{ErrorType: "runtime.Error", ErrorMessage: "x"}},
		{name: "empty message", body: `{"errorMessage":"","errorType":"T"}`, want: &FunctionError{ErrorType: "T"}},
		{name: "result object", body: `{"connectionId":"c-1"}`},
		{name: "only errorMessage", body: `{"errorMessage":"not an envelope"}`},
		{name: "empty errorType", body: `{"errorMessage":"m","errorType":""}`},
		{name: "non-string errorType", body: `{"errorMessage":"m","errorType":1}`},
		{name: "array", body: `[1,2]`},
		{name: "not JSON", body: `Task timed out after 1.00 seconds`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, parseFunctionError([]byte(tt.body))); diff != "" {
				t.Errorf("parseFunctionError(%s) mismatch (-want +got):\n%s", tt.body, diff)
			}
		})
	}
}

func TestFunctionErrorIsAnError(t *testing.T) {
	t.Parallel()
	var err error = &FunctionError{ErrorType: "T", ErrorMessage: "m"}
	var fe *FunctionError
	if !errors.As(fmt.Errorf("wrapped: %w", err), &fe) || fe.ErrorType != "T" {
		t.Errorf("errors.As(wrapped FunctionError) = %v, %+v; want true and the error", fe != nil, fe)
	}
}
