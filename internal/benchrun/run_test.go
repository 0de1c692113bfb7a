package benchrun

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"
)

func TestCheckOutcome(t *testing.T) {
	t.Parallel()
	const ok = `{"status":"provisioned","result":{"connectionId":"c1","created":true,"accountId":"210000000001","streamName":"s1"}}`
	tests := []struct {
		name    string
		payload string
		want    expectation
		wantID  string
		wantErr bool
	}{
		{name: "provisioned", payload: ok, want: expectation{status: "provisioned", account: "210000000001", stream: "s1", created: true}, wantID: "c1"},
		{name: "account and stream not checked when unset", payload: ok, want: expectation{status: "provisioned"}, wantID: "c1"},
		{name: "skipped as expected", payload: `{"status":"skipped","reason":"not handled"}`, want: expectation{status: "skipped"}},
		{name: "skipped instead of provisioned", payload: `{"status":"skipped","reason":"account not served"}`, want: expectation{status: "provisioned"}, wantErr: true},
		{name: "no result", payload: `{"status":"provisioned"}`, want: expectation{status: "provisioned"}, wantErr: true},
		{name: "no connection id", payload: `{"status":"provisioned","result":{"accountId":"1"}}`, want: expectation{status: "provisioned"}, wantErr: true},
		{name: "other account", payload: ok, want: expectation{status: "provisioned", account: "310000000001"}, wantErr: true},
		{name: "other stream", payload: ok, want: expectation{status: "provisioned", stream: "s2"}, wantErr: true},
		{name: "not created", payload: strings.Replace(ok, `"created":true`, `"created":false`, 1), want: expectation{status: "provisioned", created: true}, wantErr: true},
		{name: "not JSON", payload: `Task timed out`, want: expectation{status: "provisioned"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			id, err := checkOutcome([]byte(tt.payload), tt.want)
			if (err != nil) != tt.wantErr {
				t.Fatalf("checkOutcome(%s, %+v) error = %v, want error %v", tt.payload, tt.want, err, tt.wantErr)
			}
			if id != tt.wantID {
				t.Errorf("checkOutcome(%s, %+v) = %q, want %q", tt.payload, tt.want, id, tt.wantID)
			}
		})
	}
}

func TestProvisionEvent(t *testing.T) {
	t.Parallel()
	var got events.EventBridgeEvent
	if err := json.Unmarshal(provisionEvent("id-1", "210000000001", "bench-cold-0001"), &got); err != nil {
		t.Fatalf("provisionEvent() is not an EventBridge event: %v", err)
	}
	if got.ID != "id-1" || got.DetailType != "Provision Kinesis Connection" || got.Source != "custom.kinesis.provisioning" || got.AccountID != "210000000001" {
		t.Errorf("provisionEvent() envelope = %+v, want id-1, the custom provisioning type and source, account 210000000001", got)
	}
	var detail map[string]string
	if err := json.Unmarshal(got.Detail, &detail); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"region": eventRegion, "streamName": "bench-cold-0001", "accountId": "210000000001"}
	if diff := cmp.Diff(want, detail); diff != "" {
		t.Errorf("provisionEvent() detail mismatch (-want +got):\n%s", diff)
	}
	var noop events.EventBridgeEvent
	if err := json.Unmarshal(noopEvent(), &noop); err != nil || noop.DetailType == "Provision Kinesis Connection" || noop.Source == "custom.kinesis.provisioning" {
		t.Errorf("noopEvent() = %+v, %v; want an event no trigger handles", noop, err)
	}
}

func TestAccounts(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{newStreamAccount: true, replayAccount: true}
	for i := range 1000 {
		for _, a := range []string{coldAccount(i), floorAccount(i)} {
			if len(a) != 12 || strings.Trim(a, "0123456789") != "" {
				t.Fatalf("account %q is not 12 digits", a)
			}
			if seen[a] {
				t.Fatalf("account %q is used twice", a)
			}
			seen[a] = true
		}
	}
}

func TestWarmSpecStreams(t *testing.T) {
	t.Parallel()
	spec := warmSpecs()[0]
	if spec.id != ScenarioNewStream {
		t.Fatalf("warmSpecs()[0] = %s, want scenario (b)", spec.id)
	}
	streams := map[string]bool{}
	for _, i := range []int{-2, -1, 0, 1} {
		payload, rewrite := spec.event(i)
		var e events.EventBridgeEvent
		if err := json.Unmarshal(payload, &e); err != nil {
			t.Fatal(err)
		}
		var d map[string]string
		if err := json.Unmarshal(e.Detail, &d); err != nil {
			t.Fatal(err)
		}
		floor := rewrite.Replace(d["streamName"])
		if len(floor) != len(d["streamName"]) {
			t.Errorf("event(%d): floor stream %q and stream %q differ in length", i, floor, d["streamName"])
		}
		for _, s := range []string{d["streamName"], floor} {
			if streams[s] {
				t.Errorf("event(%d): stream %q used twice", i, s)
			}
			streams[s] = true
		}
	}
}
