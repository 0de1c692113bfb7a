package flowservicetest_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/flowservice"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/flowservice/flowservicetest"
)

var (
	_ flowservice.TokenSource = (*flowservicetest.TokenSource)(nil)
	_ flowservice.Invalidator = (*flowservicetest.TokenSource)(nil)
)

func TestTokenSource(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	base := flowservice.Token{AccessToken: "tok", APIKey: "key", OrgID: "org@AdobeOrg"}
	ts := flowservicetest.NewTokenSource(base)

	got, err := ts.Token(ctx)
	if err != nil {
		t.Fatalf("Token() error = %v", err)
	}
	if diff := cmp.Diff(base, got); diff != "" {
		t.Errorf("Token() mismatch (-want +got):\n%s", diff)
	}

	ts.Invalidate("stale") // not current: no rotation
	ts.Invalidate("tok")
	got, err = ts.Token(ctx)
	if err != nil {
		t.Fatalf("Token() after Invalidate error = %v", err)
	}
	if want := "tok-2"; got.AccessToken != want {
		t.Errorf("Token() after Invalidate = %q, want %q", got.AccessToken, want)
	}
	if diff := cmp.Diff([]string{"stale", "tok"}, ts.Invalidations()); diff != "" {
		t.Errorf("Invalidations() mismatch (-want +got):\n%s", diff)
	}

	boom := errors.New("boom")
	ts.Fail(boom)
	if _, err := ts.Token(ctx); !errors.Is(err, boom) {
		t.Errorf("Token() after Fail = %v, want %v", err, boom)
	}
	if got, want := ts.Calls(), 3; got != want {
		t.Errorf("Calls() = %d, want %d", got, want)
	}
}
