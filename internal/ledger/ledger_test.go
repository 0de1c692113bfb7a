package ledger_test

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/ledger"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/localenv"
)

// The ledger's conditional writes are tested against moto's DynamoDB, with
// the real SDK client: their semantics are the point.
var motoServer struct {
	moto *localenv.Moto
	err  error
}

func TestMain(m *testing.M) {
	flag.Parse()
	if !testing.Short() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		motoServer.moto, motoServer.err = localenv.StartMoto(ctx, localenv.MotoOptions{})
		cancel()
	}
	code := m.Run()
	if motoServer.moto != nil {
		_ = motoServer.moto.Close()
	}
	os.Exit(code)
}

// newTable creates a fresh table on moto and returns the ledger on it and a
// raw client.
func newTable(t *testing.T) (*ledger.Table, *dynamodb.Client, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs moto_server")
	}
	if motoServer.err != nil {
		t.Fatalf("moto: %v", motoServer.err)
	}
	cfg, err := motoServer.moto.Config(t.Context(), "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	name := "ledger-" + strings.ToLower(rand.Text()[:12])
	if err := localenv.CreateTable(t.Context(), cfg, name); err != nil {
		t.Fatal(err)
	}
	client := dynamodb.NewFromConfig(cfg)
	tbl, err := ledger.New(client, name)
	if err != nil {
		t.Fatal(err)
	}
	return tbl, client, name
}

var base = ledger.Key{AccountID: "111122223333", Region: "eu-west-1", Sandbox: "prod"}

func get(t *testing.T, tbl *ledger.Table, k ledger.Key) (ledger.Record, bool) {
	t.Helper()
	recs, err := tbl.Get(t.Context(), k)
	if err != nil {
		t.Fatalf("Get(%v) error = %v", k, err)
	}
	r, ok := recs[k]
	return r, ok
}

func TestLockLifecycle(t *testing.T) {
	t.Parallel()
	tbl, client, name := newTable(t)
	ctx := t.Context()
	until := time.Now().Add(time.Minute)

	if _, ok := get(t, tbl, base); ok {
		t.Fatal("Get() found a record in an empty table")
	}
	if ok, err := tbl.Acquire(ctx, base, "A", until, ""); err != nil || !ok {
		t.Fatalf("Acquire(A) = %v, %v; want true", ok, err)
	}
	if ok, err := tbl.Acquire(ctx, base, "B", until, ""); err != nil || ok {
		t.Fatalf("Acquire(B) while A holds the lock = %v, %v; want false", ok, err)
	}
	rec, _ := get(t, tbl, base)
	if rec.State != ledger.Pending || rec.LockOwner != "A" || !rec.LockedAt(time.Now()) {
		t.Errorf("pending record = %+v, want locked by A", rec)
	}
	raw, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(name), Key: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "111122223333#eu-west-1"}, "sk": &types.AttributeValueMemberS{Value: "base#prod"},
	}})
	if err != nil || raw.Item["expiresAt"] == nil {
		t.Errorf("pending record has no TTL attribute: %v %v", raw, err)
	}

	if err := tbl.Complete(ctx, base, "B", ledger.Completion{ConnectionID: "c-1"}); !errors.Is(err, ledger.ErrLockLost) {
		t.Errorf("Complete(B) error = %v, want ErrLockLost", err)
	}
	if err := tbl.Complete(ctx, base, "A", ledger.Completion{ConnectionID: "c-1", ETag: `"e1"`, Name: "Amazon Kinesis 111122223333 eu-west-1", CreatedBy: "evt-1"}); err != nil {
		t.Fatalf("Complete(A) error = %v", err)
	}
	rec, _ = get(t, tbl, base)
	want := ledger.Record{Key: base, State: ledger.Ready, ConnectionID: "c-1", ETag: `"e1"`, Name: "Amazon Kinesis 111122223333 eu-west-1", CreatedBy: "evt-1"}
	if diff := cmp.Diff(want, rec, cmpopts.IgnoreFields(ledger.Record{}, "VerifiedAt", "UpdatedAt")); diff != "" {
		t.Errorf("ready record (-want +got):\n%s", diff)
	}
	if rec.VerifiedAt.IsZero() {
		t.Error("ready record has no VerifiedAt")
	}
	raw, err = client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(name), Key: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "111122223333#eu-west-1"}, "sk": &types.AttributeValueMemberS{Value: "base#prod"},
	}})
	if err != nil || raw.Item["expiresAt"] != nil || raw.Item["lockOwner"] != nil {
		t.Errorf("ready record keeps lock or TTL attributes: %v %v", raw.Item, err)
	}

	if ok, err := tbl.Acquire(ctx, base, "C", until, ""); err != nil || ok {
		t.Errorf("Acquire(C) on a ready record = %v, %v; want false", ok, err)
	}
	if ok, err := tbl.Acquire(ctx, base, "C", until, "c-other"); err != nil || ok {
		t.Errorf("Acquire(C) replacing another id = %v, %v; want false", ok, err)
	}
	if ok, err := tbl.Acquire(ctx, base, "C", until, "c-1"); err != nil || !ok {
		t.Errorf("Acquire(C) replacing c-1 = %v, %v; want true", ok, err)
	}
	if err := tbl.Release(ctx, base, "A"); !errors.Is(err, ledger.ErrLockLost) {
		t.Errorf("Release(A) error = %v, want ErrLockLost", err)
	}
	if err := tbl.Release(ctx, base, "C"); err != nil {
		t.Errorf("Release(C) error = %v", err)
	}
	if _, ok := get(t, tbl, base); ok {
		t.Error("the record survived Release")
	}
}

func TestExpiredLockIsTakenOver(t *testing.T) {
	t.Parallel()
	tbl, _, _ := newTable(t)
	ctx := t.Context()
	if ok, err := tbl.Acquire(ctx, base, "dead", time.Now().Add(-time.Second), ""); err != nil || !ok {
		t.Fatalf("Acquire(dead) = %v, %v", ok, err)
	}
	if ok, err := tbl.Acquire(ctx, base, "next", time.Now().Add(time.Minute), ""); err != nil || !ok {
		t.Fatalf("Acquire after the lock expired = %v, %v; want true", ok, err)
	}
	if err := tbl.Complete(ctx, base, "dead", ledger.Completion{ConnectionID: "late"}); !errors.Is(err, ledger.ErrLockLost) {
		t.Errorf("Complete by the expired owner error = %v, want ErrLockLost", err)
	}
}

func TestAnnouncedAndTouch(t *testing.T) {
	t.Parallel()
	tbl, _, _ := newTable(t)
	ctx := t.Context()
	if ok, err := tbl.Acquire(ctx, base, "A", time.Now().Add(time.Minute), ""); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if err := tbl.Complete(ctx, base, "A", ledger.Completion{ConnectionID: "c-1"}); err != nil {
		t.Fatal(err)
	}
	if rec, _ := get(t, tbl, base); rec.Announced {
		t.Error("a created connection is announced before MarkAnnounced")
	}
	if err := tbl.Annotate(ctx, base, "c-2", ledger.Note{Announced: true}); !errors.Is(err, ledger.ErrLockLost) {
		t.Errorf("Annotate(other id) error = %v, want ErrLockLost", err)
	}
	if err := tbl.Annotate(ctx, base, "c-1", ledger.Note{Announced: true, Test: "passed"}); err != nil {
		t.Fatal(err)
	}
	if rec, _ := get(t, tbl, base); !rec.Announced || rec.Test != "passed" || rec.ETag != "" {
		t.Errorf("after Annotate: %+v, want announced, test passed, etag untouched", rec)
	}
	at := time.UnixMilli(time.Now().Add(time.Hour).UnixMilli())
	if err := tbl.Touch(ctx, base, "c-1", at); err != nil {
		t.Fatal(err)
	}
	rec, _ := get(t, tbl, base)
	if !rec.Announced || !rec.VerifiedAt.Equal(at) {
		t.Errorf("record = %+v, want announced and verified at %v", rec, at)
	}
	if err := tbl.Annotate(ctx, base, "c-1", ledger.Note{ETag: `"e2"`}); err != nil {
		t.Fatal(err)
	}
	if rec, _ := get(t, tbl, base); rec.ETag != `"e2"` || !rec.Announced || rec.Test != "passed" {
		t.Errorf("after Annotate(etag): %+v, want the etag changed and the rest kept", rec)
	}
	if err := tbl.Delete(ctx, base, "c-1"); err != nil {
		t.Fatal(err)
	}
	if _, ok := get(t, tbl, base); ok {
		t.Error("the record survived Delete")
	}
}

func TestGetSeveralKeysInOneCall(t *testing.T) {
	t.Parallel()
	tbl, _, _ := newTable(t)
	ctx := t.Context()
	stream := base
	stream.Stream = "orders.v2"
	missing := base
	missing.Stream = "nope"
	for _, k := range []ledger.Key{base, stream} {
		if ok, err := tbl.Acquire(ctx, k, "A", time.Now().Add(time.Minute), ""); !ok || err != nil {
			t.Fatal(ok, err)
		}
	}
	if err := tbl.Complete(ctx, stream, "A", ledger.Completion{ConnectionID: "src-1", BaseConnectionID: "c-1"}); err != nil {
		t.Fatal(err)
	}
	recs, err := tbl.Get(ctx, base, stream, missing)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[base].State != ledger.Pending || recs[stream].ConnectionID != "src-1" || recs[stream].BaseConnectionID != "c-1" {
		t.Errorf("Get(base, stream, missing) = %+v", recs)
	}

	// The same stream in another sandbox, and another stream whose name
	// starts alike: Stream finds exactly the stream's records.
	dev := stream
	dev.Sandbox = "dev"
	other := stream
	other.Stream = "orders.v2-archive"
	for _, k := range []ledger.Key{dev, other} {
		if ok, err := tbl.Acquire(ctx, k, "A", time.Now().Add(time.Minute), ""); !ok || err != nil {
			t.Fatal(ok, err)
		}
	}
	got, err := tbl.Stream(ctx, base.AccountID, base.Region, "orders.v2")
	if err != nil {
		t.Fatal(err)
	}
	var keys []ledger.Key
	for _, r := range got {
		keys = append(keys, r.Key)
	}
	if diff := cmp.Diff([]ledger.Key{dev, stream}, keys, cmpopts.SortSlices(func(a, b ledger.Key) bool { return a.Sandbox < b.Sandbox })); diff != "" {
		t.Errorf("Stream(orders.v2) keys (-want +got):\n%s", diff)
	}
	all, err := tbl.Region(ctx, base.AccountID, base.Region)
	if err != nil || len(all) != 4 {
		t.Errorf("Region() = %d records, %v; want 4", len(all), err)
	}
	region2 := ledger.Key{AccountID: "444455556666", Region: "us-east-2", Sandbox: "prod"}
	if ok, err := tbl.Acquire(ctx, region2, "A", time.Now().Add(time.Minute), ""); !ok || err != nil {
		t.Fatal(ok, err)
	}
	bases, err := tbl.Bases(ctx, "")
	if err != nil || len(bases) != 2 {
		t.Errorf("Bases(all) = %d records, %v; want 2", len(bases), err)
	}
	bases, err = tbl.Bases(ctx, "444455556666")
	if err != nil || len(bases) != 1 || bases[0].Key != region2 {
		t.Errorf("Bases(444455556666) = %+v, %v; want the one base", bases, err)
	}
}

func TestConcurrentAcquireHasOneWinner(t *testing.T) {
	t.Parallel()
	tbl, _, _ := newTable(t)
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			ok, err := tbl.Acquire(t.Context(), base, "owner-"+string(rune('a'+i)), time.Now().Add(time.Minute), "")
			if err != nil {
				t.Errorf("Acquire error = %v", err)
			}
			if ok {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if got := wins.Load(); got != 1 {
		t.Errorf("winners = %d, want exactly 1", got)
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	if _, err := ledger.New(nil, "t"); err == nil {
		t.Error("New(nil client) error = nil")
	}
	if _, err := ledger.New(&dynamodb.Client{}, ""); err == nil {
		t.Error("New(empty name) error = nil")
	}
}
