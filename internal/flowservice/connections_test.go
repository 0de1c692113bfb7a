package flowservice_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/flowservice"
)

const kinesisSpecID = "86043421-563b-46ec-8e6c-e23184711bf6"

func TestCreateConnection(t *testing.T) {
	t.Parallel()
	c, mux, _ := setup(t)
	mux.HandleFunc("/connections", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, http.MethodPost)
		testAdobeHeaders(t, r)
		testHeader(t, r, "Content-Type", "application/json")
		testJSONBody(t, r, `{
			"name": "Amazon Kinesis connection",
			"description": "Connector for Amazon Kinesis",
			"providerId": "521eee4d-8cbe-4906-bb48-fb6bd4450033",
			"auth": {
				"specName": "Aws Kinesis authentication credentials",
				"params": {"accessKeyId": "FAKE-ACCESS-KEY-ID", "secretKey": "FAKE-SECRET-KEY-NOT-REAL", "region": "us-east-1"}
			},
			"connectionSpec": {"id": "86043421-563b-46ec-8e6c-e23184711bf6", "version": "1.0"}
		}`)
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"id":"4cb0c374-d3bb-4557-b139-5712880adc55","etag":"\"6507cfd8-0000-0200-0000-5e18fc600000\""}`)
	})

	got, err := c.CreateConnection(t.Context(), testSandbox, kinesisConnectionRequest())
	if err != nil {
		t.Fatalf("CreateConnection() error = %v", err)
	}
	want := &flowservice.Created{ID: "4cb0c374-d3bb-4557-b139-5712880adc55", ETag: `"6507cfd8-0000-0200-0000-5e18fc600000"`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CreateConnection() mismatch (-want +got):\n%s", diff)
	}
}

func TestCreateConnection_omitsEmptyOptionalFields(t *testing.T) {
	t.Parallel()
	c, mux, _ := setup(t)
	mux.HandleFunc("/connections", func(w http.ResponseWriter, r *http.Request) {
		testJSONBody(t, r, `{"name":"n","auth":{"specName":"s","params":{"accessKeyId":"a","secretKey":"b","region":"r"}},"connectionSpec":{"id":"i","version":"1.0"}}`)
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"id":"c1","etag":"\"e\""}`)
	})
	req := &flowservice.ConnectionRequest{
		Name:           "n",
		Auth:           flowservice.Auth{SpecName: "s", Params: flowservice.KinesisAuthParams{AccessKeyID: "a", SecretKey: "b", Region: "r"}},
		ConnectionSpec: flowservice.SpecRef{ID: "i", Version: "1.0"},
	}
	if _, err := c.CreateConnection(t.Context(), testSandbox, req); err != nil {
		t.Fatalf("CreateConnection() error = %v", err)
	}
}

func TestCreateConnection_nilRequest(t *testing.T) {
	t.Parallel()
	c, _, _ := setup(t)
	if _, err := c.CreateConnection(t.Context(), testSandbox, nil); err == nil {
		t.Error("CreateConnection(nil) error = nil, want an error")
	}
}

// TestCreateConnection_malformedSuccess: a 2xx that cannot be used is a
// *DecodeError, distinct from *Error, and Temporary.
func TestCreateConnection_malformedSuccess(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
	}{
		{name: "not JSON", body: `<html>gateway</html>`},
		{name: "empty body", body: ``},
		{name: "no id", body: `{"etag":"\"e\""}`},
		{name: "wrong type", body: `{"id":42}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mux, _ := setup(t)
			mux.HandleFunc("/connections", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("x-request-id", "req-1")
				w.WriteHeader(http.StatusCreated)
				fmt.Fprint(w, tt.body)
			})
			_, err := c.CreateConnection(t.Context(), testSandbox, kinesisConnectionRequest())
			var decErr *flowservice.DecodeError
			if !errors.As(err, &decErr) {
				t.Fatalf("CreateConnection() error = %v, want a *flowservice.DecodeError", err)
			}
			if decErr.StatusCode != http.StatusCreated || decErr.RequestID != "req-1" || !decErr.Temporary() {
				t.Errorf("DecodeError = %+v (Temporary %v), want status 201, request id req-1, Temporary true", decErr, decErr.Temporary())
			}
			var fsErr *flowservice.Error
			if errors.As(err, &fsErr) {
				t.Errorf("CreateConnection() error = %v, must not be a *flowservice.Error", err)
			}
		})
	}
}

func TestListConnections(t *testing.T) {
	t.Parallel()
	c, mux, _ := setup(t)
	mux.HandleFunc("/connections", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, http.MethodGet)
		testAdobeHeaders(t, r)
		testQuery(t, r, url.Values{
			"property":          {"name==my conn", "connectionSpec.id==" + kinesisSpecID},
			"limit":             {"2"},
			"orderby":           {"-createdAt"},
			"continuationToken": {"tok0"},
		})
		fmt.Fprint(w, `{"items":[{"id":"c1","name":"my conn"},{"id":"c2","name":"my conn"}],
			"_links":{"next":{"href":"/connections?continuationToken=tok1"}}}`)
	})
	got, err := c.ListConnections(t.Context(), testSandbox, &flowservice.ListOptions{
		Filters:           []string{"name==my conn", "connectionSpec.id==" + kinesisSpecID},
		Limit:             2,
		OrderBy:           "-createdAt",
		ContinuationToken: "tok0",
	})
	if err != nil {
		t.Fatalf("ListConnections() error = %v", err)
	}
	want := &flowservice.ConnectionPage{
		Items: []flowservice.Connection{{ID: "c1", Name: "my conn"}, {ID: "c2", Name: "my conn"}},
		Next:  "tok1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ListConnections() mismatch (-want +got):\n%s", diff)
	}
}

func TestListConnections_queryEncoding(t *testing.T) {
	t.Parallel()
	c, mux, _ := setup(t)
	mux.HandleFunc("/connections", func(w http.ResponseWriter, r *http.Request) {
		const want = "property=name%3D%3Da%26b&property=state%3D%3Denabled"
		if r.URL.RawQuery != want {
			t.Errorf("raw query = %q, want %q", r.URL.RawQuery, want)
		}
		fmt.Fprint(w, `{"items":[]}`)
	})
	if _, err := c.ListConnections(t.Context(), testSandbox, &flowservice.ListOptions{Filters: []string{"name==a&b", "state==enabled"}}); err != nil {
		t.Fatalf("ListConnections() error = %v", err)
	}
}

func TestListConnections_nextLink(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		body     string
		wantNext string
		wantErr  bool
	}{
		{name: "no _links", body: `{"items":[]}`},
		{name: "empty _links", body: `{"items":[],"_links":{}}`},
		{name: "null next", body: `{"items":[],"_links":{"next":null}}`},
		{name: "empty href", body: `{"items":[],"_links":{"next":{"href":""}}}`},
		{name: "relative href", body: `{"items":[],"_links":{"next":{"href":"/connections?continuationToken=a%2Bb"}}}`, wantNext: "a+b"},
		{name: "href repeating filters", body: `{"items":[],"_links":{"next":{"href":"/connections?property=name%3D%3Dx&continuationToken=t2&limit=5"}}}`, wantNext: "t2"},
		{name: "href without token", body: `{"items":[],"_links":{"next":{"href":"/connections?limit=5"}}}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mux, _ := setup(t)
			mux.HandleFunc("/connections", func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, tt.body)
			})
			got, err := c.ListConnections(t.Context(), testSandbox, nil)
			if tt.wantErr {
				var decErr *flowservice.DecodeError
				if !errors.As(err, &decErr) {
					t.Fatalf("ListConnections() error = %v, want a *flowservice.DecodeError", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ListConnections() error = %v", err)
			}
			if got.Next != tt.wantNext {
				t.Errorf("ListConnections().Next = %q, want %q", got.Next, tt.wantNext)
			}
			if got.Items == nil {
				t.Error("ListConnections().Items = nil, want an empty slice")
			}
		})
	}
}

func TestListConnections_badOptions(t *testing.T) {
	t.Parallel()
	c, _, _ := setup(t)
	for name, opts := range map[string]*flowservice.ListOptions{
		"negative limit": {Limit: -1},
		"empty filter":   {Filters: []string{""}},
	} {
		if _, err := c.ListConnections(t.Context(), testSandbox, opts); err == nil {
			t.Errorf("ListConnections(%s) error = nil, want an error", name)
		}
	}
}

// TestFindConnections_paging follows three pages and resends the filters
// with each continuation token.
func TestFindConnections_paging(t *testing.T) {
	t.Parallel()
	c, mux, _ := setup(t)
	pages := map[string]string{
		"":   `{"items":[{"id":"c1"},{"id":"c2"}],"_links":{"next":{"href":"/connections?continuationToken=p2"}}}`,
		"p2": `{"items":[{"id":"c3"}],"_links":{"next":{"href":"/connections?continuationToken=p3"}}}`,
		"p3": `{"items":[{"id":"c4"}],"_links":{"next":{"href":""}}}`,
	}
	var calls atomic.Int32
	mux.HandleFunc("/connections", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		testMethod(t, r, http.MethodGet)
		q := r.URL.Query()
		if diff := cmp.Diff([]string{"name==k", "connectionSpec.id==" + kinesisSpecID}, q["property"]); diff != "" {
			t.Errorf("property params mismatch (-want +got):\n%s", diff)
		}
		body, ok := pages[q.Get("continuationToken")]
		if !ok {
			t.Errorf("unexpected continuationToken %q", q.Get("continuationToken"))
		}
		fmt.Fprint(w, body)
	})
	got, err := c.FindConnections(t.Context(), testSandbox, "name==k", "connectionSpec.id=="+kinesisSpecID)
	if err != nil {
		t.Fatalf("FindConnections() error = %v", err)
	}
	want := []flowservice.Connection{{ID: "c1"}, {ID: "c2"}, {ID: "c3"}, {ID: "c4"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FindConnections() mismatch (-want +got):\n%s", diff)
	}
	if got, want := calls.Load(), int32(3); got != want {
		t.Errorf("pages fetched = %d, want %d", got, want)
	}
}

func TestFindConnections_noneFound(t *testing.T) {
	t.Parallel()
	c, mux, _ := setup(t)
	mux.HandleFunc("/connections", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"items":[]}`)
	})
	got, err := c.FindConnections(t.Context(), testSandbox, "name==nothing")
	if err != nil {
		t.Fatalf("FindConnections() error = %v", err)
	}
	if got == nil || len(got) != 0 {
		t.Errorf("FindConnections() = %#v, want an empty, non-nil slice", got)
	}
}

func TestFindConnections_repeatedToken(t *testing.T) {
	t.Parallel()
	c, mux, _ := setup(t)
	var calls atomic.Int32
	mux.HandleFunc("/connections", func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		// Tokens go a, b, a: the third page points back at a page already seen.
		next := map[int32]string{1: "a", 2: "b", 3: "a"}[n]
		fmt.Fprintf(w, `{"items":[{"id":"c%d"}],"_links":{"next":{"href":"/connections?continuationToken=%s"}}}`, n, next)
	})
	_, err := c.FindConnections(t.Context(), testSandbox)
	if !errors.Is(err, flowservice.ErrPaging) {
		t.Fatalf("FindConnections() error = %v, want %v", err, flowservice.ErrPaging)
	}
	if got, want := calls.Load(), int32(3); got != want {
		t.Errorf("pages fetched = %d, want %d", got, want)
	}
}

func TestFindConnections_tooManyPages(t *testing.T) {
	t.Parallel()
	c, mux, _ := setup(t)
	var calls atomic.Int32
	mux.HandleFunc("/connections", func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		fmt.Fprintf(w, `{"items":[],"_links":{"next":{"href":"/connections?continuationToken=t%d"}}}`, n)
	})
	_, err := c.FindConnections(t.Context(), testSandbox)
	if !errors.Is(err, flowservice.ErrPaging) {
		t.Fatalf("FindConnections() error = %v, want %v", err, flowservice.ErrPaging)
	}
	if got, want := calls.Load(), int32(1000); got != want {
		t.Errorf("pages fetched = %d, want %d", got, want)
	}
}

func TestGetConnection(t *testing.T) {
	t.Parallel()
	c, mux, _ := setup(t)
	mux.HandleFunc("/connections/c1", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, http.MethodGet)
		testAdobeHeaders(t, r)
		fmt.Fprint(w, `{"items":[{
			"id":"c1","name":"Amazon Kinesis connection","description":"d","state":"enabled",
			"etag":"\"e1\"","version":"\"e1\"","createdAt":1668637963851,"updatedAt":1668637963852,
			"sandboxName":"prod","imsOrgId":"FAKEORG@AdobeOrg","createdBy":"x@AdobeID",
			"connectionSpec":{"id":"86043421-563b-46ec-8e6c-e23184711bf6","version":"1.0"},
			"auth":{"specName":"Aws Kinesis authentication credentials","params":{"accessKeyId":"FAKE-AK","secretKey":"FAKE-SK","region":"us-east-1"}}
		}]}`)
	})
	got, err := c.GetConnection(t.Context(), testSandbox, "c1")
	if err != nil {
		t.Fatalf("GetConnection() error = %v", err)
	}
	want := &flowservice.Connection{
		ID: "c1", Name: "Amazon Kinesis connection", Description: "d", State: "enabled", ETag: `"e1"`,
		CreatedAt: 1668637963851, UpdatedAt: 1668637963852, SandboxName: "prod", IMSOrgID: "FAKEORG@AdobeOrg",
		ConnectionSpec: flowservice.SpecRef{ID: kinesisSpecID, Version: "1.0"},
		Auth: flowservice.ConnectionAuth{
			SpecName: flowservice.KinesisAuthSpecName,
			Params:   flowservice.ConnectionAuthParams{Region: "us-east-1"},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetConnection() mismatch (-want +got):\n%s", diff)
	}
}

func TestGetConnection_emptyItems(t *testing.T) {
	t.Parallel()
	c, mux, _ := setup(t)
	mux.HandleFunc("/connections/gone", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("x-request-id", "req-9")
		fmt.Fprint(w, `{"items":[]}`)
	})
	_, err := c.GetConnection(t.Context(), testSandbox, "gone")
	var fsErr *flowservice.Error
	if !errors.As(err, &fsErr) {
		t.Fatalf("GetConnection() error = %v, want a *flowservice.Error", err)
	}
	if !fsErr.NotFound() || fsErr.StatusCode != http.StatusNotFound || fsErr.RequestID != "req-9" {
		t.Errorf("GetConnection() error = %+v, want StatusCode 404, NotFound, request id req-9", fsErr)
	}
	if !errors.Is(err, flowservice.ErrNotFound) {
		t.Errorf("errors.Is(%v, ErrNotFound) = false, want true", err)
	}
}

func TestGetConnection_escapesID(t *testing.T) {
	t.Parallel()
	c, mux, _ := setup(t)
	mux.HandleFunc("/connections/{id}", func(w http.ResponseWriter, r *http.Request) {
		if got, want := r.PathValue("id"), "a/b c"; got != want {
			t.Errorf("id = %q, want %q", got, want)
		}
		if got, want := r.URL.EscapedPath(), "/connections/a%2Fb%20c"; got != want {
			t.Errorf("escaped path = %q, want %q", got, want)
		}
		fmt.Fprint(w, `{"items":[{"id":"a/b c"}]}`)
	})
	if _, err := c.GetConnection(t.Context(), testSandbox, "a/b c"); err != nil {
		t.Fatalf("GetConnection() error = %v", err)
	}
}

func TestGetConnection_badIDs(t *testing.T) {
	t.Parallel()
	c, _, _ := setup(t) // any request would hit an unregistered path and fail the test
	for _, id := range []string{"", ".."} {
		if _, err := c.GetConnection(t.Context(), testSandbox, id); err == nil {
			t.Errorf("GetConnection(%q) error = nil, want an error", id)
		}
	}
}

func TestTestConnection(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		body    string
		want    bool
		wantErr bool
	}{
		{name: "true", body: `{"result":true}`, want: true},
		{name: "false", body: `{"result":false}`, want: false},
		{name: "missing result", body: `{}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mux, _ := setup(t)
			mux.HandleFunc("/connections/c1/test", func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, http.MethodGet)
				testAdobeHeaders(t, r)
				fmt.Fprint(w, tt.body)
			})
			got, err := c.TestConnection(t.Context(), testSandbox, "c1")
			if tt.wantErr {
				var decErr *flowservice.DecodeError
				if !errors.As(err, &decErr) {
					t.Fatalf("TestConnection() error = %v, want a *flowservice.DecodeError", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("TestConnection() error = %v", err)
			}
			if got != tt.want {
				t.Errorf("TestConnection() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestUpdateConnection(t *testing.T) {
	t.Parallel()
	c, mux, _ := setup(t)
	mux.HandleFunc("/connections/c1", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, http.MethodPatch)
		testAdobeHeaders(t, r)
		testHeader(t, r, "If-Match", `"e1"`)
		testHeader(t, r, "Content-Type", "application/json")
		testJSONBody(t, r, `[
			{"op":"replace","path":"/auth/params","value":{"accessKeyId":"FAKE-AK","secretKey":"FAKE-SK","region":"eu-west-1"}},
			{"op":"add","path":"/description","value":"new"},
			{"op":"remove","path":"/providerId"}
		]`)
		fmt.Fprint(w, `{"id":"c1","etag":"\"e2\""}`)
	})
	ops := []flowservice.PatchOperation{
		{Op: flowservice.PatchOpReplace, Path: "/auth/params", Value: flowservice.KinesisAuthParams{AccessKeyID: "FAKE-AK", SecretKey: "FAKE-SK", Region: "eu-west-1"}},
		{Op: flowservice.PatchOpAdd, Path: "/description", Value: "new"},
		{Op: flowservice.PatchOpRemove, Path: "/providerId"},
	}
	got, err := c.UpdateConnection(t.Context(), testSandbox, "c1", `"e1"`, ops)
	if err != nil {
		t.Fatalf("UpdateConnection() error = %v", err)
	}
	if diff := cmp.Diff(&flowservice.Created{ID: "c1", ETag: `"e2"`}, got); diff != "" {
		t.Errorf("UpdateConnection() mismatch (-want +got):\n%s", diff)
	}
}

func TestUpdateConnection_refusals(t *testing.T) {
	t.Parallel()
	c, _, _ := setup(t) // no handler: a request would fail the test
	ok := []flowservice.PatchOperation{{Op: "replace", Path: "/name", Value: "x"}}
	tests := []struct {
		name string
		etag string
		ops  []flowservice.PatchOperation
	}{
		{name: "upper-case op", etag: `"e"`, ops: []flowservice.PatchOperation{{Op: "REPLACE", Path: "/name", Value: "x"}}},
		{name: "unknown op", etag: `"e"`, ops: []flowservice.PatchOperation{{Op: "merge", Path: "/name"}}},
		{name: "no ops", etag: `"e"`, ops: nil},
		{name: "no etag", etag: "", ops: ok},
	}
	for _, tt := range tests {
		if _, err := c.UpdateConnection(t.Context(), testSandbox, "c1", tt.etag, tt.ops); err == nil {
			t.Errorf("UpdateConnection(%s) error = nil, want an error", tt.name)
		}
	}
}

func TestUpdateConnection_staleETag(t *testing.T) {
	t.Parallel()
	c, mux, _ := setup(t)
	mux.HandleFunc("/connections/c1", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusPreconditionFailed)
		fmt.Fprint(w, `{"errorMessage":"Supplied version=[\"e0\"] does not match the current version on entity=[\"e1\"]"}`)
	})
	_, err := c.UpdateConnection(t.Context(), testSandbox, "c1", `"e0"`, []flowservice.PatchOperation{{Op: "replace", Path: "/name", Value: "x"}})
	var fsErr *flowservice.Error
	if !errors.As(err, &fsErr) || !fsErr.PreconditionFailed() {
		t.Fatalf("UpdateConnection() error = %v, want a 412 *flowservice.Error", err)
	}
}

func TestDeleteConnection(t *testing.T) {
	t.Parallel()
	c, mux, _ := setup(t)
	var calls atomic.Int32
	mux.HandleFunc("/connections/c1", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		testMethod(t, r, http.MethodDelete)
		testAdobeHeaders(t, r)
		testHeader(t, r, "Content-Type", "")
		w.WriteHeader(http.StatusNoContent)
	})
	if err := c.DeleteConnection(t.Context(), testSandbox, "c1"); err != nil {
		t.Fatalf("DeleteConnection() error = %v", err)
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("server calls = %d, want 1", got)
	}
}

func TestDeleteConnection_inUse(t *testing.T) {
	t.Parallel()
	c, mux, _ := setup(t)
	mux.HandleFunc("/connections/c1", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"type":"https://ns.adobe.com/aep/errors/FLOW-1418-400","title":"Bad Request","status":400,"report":{"detailed-message":"base connection c1 cannot be deleted because it is used in one or more flows"}}`)
	})
	err := c.DeleteConnection(t.Context(), testSandbox, "c1")
	var fsErr *flowservice.Error
	if !errors.As(err, &fsErr) || fsErr.Code != "FLOW-1418-400" {
		t.Fatalf("DeleteConnection() error = %v, want *flowservice.Error with code FLOW-1418-400", err)
	}
}

func TestGetConnectionSpec(t *testing.T) {
	t.Parallel()
	c, mux, _ := setup(t)
	mux.HandleFunc("/connectionSpecs/"+kinesisSpecID, func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, http.MethodGet)
		testAdobeHeaders(t, r)
		fmt.Fprint(w, `{"items":[{"id":"86043421-563b-46ec-8e6c-e23184711bf6","name":"Amazon Kinesis","providerId":"521eee4d-8cbe-4906-bb48-fb6bd4450033","version":"1.0",
			"authSpec":[
				{"name":"Aws Kinesis authentication credentials","type":"KeyBased","spec":{"type":"object","required":["accessKeyId","secretKey","region"]}},
				{"name":"Basic Authentication for Kinesis","type":"KeyBased","spec":{}}
			]}]}`)
	})
	got, err := c.GetConnectionSpec(t.Context(), testSandbox, kinesisSpecID)
	if err != nil {
		t.Fatalf("GetConnectionSpec() error = %v", err)
	}
	want := &flowservice.ConnectionSpec{
		ID: kinesisSpecID, Name: "Amazon Kinesis", ProviderID: "521eee4d-8cbe-4906-bb48-fb6bd4450033", Version: "1.0",
		AuthSpec: []flowservice.AuthSpec{
			{Name: "Aws Kinesis authentication credentials", Type: "KeyBased", Spec: []byte(`{"type":"object","required":["accessKeyId","secretKey","region"]}`)},
			{Name: "Basic Authentication for Kinesis", Type: "KeyBased", Spec: []byte(`{}`)},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetConnectionSpec() mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Aws Kinesis authentication credentials", "Basic Authentication for Kinesis"}, got.AuthSpecNames()); diff != "" {
		t.Errorf("AuthSpecNames() mismatch (-want +got):\n%s", diff)
	}
}

func TestGetConnectionSpec_emptyItems(t *testing.T) {
	t.Parallel()
	c, mux, _ := setup(t)
	mux.HandleFunc("/connectionSpecs/x", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"items":[]}`)
	})
	if _, err := c.GetConnectionSpec(t.Context(), testSandbox, "x"); !errors.Is(err, flowservice.ErrNotFound) {
		t.Errorf("GetConnectionSpec() error = %v, want %v", err, flowservice.ErrNotFound)
	}
}

// pageBody renders a list page for the source-connection paging test.
func pageBody(ids []string, next string) string {
	items := ""
	for i, id := range ids {
		if i > 0 {
			items += ","
		}
		items += `{"id":` + strconv.Quote(id) + `}`
	}
	return `{"items":[` + items + `],"_links":{"next":{"href":` + strconv.Quote(next) + `}}}`
}
