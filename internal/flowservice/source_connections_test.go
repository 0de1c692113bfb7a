package flowservice_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/flowservice"
)

func TestCreateSourceConnection(t *testing.T) {
	t.Parallel()
	c, mux, _ := setup(t)
	mux.HandleFunc("/sourceConnections", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, http.MethodPost)
		testAdobeHeaders(t, r)
		testHeader(t, r, "Content-Type", "application/json")
		testJSONBody(t, r, `{
			"name": "AWS Kinesis source connection",
			"description": "A source connection for AWS Kinesis",
			"baseConnectionId": "c1",
			"connectionSpec": {"id": "86043421-563b-46ec-8e6c-e23184711bf6", "version": "1.0"},
			"data": {"format": "json"},
			"params": {"stream": "orders", "dataType": "raw", "reset": "latest"}
		}`)
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"id":"s1","etag":"\"se1\""}`)
	})
	got, err := c.CreateSourceConnection(t.Context(), testSandbox, &flowservice.SourceConnectionRequest{
		Name:             "AWS Kinesis source connection",
		Description:      "A source connection for AWS Kinesis",
		BaseConnectionID: "c1",
		ConnectionSpec:   flowservice.SpecRef{ID: kinesisSpecID, Version: "1.0"},
		Data:             flowservice.SourceConnectionData{Format: "json"},
		Params:           flowservice.SourceConnectionParams{Stream: "orders", DataType: "raw", Reset: "latest"},
	})
	if err != nil {
		t.Fatalf("CreateSourceConnection() error = %v", err)
	}
	if diff := cmp.Diff(&flowservice.Created{ID: "s1", ETag: `"se1"`}, got); diff != "" {
		t.Errorf("CreateSourceConnection() mismatch (-want +got):\n%s", diff)
	}
}

func TestCreateSourceConnection_nilRequest(t *testing.T) {
	t.Parallel()
	c, _, _ := setup(t)
	if _, err := c.CreateSourceConnection(t.Context(), testSandbox, nil); err == nil {
		t.Error("CreateSourceConnection(nil) error = nil, want an error")
	}
}

func TestListSourceConnections(t *testing.T) {
	t.Parallel()
	c, mux, _ := setup(t)
	mux.HandleFunc("/sourceConnections", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, http.MethodGet)
		testAdobeHeaders(t, r)
		testQuery(t, r, url.Values{"property": {"baseConnectionId==c1"}, "limit": {"1"}})
		fmt.Fprint(w, pageBody([]string{"s1"}, "/sourceConnections?continuationToken=n1"))
	})
	got, err := c.ListSourceConnections(t.Context(), testSandbox, &flowservice.ListOptions{Filters: []string{"baseConnectionId==c1"}, Limit: 1})
	if err != nil {
		t.Fatalf("ListSourceConnections() error = %v", err)
	}
	want := &flowservice.SourceConnectionPage{Items: []flowservice.SourceConnection{{ID: "s1"}}, Next: "n1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ListSourceConnections() mismatch (-want +got):\n%s", diff)
	}
}

func TestFindSourceConnections(t *testing.T) {
	t.Parallel()
	c, mux, _ := setup(t)
	mux.HandleFunc("/sourceConnections", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, http.MethodGet)
		switch tok := r.URL.Query().Get("continuationToken"); tok {
		case "":
			fmt.Fprint(w, pageBody([]string{"s1", "s2"}, "/sourceConnections?continuationToken=n1"))
		case "n1":
			fmt.Fprint(w, pageBody([]string{"s3"}, ""))
		default:
			t.Errorf("unexpected continuationToken %q", tok)
		}
	})
	got, err := c.FindSourceConnections(t.Context(), testSandbox, "baseConnectionId==c1")
	if err != nil {
		t.Fatalf("FindSourceConnections() error = %v", err)
	}
	want := []flowservice.SourceConnection{{ID: "s1"}, {ID: "s2"}, {ID: "s3"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FindSourceConnections() mismatch (-want +got):\n%s", diff)
	}
}

func TestGetSourceConnection(t *testing.T) {
	t.Parallel()
	c, mux, _ := setup(t)
	mux.HandleFunc("/sourceConnections/s1", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, http.MethodGet)
		testAdobeHeaders(t, r)
		fmt.Fprint(w, `{"items":[{"id":"s1","name":"src","description":"d","baseConnectionId":"c1","state":"enabled",
			"etag":"\"se1\"","createdAt":1670276871555,"updatedAt":1670276871556,"sandboxName":"prod",
			"connectionSpec":{"id":"86043421-563b-46ec-8e6c-e23184711bf6","version":"1.0"},
			"data":{"format":"json"},"params":{"stream":"orders","dataType":"raw","reset":"earliest"}}]}`)
	})
	got, err := c.GetSourceConnection(t.Context(), testSandbox, "s1")
	if err != nil {
		t.Fatalf("GetSourceConnection() error = %v", err)
	}
	want := &flowservice.SourceConnection{
		ID: "s1", Name: "src", Description: "d", BaseConnectionID: "c1", State: "enabled", ETag: `"se1"`,
		CreatedAt: 1670276871555, UpdatedAt: 1670276871556, SandboxName: "prod",
		ConnectionSpec: flowservice.SpecRef{ID: kinesisSpecID, Version: "1.0"},
		Data:           flowservice.SourceConnectionData{Format: "json"},
		Params:         flowservice.SourceConnectionParams{Stream: "orders", DataType: "raw", Reset: "earliest"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetSourceConnection() mismatch (-want +got):\n%s", diff)
	}
}

func TestGetSourceConnection_notFound(t *testing.T) {
	t.Parallel()
	c, mux, _ := setup(t)
	mux.HandleFunc("/sourceConnections/s9", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"type":"https://ns.adobe.com/aep/errors/FLOW-1439-404","title":"Resource not found","status":404}`)
	})
	if _, err := c.GetSourceConnection(t.Context(), testSandbox, "s9"); !errors.Is(err, flowservice.ErrNotFound) {
		t.Errorf("GetSourceConnection() error = %v, want %v", err, flowservice.ErrNotFound)
	}
}

func TestDeleteSourceConnection(t *testing.T) {
	t.Parallel()
	c, mux, _ := setup(t)
	mux.HandleFunc("/sourceConnections/s1", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, http.MethodDelete)
		testAdobeHeaders(t, r)
		w.WriteHeader(http.StatusNoContent)
	})
	if err := c.DeleteSourceConnection(t.Context(), testSandbox, "s1"); err != nil {
		t.Fatalf("DeleteSourceConnection() error = %v", err)
	}
}

func TestDeleteSourceConnection_serverError(t *testing.T) {
	t.Parallel()
	c, mux, _ := setup(t)
	mux.HandleFunc("/sourceConnections/s1", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	err := c.DeleteSourceConnection(t.Context(), testSandbox, "s1")
	var fsErr *flowservice.Error
	if !errors.As(err, &fsErr) || !fsErr.Temporary() {
		t.Fatalf("DeleteSourceConnection() error = %v, want a temporary *flowservice.Error", err)
	}
}
