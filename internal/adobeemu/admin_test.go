package adobeemu

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAdminAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	admin := func(method, path, body string) response {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), method, f.srv.URL+AdminBasePath+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		return f.send(req)
	}
	f.createConnection("via api")

	resp := admin(http.MethodGet, "requests", "")
	if resp.status != http.StatusOK {
		t.Fatalf("GET requests status = %d, want 200", resp.status)
	}
	for _, secret := range []string{fixtureSecret, testClientSecret, f.token} {
		if strings.Contains(string(resp.body), secret) {
			t.Errorf("GET requests body contains a secret")
		}
	}
	var views []struct {
		Method, Path string
		Status       int
		Body         string
	}
	if err := json.Unmarshal(resp.body, &views); err != nil {
		t.Fatal(err)
	}
	if len(views) != 2 || views[1].Status != http.StatusCreated || !strings.Contains(views[1].Body, `"secretKey":"****"`) {
		t.Errorf("GET requests = %+v, want the IMS and the create request, redacted", views)
	}

	resp = admin(http.MethodGet, "connections?sandbox=prod", "")
	var conns []Connection
	if err := json.Unmarshal(resp.body, &conns); err != nil {
		t.Fatal(err)
	}
	if len(conns) != 1 || conns[0].Name != "via api" || conns[0].Auth.Params["secretKey"] != "****" || conns[0].Auth.Params["accessKeyId"] != "AKIA****" {
		t.Errorf("GET connections = %+v, want the connection with masked credentials", conns)
	}
	if got := f.emu.Connections("prod")[0].Auth.Params["secretKey"]; got != fixtureSecret {
		t.Errorf("stored secret changed by the admin view")
	}

	resp = admin(http.MethodPost, "faults", `{"method":"GET","path":"/connections","status":503,"delay":"1ms","header":{"Retry-After":["3"]}}`)
	if resp.status != http.StatusNoContent {
		t.Fatalf("POST faults status = %d, want 204 (body %s)", resp.status, resp.body)
	}
	got := f.flow(http.MethodGet, "/connections", "")
	if got.status != http.StatusServiceUnavailable || got.header.Get("Retry-After") != "3" {
		t.Errorf("GET after injecting a fault = %d, Retry-After %q; want 503, 3", got.status, got.header.Get("Retry-After"))
	}
	if resp := admin(http.MethodPost, "faults", `{"delay":"later"}`); resp.status != http.StatusBadRequest {
		t.Errorf("POST a malformed fault status = %d, want 400", resp.status)
	}

	if resp := admin(http.MethodPost, "reset", ""); resp.status != http.StatusNoContent {
		t.Errorf("POST reset status = %d, want 204", resp.status)
	}
	resp = admin(http.MethodGet, "connections", "")
	if diff := cmp.Diff("[]", string(resp.body)); diff != "" {
		t.Errorf("GET connections after reset mismatch (-want +got):\n%s", diff)
	}
	if resp := admin(http.MethodGet, "nothing", ""); resp.status != http.StatusNotFound {
		t.Errorf("GET unknown admin path status = %d, want 404", resp.status)
	}
	if got := len(f.emu.Requests()); got != 0 {
		t.Errorf("len(Requests()) after admin calls and reset = %d, want 0 (admin requests are not recorded)", got)
	}
}
