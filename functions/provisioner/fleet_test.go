package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/localenv"
)

// createStreams makes streams in moto in region (a region of the test's
// own: moto's streams are shared by the tests running at the same time).
func createStreams(t *testing.T, st *localenv.Stack, region string, streams map[string]map[string]string) {
	t.Helper()
	cfg := st.AWS.Copy()
	cfg.Region = region
	if err := localenv.CreateStreams(t.Context(), cfg, streams); err != nil {
		t.Fatal(err)
	}
}

type reconcileSummary struct {
	ConnectionID                                    string
	Seen, Selected, Created, AlreadyPresent, Failed int
}

func reconcile(t *testing.T, fn *localenv.Function, region string) reconcileSummary {
	t.Helper()
	inv := invoke(t, fn, []byte(`{"action":"reconcile","accountId":"111122223333","region":"`+region+`"}`))
	if inv.Err != nil {
		t.Fatalf("reconcile failed: %v", inv.Err)
	}
	var out struct {
		Status     string
		Reconciled []reconcileSummary
	}
	if err := json.Unmarshal(inv.Payload, &out); err != nil || out.Status != "reconciled" || len(out.Reconciled) != 1 {
		t.Fatalf("reconcile result = %s", inv.Payload)
	}
	return out.Reconciled[0]
}

// TestBackfillThirtyStreams: streams that existed before the function get
// source connections from a reconciliation, exactly the selected ones; a
// second run creates nothing.
func TestBackfillThirtyStreams(t *testing.T) {
	t.Parallel()
	const region = "eu-west-3"
	st := newStack(t, localenv.StackOptions{})
	streams := map[string]map[string]string{}
	var want []string
	wantDev := 0
	for i := range 30 {
		name := fmt.Sprintf("orders-%02d", i)
		tags := map[string]string{"team": "shop"}
		selected := true
		switch {
		case i%10 == 0:
			name = fmt.Sprintf("scratch-%02d", i) // matches no include pattern
			selected = false
		case i%7 == 0:
			tags["aep-provision"] = "false" // opted out
			selected = false
		case i%5 == 0:
			name += "-test" // excluded by name
			selected = false
		case i == 11:
			name, tags["aep-provision"] = "scratch-11", "true" // opted in despite its name
		case i%4 == 0:
			tags["aep-sandbox"] = "dev-sandbox"
			wantDev++
		}
		streams[name] = tags
		if selected {
			want = append(want, name)
		}
	}
	createStreams(t, st, region, streams)
	fn := startFunction(t, st, map[string]string{"STREAM_INCLUDE": "orders-*", "STREAM_EXCLUDE": "*-test"})

	first := reconcile(t, fn, region)
	if first.Seen != 30 || first.Selected != len(want) || first.Created != len(want) || first.Failed != 0 {
		t.Errorf("first run = %+v, want seen 30, selected and created %d", first, len(want))
	}
	emu := st.Emulator()
	var got []string
	for _, sandbox := range []string{"prod", "dev-sandbox"} {
		for _, s := range emu.SourceConnections(sandbox) {
			got = append(got, s.Params["stream"])
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("streams with a source connection:\n got %v\nwant %v", got, want)
	}
	if n := len(emu.SourceConnections("dev-sandbox")); n != wantDev || len(emu.Connections("dev-sandbox")) != 1 {
		t.Errorf("dev-sandbox: %d source connections and %d base connections, want %d and 1", n, len(emu.Connections("dev-sandbox")), wantDev)
	}

	second := reconcile(t, fn, region)
	if second.Created != 0 || second.AlreadyPresent != len(want) || second.Failed != 0 {
		t.Errorf("second run = %+v, want nothing new", second)
	}
	if n := emu.Count("POST", "/sourceConnections"); n != len(want) {
		t.Errorf("POST /sourceConnections = %d, want %d", n, len(want))
	}
	// Per run: one summary, plus one event per connection created (each
	// stream's, and the base connections of prod and dev-sandbox).
	counts := map[string]int{}
	for _, e := range receive(t, st, 2+len(want)+2) {
		counts[e.DetailType]++
	}
	if counts["Kinesis Reconciliation Completed"] != 2 || counts["Kinesis Connection Provisioned"] != len(want)+2 {
		t.Errorf("published %v, want 2 summaries and %d provisioned", counts, len(want)+2)
	}
}

// TestReconcileRemakesAConnectionDeletedInAdobe.
func TestReconcileRemakesAConnectionDeletedInAdobe(t *testing.T) {
	t.Parallel()
	const region = "eu-north-1"
	st := newStack(t, localenv.StackOptions{})
	createStreams(t, st, region, map[string]map[string]string{"clicks": nil})
	fn := startFunction(t, st, nil)
	first := reconcile(t, fn, region)
	st.Emulator().DeleteConnection("prod", first.ConnectionID)
	second := reconcile(t, fn, region)
	conns := st.Emulator().Connections("prod")
	if second.Created != 1 || len(conns) != 1 || conns[0].ID == first.ConnectionID || second.ConnectionID != conns[0].ID {
		t.Errorf("after Adobe lost the connection: %+v and connections %+v; want it made again", second, conns)
	}
}

// TestKeyRotationReachesAdobe: one secret per region serves two accounts;
// rotating eu-west-1's updates both accounts' eu-west-1 connections (one of
// them with a stale etag) and leaves us-east-2's alone; forged rotation
// events change nothing.
func TestKeyRotationReachesAdobe(t *testing.T) {
	t.Parallel()
	st := newStack(t, localenv.StackOptions{})
	prefix := strings.TrimSuffix(st.Env()["KINESIS_SECRET_ID"], "/kinesis/{accountId}")
	template := prefix + "/region-keys/{region}"
	oldKeys := `{"accessKeyId":"` + localenv.DemoAccessKeyID + `","secretKey":"` + localenv.DemoSecretKey + `"}`
	for _, region := range []string{"eu-west-1", "us-east-2"} {
		if err := localenv.CreateSecret(t.Context(), st.AWS, strings.ReplaceAll(template, "{region}", region), oldKeys); err != nil {
			t.Fatal(err)
		}
	}
	fn := startFunction(t, st, map[string]string{"KINESIS_SECRET_ID": template})
	for _, p := range []struct{ account, region string }{{"111122223333", "eu-west-1"}, {"444455556666", "eu-west-1"}, {"111122223333", "us-east-2"}} {
		payload := fmt.Sprintf(`{"accountId":%q,"region":%q}`, p.account, p.region)
		if inv := invoke(t, fn, []byte(payload)); inv.Err != nil {
			t.Fatalf("provision %s: %v", payload, inv.Err)
		}
	}
	receive(t, st, 3)

	// Someone edited one connection since: its recorded etag is stale.
	ddb := dynamodb.NewFromConfig(st.AWS)
	if _, err := ddb.UpdateItem(t.Context(), &dynamodb.UpdateItemInput{
		TableName: aws.String(st.Env()["CONNECTIONS_TABLE"]),
		Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "444455556666#eu-west-1"}, "sk": &types.AttributeValueMemberS{Value: "base#prod"},
		},
		UpdateExpression:          aws.String("SET etag = :e"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":e": &types.AttributeValueMemberS{Value: `"stale-etag"`}},
	}); err != nil {
		t.Fatal(err)
	}

	const newID, newKey = "AKIAROTATEDKINESIS01", "rotated/Kinesis+Secret/Key/000000000000"
	rotatedName := strings.ReplaceAll(template, "{region}", "eu-west-1")
	if err := localenv.CreateSecret(t.Context(), st.AWS, rotatedName, `{"accessKeyId":"`+newID+`","secretKey":"`+newKey+`"}`); err != nil {
		t.Fatal(err)
	}
	rotation := func(source string) []byte {
		return mustJSON(t, map[string]any{
			"version": "0", "id": "rot-" + source, "detail-type": "AWS Service Event via CloudTrail", "source": source,
			"account": localenv.FunctionAccountID, "time": "2026-12-03T10:00:00Z", "region": "us-east-1", "resources": []string{},
			"detail": map[string]any{
				"eventSource": "secretsmanager.amazonaws.com", "eventName": "RotationSucceeded", "eventType": "AwsServiceEvent",
				"additionalEventData": map[string]string{"SecretId": "arn:aws:secretsmanager:us-east-1:123456789012:secret:" + rotatedName + "-AbCdEf"},
			},
		})
	}
	emu := st.Emulator()
	// Forged: nothing happens.
	if inv := invoke(t, fn, rotation("attacker.secretsmanager")); inv.Err != nil || !strings.Contains(string(inv.Payload), "skipped") {
		t.Errorf("forged rotation = %s, want skipped", inv.Payload)
	}
	for _, r := range emu.Requests() {
		if r.Method == "PATCH" {
			t.Errorf("a forged event led to %s %s", r.Method, r.Path)
		}
	}

	inv := invoke(t, fn, rotation("aws.secretsmanager"))
	var out struct {
		Status      string
		KeysUpdated []struct{ Status, ConnectionID, AccountID, Region, ConnectionTest string }
	}
	if inv.Err != nil || json.Unmarshal(inv.Payload, &out) != nil || out.Status != "keys-updated" || len(out.KeysUpdated) != 2 {
		t.Fatalf("rotation = %s, want two connections updated", inv.Payload)
	}
	for _, u := range out.KeysUpdated {
		if u.Status != "updated" || u.Region != "eu-west-1" || u.ConnectionTest != "passed" {
			t.Errorf("update %+v, want eu-west-1 updated and tested", u)
		}
	}
	for _, c := range emu.Connections("prod") {
		want := localenv.DemoAccessKeyID
		if c.Auth.Params["region"] == "eu-west-1" {
			want = newID
		}
		if c.Auth.Params["accessKeyId"] != want {
			t.Errorf("connection %s in %s has key %s, want %s", c.ID, c.Auth.Params["region"], c.Auth.Params["accessKeyId"], want)
		}
	}
	patches := 0
	for _, r := range emu.Requests() {
		if r.Method == "PATCH" {
			patches++
		}
	}
	if patches != 3 {
		t.Errorf("PATCH requests = %d, want 3 (one refused for its stale etag, then retried)", patches)
	}
	events := receive(t, st, 2)
	for _, e := range events {
		if e.DetailType != "Kinesis Connection Credentials Updated" {
			t.Errorf("published %q, want credentials updated", e.DetailType)
		}
	}
	checkNoSecretsIn(t, "function logs", fn.Logs(), newKey, newID)
}
