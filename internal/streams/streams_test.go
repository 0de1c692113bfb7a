package streams_test

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/localenv"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/secrets"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/streams"
)

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

// TestListPagesThroughStreamsAndTags lists 30 streams against moto with the
// real SDK client (ListStreams answers 10 per page there).
func TestListPagesThroughStreamsAndTags(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("needs moto_server")
	}
	if motoServer.err != nil {
		t.Fatal(motoServer.err)
	}
	region := "eu-central-1" // a region of its own: moto's state is shared by the tests
	cfg, err := motoServer.moto.Config(t.Context(), region)
	if err != nil {
		t.Fatal(err)
	}
	prefix := strings.ToLower(rand.Text()[:6])
	want := map[string]map[string]string{}
	for i := range 30 {
		tags := map[string]string{"n": fmt.Sprint(i)}
		if i%3 == 0 {
			tags["aep-provision"] = "false"
		}
		want[fmt.Sprintf("%s-%02d", prefix, i)] = tags
	}
	if err := localenv.CreateStreams(t.Context(), cfg, want); err != nil {
		t.Fatal(err)
	}
	got, err := streams.NewLister(cfg).List(t.Context(), secrets.KinesisKeys{AccessKeyID: "AKIATESTKEY", SecretKey: "test"}, region)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]map[string]string{}
	for _, s := range got {
		if strings.HasPrefix(s.Name, prefix) {
			seen[s.Name] = s.Tags
		}
	}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("listed streams and tags (-want +got):\n%s", diff)
	}
	names := make([]string, 0, len(got))
	for _, s := range got {
		names = append(names, s.Name)
	}
	if len(slices.Compact(slices.Sorted(slices.Values(names)))) != len(names) {
		t.Error("a stream was listed twice")
	}
}
