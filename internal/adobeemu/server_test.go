package adobeemu

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestNewValidatesOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(*Options)
	}{
		{"missing client id", func(o *Options) { o.ClientID = "" }},
		{"missing secret", func(o *Options) { o.ClientSecret = "" }},
		{"missing org", func(o *Options) { o.OrgID = "" }},
		{"negative page size", func(o *Options) { o.PageSize = -1 }},
		{"huge page size", func(o *Options) { o.PageSize = 5000 }},
		{"negative ttl", func(o *Options) { o.TokenTTL = -1 }},
		{"duplicate sandbox", func(o *Options) { o.Sandboxes = []string{"prod", "prod"} }},
		{"scope with a comma", func(o *Options) { o.Scopes = []string{"openid,AdobeID"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := testOptions()
			tt.mutate(&opts)
			_, err := New(opts)
			if !errors.Is(err, ErrInvalidOptions) {
				t.Errorf("New() error = %v, want ErrInvalidOptions", err)
			}
			if err != nil && strings.Contains(err.Error(), testClientSecret) {
				t.Errorf("New() error %q contains the client secret", err)
			}
		})
	}
	if _, err := New(testOptions()); err != nil {
		t.Errorf("New(valid options) = %v, want nil", err)
	}
}

func TestStart(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	srv, err := Start(ctx, "127.0.0.1:0", testOptions())
	if err != nil {
		t.Fatalf("Start() = %v, want nil", err)
	}
	if got, want := srv.FlowURL(), srv.URL()+"/data/foundation/flowservice"; got != want {
		t.Errorf("FlowURL() = %q, want %q", got, want)
	}
	if srv.IMSURL() != srv.URL() || srv.Emulator() == nil {
		t.Errorf("IMSURL() = %q, Emulator() = %v; want URL() and an emulator", srv.IMSURL(), srv.Emulator())
	}

	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {testClientID}, "client_secret": {testClientSecret}, "scope": {"openid"}}
	resp, err := postForm(t, srv.IMSURL()+IMSTokenPath, form)
	if err != nil {
		t.Fatalf("POST token: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("POST token status = %d, want 200", resp.StatusCode)
	}
	if got := srv.Emulator().Requests(); len(got) != 1 {
		t.Errorf("len(Requests()) = %d, want 1", len(got))
	}

	if err := srv.Close(); err != nil {
		t.Errorf("Close() = %v, want nil", err)
	}
	if err := srv.Close(); err != nil {
		t.Errorf("second Close() = %v, want nil", err)
	}
	if resp, err := postForm(t, srv.IMSURL()+IMSTokenPath, form); err == nil {
		resp.Body.Close()
		t.Errorf("POST after Close succeeded, want a connection error")
	}
}

func TestStartStopsWithContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	srv, err := Start(ctx, "127.0.0.1:0", testOptions())
	if err != nil {
		t.Fatalf("Start() = %v, want nil", err)
	}
	cancel()
	if err := srv.Close(); err != nil { // waits for the shutdown the cancel started
		t.Errorf("Close() after cancel = %v, want nil", err)
	}
	if resp, err := http.DefaultClient.Do(mustRequest(t, http.MethodGet, srv.URL()+AdminBasePath+"requests")); err == nil {
		resp.Body.Close()
		t.Errorf("GET after the context ended succeeded, want a connection error")
	}
}

func TestStartBadAddress(t *testing.T) {
	t.Parallel()
	if _, err := Start(t.Context(), "not-an-address", testOptions()); err == nil {
		t.Errorf("Start(not-an-address) = nil error, want one")
	}
}

func postForm(t *testing.T, u string, form url.Values) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return http.DefaultClient.Do(req)
}
