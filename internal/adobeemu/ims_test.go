package adobeemu

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestIMSToken(t *testing.T) {
	t.Parallel()
	good := func() url.Values {
		return url.Values{
			"grant_type":    {"client_credentials"},
			"client_id":     {testClientID},
			"client_secret": {testClientSecret},
			"scope":         {"openid,session,AdobeID,read_organizations,additional_info.projectedProductContext"},
		}
	}
	tests := []struct {
		name       string
		form       func(url.Values)
		query      string
		wantStatus int
		wantError  string // "" for success
	}{
		{name: "success", wantStatus: http.StatusOK},
		{name: "params in query string", form: func(v url.Values) { clear(v) },
			query: good().Encode(), wantStatus: http.StatusOK},
		{name: "wrong grant type", form: func(v url.Values) { v.Set("grant_type", "authorization_code") },
			wantStatus: http.StatusBadRequest, wantError: "unsupported_grant_type"},
		{name: "missing grant type", form: func(v url.Values) { v.Del("grant_type") },
			wantStatus: http.StatusBadRequest, wantError: "unsupported_grant_type"},
		{name: "unknown client", form: func(v url.Values) { v.Set("client_id", "someone-else") },
			wantStatus: http.StatusUnauthorized, wantError: "invalid_client"},
		{name: "wrong secret", form: func(v url.Values) { v.Set("client_secret", "guess") },
			wantStatus: http.StatusUnauthorized, wantError: "invalid_client"},
		{name: "missing secret", form: func(v url.Values) { v.Del("client_secret") },
			wantStatus: http.StatusUnauthorized, wantError: "invalid_client"},
		{name: "missing scope", form: func(v url.Values) { v.Del("scope") },
			wantStatus: http.StatusBadRequest, wantError: "invalid_scope"},
		{name: "unknown scope", form: func(v url.Values) { v.Set("scope", "openid,admin") },
			wantStatus: http.StatusBadRequest, wantError: "invalid_scope"},
		{name: "space separated scopes", form: func(v url.Values) { v.Set("scope", "openid AdobeID") },
			wantStatus: http.StatusBadRequest, wantError: "invalid_scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, nil)
			form := good()
			if tt.form != nil {
				tt.form(form)
			}
			resp := f.ims(form, tt.query)
			if resp.status != tt.wantStatus {
				t.Fatalf("POST %s status = %d, want %d (body %s)", IMSTokenPath, resp.status, tt.wantStatus, resp.body)
			}
			m := resp.json(t)
			if tt.wantError != "" {
				if got := m["error"]; got != tt.wantError {
					t.Errorf("error = %v, want %q", got, tt.wantError)
				}
				if d, _ := m["error_description"].(string); d == "" {
					t.Errorf("error_description is empty in %s", resp.body)
				}
				return
			}
			if got, want := m["token_type"], "bearer"; got != want {
				t.Errorf("token_type = %v, want %q", got, want)
			}
			if got, want := m["expires_in"], float64(86400); got != want {
				t.Errorf("expires_in = %v, want %v (seconds of the default 24h TTL)", got, want)
			}
			tok, _ := m["access_token"].(string)
			if len(tok) < 32 {
				t.Fatalf("access_token = %q, want an opaque random token", tok)
			}
			f.token = tok
			if got := f.flow(http.MethodGet, "/connections", "").status; got != http.StatusOK {
				t.Errorf("GET /connections with the new token: status %d, want 200", got)
			}
		})
	}
}

func TestIMSTokenTTLAndUniqueness(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(o *Options) { o.TokenTTL = 90 * time.Minute })
	form := url.Values{
		"grant_type": {"client_credentials"}, "client_id": {testClientID},
		"client_secret": {testClientSecret}, "scope": {"openid"},
	}
	a, b := f.ims(form, "").json(t), f.ims(form, "").json(t)
	if got, want := a["expires_in"], float64(5400); got != want {
		t.Errorf("expires_in = %v, want %v", got, want)
	}
	if a["access_token"] == b["access_token"] {
		t.Errorf("two token requests returned the same token %v", a["access_token"])
	}
}

func TestIMSRejectsJSONBody(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, f.srv.URL+IMSTokenPath,
		strings.NewReader(`{"grant_type":"client_credentials"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp := f.send(req)
	want := map[string]any{"error": "invalid_request", "error_description": "the body must be application/x-www-form-urlencoded"}
	if resp.status != http.StatusBadRequest {
		t.Errorf("status = %d, want 400", resp.status)
	}
	if diff := cmp.Diff(want, resp.json(t)); diff != "" {
		t.Errorf("body mismatch (-want +got):\n%s", diff)
	}
}
