package adobeemu

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/contracts"
)

func TestCreateConnection(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	resp := f.flow(http.MethodPost, "/connections", connectionBody(t, nil))
	if resp.status != http.StatusCreated {
		t.Fatalf("POST /connections status = %d, want 201 (body %s)", resp.status, resp.body)
	}
	var created struct{ ID, ETag string }
	if err := json.Unmarshal(resp.body, &created); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(created.ETag, `"`) || !strings.HasSuffix(created.ETag, `"`) {
		t.Errorf("etag = %s, want a value with literal quotes", created.ETag)
	}
	if got, want := resp.header.Get("Location"), FlowBasePath+"/connections/"+created.ID; got != want {
		t.Errorf("Location = %q, want %q", got, want)
	}

	conns := f.emu.Connections("prod")
	if len(conns) != 1 {
		t.Fatalf("len(Connections(prod)) = %d, want 1", len(conns))
	}
	got := conns[0]
	want := Connection{
		ID:          created.ID,
		Name:        "Amazon Kinesis connection",
		Description: "Connector for Amazon Kinesis",
		ProviderID:  KinesisProviderID,
		Auth: Auth{SpecName: DefaultAuthSpecName, Params: map[string]string{
			"accessKeyId": fixtureKeyID, "secretKey": fixtureSecret, "region": "us-east-1",
		}},
		ConnectionSpec: SpecRef{ID: contracts.KinesisConnectionSpecID, Version: "1.0"},
		State:          "enabled",
		CreatedAt:      got.CreatedAt,
		UpdatedAt:      got.CreatedAt,
		CreatedBy:      testClientID,
		UpdatedBy:      testClientID,
		CreatedClient:  testClientID,
		UpdatedClient:  testClientID,
		SandboxID:      got.SandboxID,
		SandboxName:    "prod",
		IMSOrgID:       testOrgID,
		Version:        created.ETag,
		ETag:           created.ETag,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stored connection mismatch (-want +got):\n%s", diff)
	}
	if got.CreatedAt == 0 || got.SandboxID == "" {
		t.Errorf("CreatedAt, SandboxID = %d, %q, want both set", got.CreatedAt, got.SandboxID)
	}

	// The API never returns the secret key.
	resp = f.flow(http.MethodGet, "/connections/"+created.ID, "")
	if resp.status != http.StatusOK {
		t.Fatalf("GET /connections/{id} status = %d, want 200", resp.status)
	}
	var one struct{ Items []Connection }
	if err := json.Unmarshal(resp.body, &one); err != nil {
		t.Fatal(err)
	}
	wantView := want
	wantView.Auth.Params = map[string]string{"accessKeyId": fixtureKeyID, "region": "us-east-1"}
	if diff := cmp.Diff([]Connection{wantView}, one.Items); diff != "" {
		t.Errorf("GET /connections/{id} items mismatch (-want +got):\n%s", diff)
	}
	if strings.Contains(string(resp.body), fixtureSecret) {
		t.Errorf("GET /connections/{id} body contains the secret key")
	}
}

func TestCreateConnectionRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		mutate     func(map[string]any)
		keys       map[string]string
		wantType   string
		wantDetail string
	}{
		{name: "missing name", mutate: func(m map[string]any) { delete(m, "name") },
			wantType: "FLOW-1304-400", wantDetail: "name"},
		{name: "unknown auth spec name", mutate: func(m map[string]any) {
			m["auth"].(map[string]any)["specName"] = "Basic Authentication for Kinesis"
		}, wantType: "FLOW-1415-400", wantDetail: "Basic Authentication for Kinesis"},
		{name: "missing secretKey", mutate: func(m map[string]any) { delete(authParams(m), "secretKey") },
			wantType: "FLOW-1304-400", wantDetail: "auth.params.secretKey"},
		{name: "empty accessKeyId", mutate: func(m map[string]any) { authParams(m)["accessKeyId"] = "" },
			wantType: "FLOW-1304-400", wantDetail: "auth.params.accessKeyId"},
		{name: "missing region", mutate: func(m map[string]any) { delete(authParams(m), "region") },
			wantType: "FLOW-1304-400", wantDetail: "auth.params.region"},
		{name: "missing auth", mutate: func(m map[string]any) { delete(m, "auth") },
			wantType: "FLOW-1304-400", wantDetail: "auth"},
		{name: "other connection spec", mutate: func(m map[string]any) {
			m["connectionSpec"] = map[string]any{"id": "ecadc60c-7455-4d87-84dc-2a0e293d997b", "version": "1.0"}
		}, wantType: "FLOW-1000-400", wantDetail: "only knows Amazon Kinesis"},
		{name: "wrong provider", mutate: func(m map[string]any) { m["providerId"] = "0ed90a81-07f4-4586-8190-b40eccef1c5a" },
			wantType: "FLOW-1000-400", wantDetail: "providerId"},
		{name: "keys rejected", keys: map[string]string{"AKIAOTHERKEY": "other-secret"},
			wantType: CodeCredentialsRejected, wantDetail: "rejected the credentials"},
		{name: "secret does not match the key", keys: map[string]string{fixtureKeyID: "another-secret"},
			wantType: CodeCredentialsRejected, wantDetail: "rejected the credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, func(o *Options) { o.KinesisKeys = tt.keys })
			resp := f.flow(http.MethodPost, "/connections", connectionBody(t, tt.mutate))
			if resp.status != http.StatusBadRequest || resp.errorType() != tt.wantType {
				t.Fatalf("POST /connections = %d %s, want 400 %s (body %s)", resp.status, resp.errorType(), tt.wantType, resp.body)
			}
			if d := resp.detail(); !strings.Contains(d, tt.wantDetail) {
				t.Errorf("detailed-message = %q, want it to mention %q", d, tt.wantDetail)
			}
			if b := string(resp.body); strings.Contains(b, fixtureSecret) || strings.Contains(b, fixtureKeyID) {
				t.Errorf("error body %s contains a credential", b)
			}
			if got := len(f.emu.Connections("prod")); got != 0 {
				t.Errorf("len(Connections(prod)) = %d, want 0", got)
			}
		})
	}
}

// listNames GETs path and returns the names of the items.
func (f *fixture) listNames(path string) []string {
	f.t.Helper()
	resp := f.flow(http.MethodGet, path, "")
	if resp.status != http.StatusOK {
		f.t.Fatalf("GET %s status = %d, want 200 (body %s)", path, resp.status, resp.body)
	}
	var list struct {
		Items []struct{ Name string }
	}
	if err := json.Unmarshal(resp.body, &list); err != nil {
		f.t.Fatal(err)
	}
	names := []string{}
	for _, it := range list.Items {
		names = append(names, it.Name)
	}
	return names
}

func TestListConnections(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	ids := map[string]string{}
	for _, name := range []string{"alpha", "bravo", "charlie", "delta with space"} {
		ids[name], _ = f.createConnection(name)
	}
	f.emu.SeedConnection("prod", Connection{Name: "ui-made", Description: "made in the UI", State: "disabled"})
	q := url.QueryEscape
	tests := []struct {
		name  string
		query string
		want  []string
	}{
		{"all in creation order", "", []string{"alpha", "bravo", "charlie", "delta with space", "ui-made"}},
		{"name filter", "property=" + q("name==bravo"), []string{"bravo"}},
		{"encoded value", "property=name==delta%20with%20space", []string{"delta with space"}},
		{"OR by comma", "property=" + q("name==alpha,charlie,nobody"), []string{"alpha", "charlie"}},
		{"AND by repetition", "property=" + q("name==alpha,bravo") + "&property=" + q("id=="+ids["bravo"]), []string{"bravo"}},
		{"AND with no match", "property=" + q("name==alpha") + "&property=" + q("id=="+ids["bravo"]), []string{}},
		{"connection spec filter", "property=" + q("connectionSpec.id=="+contracts.KinesisConnectionSpecID) + "&property=" + q("state==enabled"),
			[]string{"alpha", "bravo", "charlie", "delta with space"}},
		{"state filter", "property=" + q("state==disabled"), []string{"ui-made"}},
		{"description filter", "property=" + q("description==made in the UI"), []string{"ui-made"}},
		{"descending name", "orderby=-name", []string{"ui-made", "delta with space", "charlie", "bravo", "alpha"}},
		{"ascending name", "orderby=%2Bname&property=" + q("name==charlie,alpha"), []string{"alpha", "charlie"}},
		{"limit", "limit=2", []string{"alpha", "bravo"}},
		{"createdAt greater than", "property=" + q("createdAt>0") + "&limit=1", []string{"alpha"}},
		{"createdAt less than", "property=" + q("createdAt<1"), []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := f.listNames("/connections?" + tt.query)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("GET /connections?%s names mismatch (-want +got):\n%s", tt.query, diff)
			}
		})
	}

	t.Run("count", func(t *testing.T) {
		resp := f.flow(http.MethodGet, "/connections?count=true&property="+q("name==alpha,bravo"), "")
		if diff := cmp.Diff(map[string]any{"count": float64(2)}, resp.json(t)); diff != "" {
			t.Errorf("count mismatch (-want +got):\n%s", diff)
		}
	})
	for _, tc := range []struct{ name, query, wantType string }{
		{"count with limit", "count=true&limit=5", "FLOW-1401-400"},
		{"unknown field", "property=" + q("colour==red"), "FLOW-1000-400"},
		{"unsupported operator", "property=" + q("name~alp"), "FLOW-1000-400"},
		{"greater than on a string", "property=" + q("name>a"), "FLOW-1000-400"},
		{"no operator", "property=name", "FLOW-1000-400"},
		{"unknown orderby", "orderby=region", "FLOW-1000-400"},
		{"zero limit", "limit=0", "FLOW-1000-400"},
		{"forged continuation token", "continuationToken=not-a-token", "FLOW-1000-400"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := f.flow(http.MethodGet, "/connections?"+tc.query, "")
			if resp.status != http.StatusBadRequest || resp.errorType() != tc.wantType {
				t.Errorf("GET /connections?%s = %d %s, want 400 %s", tc.query, resp.status, resp.errorType(), tc.wantType)
			}
		})
	}

	t.Run("items omit the secret key", func(t *testing.T) {
		resp := f.flow(http.MethodGet, "/connections", "")
		if strings.Contains(string(resp.body), fixtureSecret) {
			t.Errorf("GET /connections body contains the secret key")
		}
		if !strings.Contains(string(resp.body), fixtureKeyID) {
			t.Errorf("GET /connections body lacks accessKeyId, want the partial view to keep it")
		}
	})
}

func TestPaging(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(o *Options) { o.PageSize = 2 })
	want := map[string]bool{}
	for i := range 5 {
		id, _ := f.createConnection(fmt.Sprintf("conn-%d", i))
		want[id] = true
	}
	f.createConnection("other") // excluded by the filter below

	type page struct {
		Items []struct{ ID, Name string }
		Links struct {
			Next *struct{ Href string }
		} `json:"_links"`
	}
	get := func(path string) page {
		t.Helper()
		resp := f.flow(http.MethodGet, path, "")
		if resp.status != http.StatusOK {
			t.Fatalf("GET %s status = %d, want 200 (body %s)", path, resp.status, resp.body)
		}
		var p page
		if err := json.Unmarshal(resp.body, &p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	first := "/connections?property=" + url.QueryEscape("name==conn-0,conn-1,conn-2,conn-3,conn-4") + "&orderby=-name"

	t.Run("follow next href", func(t *testing.T) {
		seen := map[string]int{}
		var names []string
		path, pages := first, 0
		for {
			p := get(path)
			pages++
			for _, it := range p.Items {
				seen[it.ID]++
				names = append(names, it.Name)
			}
			if p.Links.Next == nil {
				break
			}
			if !strings.HasPrefix(p.Links.Next.Href, "/connections?continuationToken=") {
				t.Fatalf("next href = %q, want a path relative to the service base", p.Links.Next.Href)
			}
			path = p.Links.Next.Href
			if pages > 5 {
				t.Fatalf("more than 5 pages for 5 items")
			}
		}
		if pages != 3 {
			t.Errorf("pages = %d, want 3", pages)
		}
		for id := range want {
			if seen[id] != 1 {
				t.Errorf("connection %s seen %d times, want 1", id, seen[id])
			}
		}
		if len(seen) != len(want) {
			t.Errorf("saw %d connections, want %d", len(seen), len(want))
		}
		if diff := cmp.Diff([]string{"conn-4", "conn-3", "conn-2", "conn-1", "conn-0"}, names); diff != "" {
			t.Errorf("order mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("resend query with continuationToken", func(t *testing.T) {
		seen := map[string]int{}
		tok := ""
		for range 5 {
			path := first
			if tok != "" {
				path += "&continuationToken=" + url.QueryEscape(tok)
			}
			p := get(path)
			for _, it := range p.Items {
				seen[it.ID]++
			}
			if p.Links.Next == nil {
				break
			}
			u, err := url.Parse(p.Links.Next.Href)
			if err != nil {
				t.Fatal(err)
			}
			tok = u.Query().Get("continuationToken")
		}
		if len(seen) != len(want) {
			t.Errorf("saw %d connections, want %d", len(seen), len(want))
		}
		for id, n := range seen {
			if n != 1 || !want[id] {
				t.Errorf("connection %s seen %d times (wanted: %v)", id, n, want[id])
			}
		}
	})

	t.Run("newest first by createdAt", func(t *testing.T) {
		var names []string
		for path := "/connections?orderby=-createdAt"; path != ""; {
			p := get(path)
			for _, it := range p.Items {
				names = append(names, it.Name)
			}
			path = ""
			if p.Links.Next != nil {
				path = p.Links.Next.Href
			}
		}
		if diff := cmp.Diff([]string{"other", "conn-4", "conn-3", "conn-2", "conn-1", "conn-0"}, names); diff != "" {
			t.Errorf("names mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("stable when the last item of a page is deleted", func(t *testing.T) {
		p := get("/connections?orderby=name")
		if p.Links.Next == nil || len(p.Items) != 2 {
			t.Fatalf("first page = %d items, next %v; want 2 and a next link", len(p.Items), p.Links.Next)
		}
		f.emu.DeleteConnection("prod", p.Items[1].ID)
		defer f.emu.SeedConnection("prod", Connection{ID: p.Items[1].ID, Name: p.Items[1].Name})
		next := get(p.Links.Next.Href)
		if len(next.Items) == 0 || next.Items[0].Name != "conn-2" {
			t.Errorf("second page starts with %v, want conn-2", next.Items)
		}
	})
}

func TestGetConnectionNotFound(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	for _, path := range []string{"/connections/no-such-id", "/connections/no-such-id/test"} {
		resp := f.flow(http.MethodGet, path, "")
		if resp.status != http.StatusNotFound || resp.errorType() != "FLOW-1101-404" {
			t.Errorf("GET %s = %d %s, want 404 FLOW-1101-404", path, resp.status, resp.errorType())
		}
		if m := resp.json(t); m["title"] != "Resource not found" {
			t.Errorf("title = %v, want Resource not found", m["title"])
		}
	}
}

func TestTestConnection(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		keys map[string]string
		seed map[string]string // params of a seeded connection; nil creates through the API
		want bool
	}{
		{name: "any keys accepted", want: true},
		{name: "known keys", keys: map[string]string{fixtureKeyID: fixtureSecret}, want: true},
		{name: "unknown keys", keys: map[string]string{fixtureKeyID: fixtureSecret},
			seed: map[string]string{"accessKeyId": "AKIAUNKNOWN", "secretKey": "nope", "region": "eu-west-1"}, want: false},
		{name: "rotated secret", keys: map[string]string{fixtureKeyID: "rotated"},
			seed: map[string]string{"accessKeyId": fixtureKeyID, "secretKey": fixtureSecret, "region": "eu-west-1"}, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, func(o *Options) { o.KinesisKeys = tt.keys })
			var id string
			if tt.seed == nil {
				id, _ = f.createConnection("tested")
			} else {
				id = f.emu.SeedConnection("prod", Connection{Name: "seeded", Auth: Auth{SpecName: DefaultAuthSpecName, Params: tt.seed}}).ID
			}
			resp := f.flow(http.MethodGet, "/connections/"+id+"/test", "")
			if diff := cmp.Diff(map[string]any{"result": tt.want}, resp.json(t)); diff != "" || resp.status != http.StatusOK {
				t.Errorf("GET /connections/{id}/test = %d, mismatch (-want +got):\n%s", resp.status, diff)
			}
		})
	}
}

func TestPatchConnection(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	id, etag := f.createConnection("before")
	path := "/connections/" + id
	rename := `[{"op":"replace","path":"/name","value":"after"}]`

	resp := f.flow(http.MethodPatch, path, rename)
	if resp.status != http.StatusBadRequest || resp.errorType() != "FLOW-1403-400" {
		t.Errorf("PATCH without If-Match = %d %s, want 400 FLOW-1403-400", resp.status, resp.errorType())
	}
	resp = f.flow(http.MethodPatch, path, rename, withHeader("If-Match", `"stale-etag"`))
	if resp.status != http.StatusPreconditionFailed || resp.errorType() != "FLOW-1404-412" {
		t.Errorf("PATCH with a stale etag = %d %s, want 412 FLOW-1404-412", resp.status, resp.errorType())
	}
	if got := f.emu.Connections("prod")[0].Name; got != "before" {
		t.Errorf("name after refused patches = %q, want %q", got, "before")
	}

	// The update tutorial shows If-Match without the quotes.
	resp = f.flow(http.MethodPatch, path, string(readFixture(t, "update_connection.json")), withHeader("If-Match", strings.Trim(etag, `"`)))
	if resp.status != http.StatusOK {
		t.Fatalf("PATCH with the current etag status = %d, want 200 (body %s)", resp.status, resp.body)
	}
	var res struct{ ID, ETag string }
	if err := json.Unmarshal(resp.body, &res); err != nil {
		t.Fatal(err)
	}
	if res.ID != id || res.ETag == etag || res.ETag == "" {
		t.Errorf("PATCH answer = %+v, want id %s and a new etag", res, id)
	}
	got := f.emu.Connections("prod")[0]
	wantParams := map[string]string{"accessKeyId": "AKIAFIXTUREKEY000002", "secretKey": "fixture-rotated-secret-do-not-print", "region": "us-east-1"}
	if diff := cmp.Diff(wantParams, got.Auth.Params); diff != "" {
		t.Errorf("params after patch mismatch (-want +got):\n%s", diff)
	}
	if got.ETag != res.ETag || got.Version != res.ETag || !strings.HasPrefix(got.Description, "A new description") {
		t.Errorf("stored etag, version, description = %s, %s, %q", got.ETag, got.Version, got.Description)
	}

	// The old etag is stale now; the new one (with quotes) works, lower- and
	// upper-case ops alike.
	resp = f.flow(http.MethodPatch, path, rename, withHeader("If-Match", etag))
	if resp.status != http.StatusPreconditionFailed {
		t.Errorf("PATCH with the replaced etag status = %d, want 412", resp.status)
	}
	resp = f.flow(http.MethodPatch, path, `[{"op":"REPLACE","path":"/name","value":"after"},{"op":"remove","path":"/description"}]`,
		withHeader("If-Match", res.ETag))
	if resp.status != http.StatusOK {
		t.Fatalf("PATCH with the new etag status = %d, want 200 (body %s)", resp.status, resp.body)
	}
	if got := f.emu.Connections("prod")[0]; got.Name != "after" || got.Description != "" {
		t.Errorf("name, description = %q, %q, want %q, empty", got.Name, got.Description, "after")
	}

	etag = f.emu.Connections("prod")[0].ETag
	for _, tc := range []struct{ name, body, wantType string }{
		{"remove a required param", `[{"op":"remove","path":"/auth/params/secretKey"}]`, "FLOW-1304-400"},
		{"unsupported path", `[{"op":"replace","path":"/state","value":"disabled"}]`, "FLOW-1365-400"},
		{"name not a string", `[{"op":"replace","path":"/name","value":{"a":1}}]`, "FLOW-1000-400"},
	} {
		resp := f.flow(http.MethodPatch, path, tc.body, withHeader("If-Match", etag))
		if resp.status != http.StatusBadRequest || resp.errorType() != tc.wantType {
			t.Errorf("%s: PATCH = %d %s, want 400 %s", tc.name, resp.status, resp.errorType(), tc.wantType)
		}
	}
	if got := f.emu.Connections("prod")[0].ETag; got != etag {
		t.Errorf("etag after refused patches = %s, want unchanged %s", got, etag)
	}

	resp = f.flow(http.MethodPatch, "/connections/missing", rename, withHeader("If-Match", etag))
	if resp.status != http.StatusNotFound {
		t.Errorf("PATCH of a missing connection status = %d, want 404", resp.status)
	}
}

func TestDeleteConnection(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	free, _ := f.createConnection("free")
	used, _ := f.createConnection("used")
	src := f.createSource(used, nil)
	f.emu.AttachDataflow(src)

	resp := f.flow(http.MethodDelete, "/connections/"+used, "")
	if resp.status != http.StatusBadRequest || resp.errorType() != "FLOW-1418-400" {
		t.Errorf("DELETE a connection used by a dataflow = %d %s, want 400 FLOW-1418-400", resp.status, resp.errorType())
	}
	resp = f.flow(http.MethodDelete, "/connections/"+free, "")
	if resp.status != http.StatusNoContent || len(resp.body) != 0 {
		t.Errorf("DELETE = %d with body %q, want 204 and no body", resp.status, resp.body)
	}
	if got := f.flow(http.MethodGet, "/connections/"+free, "").status; got != http.StatusNotFound {
		t.Errorf("GET after DELETE status = %d, want 404", got)
	}
	if got := f.flow(http.MethodDelete, "/connections/"+free, "").status; got != http.StatusNotFound {
		t.Errorf("second DELETE status = %d, want 404", got)
	}
	var names []string
	for _, c := range f.emu.Connections("prod") {
		names = append(names, c.Name)
	}
	if diff := cmp.Diff([]string{"used"}, names); diff != "" {
		t.Errorf("connections left mismatch (-want +got):\n%s", diff)
	}
}

func TestSeedAndDeleteConnection(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	seeded := f.emu.SeedConnection("prod", Connection{Name: "from the UI"})
	if seeded.ID == "" || seeded.ETag == "" || seeded.CreatedAt == 0 || seeded.State != "enabled" ||
		seeded.ConnectionSpec.ID != contracts.KinesisConnectionSpecID || seeded.CreatedClient != "exc_app" {
		t.Errorf("SeedConnection() = %+v, want filled id, etag, timestamps, state, spec and client", seeded)
	}
	if got := f.listNames("/connections?property=" + url.QueryEscape("name==from the UI")); !slices.Equal(got, []string{"from the UI"}) {
		t.Errorf("listing the seeded connection = %v", got)
	}
	f.emu.DeleteConnection("prod", seeded.ID)
	if got := f.flow(http.MethodGet, "/connections/"+seeded.ID, "").status; got != http.StatusNotFound {
		t.Errorf("GET after DeleteConnection status = %d, want 404", got)
	}
}

func TestConcurrentCreates(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	const n = 40
	var wg sync.WaitGroup
	ids := make([]string, n)
	errs := make([]string, n)
	for i := range n {
		wg.Go(func() {
			req := f.flowRequest(http.MethodPost, "/connections", connectionBody(t, func(m map[string]any) {
				m["name"] = fmt.Sprintf("parallel-%d", i)
			}))
			resp, err := f.srv.Client().Do(req)
			if err != nil {
				errs[i] = err.Error()
				return
			}
			defer resp.Body.Close()
			var body struct{ ID string }
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusCreated {
				errs[i] = fmt.Sprintf("status %d, decode error %v", resp.StatusCode, err)
				return
			}
			ids[i] = body.ID
		})
		if i%10 == 0 {
			wg.Go(func() { _ = f.emu.Connections("prod"); _ = f.emu.Requests() })
		}
	}
	wg.Wait()
	for i, e := range errs {
		if e != "" {
			t.Errorf("create %d: %s", i, e)
		}
	}
	unique := map[string]bool{}
	for _, c := range f.emu.Connections("prod") {
		unique[c.ID] = true
	}
	if len(unique) != n {
		t.Errorf("distinct connections = %d, want %d", len(unique), n)
	}
	for _, id := range ids {
		if !unique[id] {
			t.Errorf("returned id %q is not stored", id)
		}
	}
	if got := f.emu.Count(http.MethodPost, "/connections"); got != n {
		t.Errorf("Count(POST, /connections) = %d, want %d", got, n)
	}
}
