package provision_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/adobeemu"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/provision"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/secrets"
)

const secretID = "kinesis/" + account

var rotated = secrets.KinesisKeys{AccessKeyID: "AKIAROTATEDKEY000001", SecretKey: "rotated/Secret/Key/0000000000000000000000"}

func TestCreateRefusedThenRotatedKeysAreUsed(t *testing.T) {
	t.Parallel()
	// "AWS" accepts only the rotated keys; the store still caches the old.
	f := newFixtureWith(t, provision.Config{}, adobeemu.Options{KinesisKeys: map[string]string{rotated.AccessKeyID: rotated.SecretKey}})
	f.keys.Rotate(secretID, rotated)
	res, err := f.svc.Provision(t.Context(), baseReq)
	if err != nil {
		t.Fatalf("Provision() error = %v", err)
	}
	if f.posts() != 2 || f.keys.Forgets(secretID) != 1 {
		t.Errorf("POSTs %d, cache drops %d; want one refused POST, one re-read, one POST with the new keys", f.posts(), f.keys.Forgets(secretID))
	}
	conns := f.emu.Connections("prod")
	if len(conns) != 1 || conns[0].Auth.Params["accessKeyId"] != rotated.AccessKeyID || res.ConnectionTest != provision.TestPassed {
		t.Errorf("connections %+v, test %q; want one with the rotated keys, test passed", conns, res.ConnectionTest)
	}
	if !strings.Contains(strings.Join(res.Warnings, "|"), "had changed") {
		t.Errorf("Warnings = %q, want one about the rotation", res.Warnings)
	}
}

func TestCreateRefusedWithUnchangedKeys(t *testing.T) {
	t.Parallel()
	f := newFixtureWith(t, provision.Config{}, adobeemu.Options{KinesisKeys: map[string]string{rotated.AccessKeyID: rotated.SecretKey}})
	_, err := f.svc.Provision(t.Context(), baseReq)
	var rejected *provision.CredentialsRejectedError
	if !errors.As(err, &rejected) || rejected.SecretID != secretID || !strings.Contains(err.Error(), "credentials rejected") {
		t.Fatalf("Provision() error = %v, want CredentialsRejectedError naming the secret", err)
	}
	if strings.Contains(err.Error(), secretKey) || strings.Contains(err.Error(), keyID) {
		t.Errorf("error leaks the keys: %v", err)
	}
	if f.posts() != 1 || len(f.emu.Connections("prod")) != 0 || len(f.pub.Events()) != 0 {
		t.Errorf("POSTs %d, connections %d, events %d; want 1, 0, 0", f.posts(), len(f.emu.Connections("prod")), len(f.pub.Events()))
	}
	if _, ok := f.ledger.Record(baseKey); ok {
		t.Error("the lock was kept after a definite refusal")
	}
}

func TestFailedTestThenRotatedKeysArePatched(t *testing.T) {
	t.Parallel()
	f := newFixture(t, provision.Config{})
	f.emu.Inject(adobeemu.Fault{Method: "GET", Path: "/connections/*/test", Status: 200, Body: `{"result":false}`})
	f.keys.Rotate(secretID, rotated)
	res, err := f.svc.Provision(t.Context(), baseReq)
	if err != nil {
		t.Fatal(err)
	}
	conns := f.emu.Connections("prod")
	if len(conns) != 1 || conns[0].Auth.Params["accessKeyId"] != rotated.AccessKeyID || conns[0].Auth.Params["secretKey"] != rotated.SecretKey {
		t.Fatalf("connection auth = %v, want the rotated keys", conns[0].Auth.Params)
	}
	if res.ConnectionTest != provision.TestPassed || res.ETag != conns[0].ETag {
		t.Errorf("test %q etag %s; want passed and the connection's new etag %s", res.ConnectionTest, res.ETag, conns[0].ETag)
	}
	if got := f.emu.Count("PATCH", "/connections/"+conns[0].ID); got != 1 {
		t.Errorf("PATCH /connections/{id} = %d, want 1", got)
	}
}
