package awsfault

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestAfterForwardsThenFails(t *testing.T) {
	t.Parallel()
	const op = "DynamoDB_20120810.PutItem"
	tests := []struct {
		name    string
		fault   Fault
		want    response
		wantErr bool // the client sees a transport error
	}{
		{name: "server error", fault: Fault{Operation: op, Kind: ServerError, After: true},
			want: response{500, `{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"awsfault: injected server error"}`}},
		{name: "status", fault: Fault{Operation: op, Kind: Status, Status: 503, Body: "{}", After: true}, want: response{503, "{}"}},
		{name: "malformed", fault: Fault{Operation: op, Kind: Malformed, Body: `{"Attributes":`, After: true}, want: response{200, `{"Attributes":`}},
		{name: "reset", fault: Fault{Operation: op, Kind: Reset, After: true}, wantErr: true},
		{name: "hang", fault: Fault{Operation: op, Kind: Hang, After: true}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, up, url := newFront(t)
			p.Inject(tt.fault)
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
			defer cancel()
			got, err := call(ctx, url, op, `{"TableName":"t"}`)
			switch {
			case tt.wantErr && err == nil:
				t.Errorf("call(%s) with %v after forwarding = %+v, want an error", op, tt.fault.Kind, got)
			case !tt.wantErr && err != nil:
				t.Errorf("call(%s) with %v after forwarding: %v", op, tt.fault.Kind, err)
			case !tt.wantErr:
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("answer mismatch (-want +got):\n%s", diff)
				}
			}
			if diff := cmp.Diff([]string{op}, up.forwarded()); diff != "" {
				t.Errorf("forwarded upstream mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAfterIsIgnoredByDelayAndPartialFailure(t *testing.T) {
	t.Parallel()
	p, up, url := newFront(t)
	p.Inject(Fault{Operation: PutEventsOperation, Kind: PartialFailure, After: true})
	got, err := call(t.Context(), url, PutEventsOperation, `{"Entries":[{}]}`)
	if err != nil {
		t.Fatal(err)
	}
	want := response{200, `{"FailedEntryCount":1,"Entries":[{"ErrorCode":"InternalFailure","ErrorMessage":"awsfault: injected entry failure"}]}`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("partial failure answer mismatch (-want +got):\n%s", diff)
	}
	p.Inject(Fault{Operation: PutEventsOperation, Kind: Delay, Delay: time.Millisecond, After: true})
	if got, err := call(t.Context(), url, PutEventsOperation, "{}"); err != nil || got.Status != 200 {
		t.Errorf("call with a Delay fault = %+v, %v; want upstream's answer", got, err)
	}
	if diff := cmp.Diff([]string{PutEventsOperation}, up.forwarded()); diff != "" {
		t.Errorf("forwarded upstream mismatch (-want +got), want only the delayed call once:\n%s", diff)
	}
}

func TestClearFaultsKeepsCallsAndFaulted(t *testing.T) {
	t.Parallel()
	const op = "secretsmanager.GetSecretValue"
	p, _, url := newFront(t)
	p.Inject(Fault{Operation: op, Kind: ServerError, Times: -1})
	var got []int
	for i := range 3 {
		if i == 2 {
			p.ClearFaults()
		}
		resp, err := call(t.Context(), url, op, "{}")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, resp.Status)
	}
	if diff := cmp.Diff([]int{500, 500, 200}, got); diff != "" {
		t.Errorf("statuses around ClearFaults() mismatch (-want +got):\n%s", diff)
	}
	if n := p.Calls(op); n != 3 {
		t.Errorf("Calls(%s) after ClearFaults() = %d, want 3", op, n)
	}
	if n := p.Faulted(); n != 2 {
		t.Errorf("Faulted() after ClearFaults() = %d, want 2", n)
	}
	p.Reset()
	if n := p.Faulted(); n != 0 {
		t.Errorf("Faulted() after Reset() = %d, want 0", n)
	}
}

func TestBodyContainsSelectsRequests(t *testing.T) {
	t.Parallel()
	const op = "DynamoDB_20120810.UpdateItem"
	p, up, url := newFront(t)
	p.Inject(Fault{Operation: op, Kind: Status, Status: 503, BodyContains: "#announced = :true", Times: -1})
	var got []int
	for _, body := range []string{
		`{"UpdateExpression":"SET #state = :ready"}`,
		`{"UpdateExpression":"SET #announced = :true"}`,
		`{"UpdateExpression":"SET #verifiedAt = :at"}`,
	} {
		resp, err := call(t.Context(), url, op, body)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, resp.Status)
	}
	if diff := cmp.Diff([]int{200, 503, 200}, got); diff != "" {
		t.Errorf("statuses mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{op, op}, up.forwarded()); diff != "" {
		t.Errorf("forwarded upstream mismatch (-want +got):\n%s", diff)
	}
	if n := p.Faulted(); n != 1 {
		t.Errorf("Faulted() = %d, want 1", n)
	}
}
