package adobeemu

import (
	"crypto/subtle"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// tokenResponse is the IMS token answer.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

// serveIMS answers POST /ims/token/v3, the OAuth server-to-server
// (client_credentials) token endpoint. Parameters come from a form-encoded
// body or from the query string (the body wins when both carry one).
//
// Answers, in the order checked:
//   - other method: 405 invalid_request;
//   - a body that is not application/x-www-form-urlencoded: 400 invalid_request;
//   - grant_type other than client_credentials (or none): 400 unsupported_grant_type;
//   - client_id unknown or missing, client_secret wrong or missing: 401 invalid_client;
//   - scope missing, or any comma-separated scope outside Options.Scopes: 400 invalid_scope;
//   - otherwise 200 with a new opaque token valid for Options.TokenTTL.
func (e *Emulator) serveIMS(w http.ResponseWriter, r *http.Request, body []byte) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeIMSError(w, http.StatusMethodNotAllowed, "invalid_request", "the token endpoint only accepts POST")
		return
	}
	form := url.Values{}
	if len(body) > 0 {
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "application/x-www-form-urlencoded" {
			writeIMSError(w, http.StatusBadRequest, "invalid_request", "the body must be application/x-www-form-urlencoded")
			return
		}
		if form, err = url.ParseQuery(string(body)); err != nil {
			writeIMSError(w, http.StatusBadRequest, "invalid_request", "the body is not a valid form")
			return
		}
	}
	query := r.URL.Query()
	param := func(name string) string {
		if v := form.Get(name); v != "" {
			return v
		}
		return query.Get(name)
	}

	if param("grant_type") != "client_credentials" {
		writeIMSError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be client_credentials")
		return
	}
	clientID, secret := param("client_id"), param("client_secret")
	idOK := subtle.ConstantTimeCompare([]byte(clientID), []byte(e.opts.ClientID)) == 1
	secretOK := subtle.ConstantTimeCompare([]byte(secret), []byte(e.opts.ClientSecret)) == 1
	if !idOK || !secretOK {
		writeIMSError(w, http.StatusUnauthorized, "invalid_client", "invalid client_id or client_secret")
		return
	}
	scope := param("scope")
	if scope == "" {
		writeIMSError(w, http.StatusBadRequest, "invalid_scope", "scope is required")
		return
	}
	for _, s := range strings.Split(scope, ",") {
		s = strings.TrimSpace(s)
		if !slices.Contains(e.opts.Scopes, s) {
			writeIMSError(w, http.StatusBadRequest, "invalid_scope", "invalid scope ("+s+"); scopes are comma-separated")
			return
		}
	}

	token := newToken()
	e.mu.Lock()
	e.tokens[token] = tokenInfo{clientID: e.opts.ClientID, orgID: e.opts.OrgID, expires: e.now().Add(e.opts.TokenTTL)}
	e.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, tokenResponse{
		AccessToken: token,
		TokenType:   "bearer",
		ExpiresIn:   int64(e.opts.TokenTTL.Seconds()),
	})
}
