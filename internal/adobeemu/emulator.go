package adobeemu

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/adobeemu/flowspec"
)

// Paths served by the emulator.
const (
	// IMSTokenPath is the IMS token endpoint (as on ims-na1.adobelogin.com).
	IMSTokenPath = "/ims/token/v3"
	// FlowBasePath is the Flow Service base path (as on platform.adobe.io).
	FlowBasePath = flowspec.BasePath
	// AdminBasePath prefixes the emulator's own admin API.
	AdminBasePath = "/__emulator/"
)

// Identifiers of the Amazon Kinesis source, as documented by Adobe.
const (
	// KinesisProviderID is Adobe's streaming provider ID.
	KinesisProviderID = "521eee4d-8cbe-4906-bb48-fb6bd4450033"
	// KinesisSpecVersion is the version of the Kinesis connection spec.
	KinesisSpecVersion = "1.0"
)

// ErrInvalidOptions is wrapped by New when Options are unusable.
var ErrInvalidOptions = errors.New("adobeemu: invalid options")

// DefaultScopes are the IMS scopes accepted when Options.Scopes is empty: the
// list Adobe documents for Experience Platform.
var DefaultScopes = []string{"openid", "session", "AdobeID", "read_organizations", "additional_info.projectedProductContext"}

// DefaultAuthSpecName is the authSpec name of the Kinesis connection spec in
// Adobe's current documentation.
const DefaultAuthSpecName = "Aws Kinesis authentication credentials"

// Options configure an Emulator.
type Options struct {
	// ClientID, ClientSecret and OrgID are the one credential IMS accepts and
	// the organization its tokens belong to. Required.
	ClientID, ClientSecret, OrgID string
	// Scopes IMS accepts; a requested scope outside this set is
	// invalid_scope. Default DefaultScopes.
	Scopes []string
	// Sandboxes that exist. Default ["prod"].
	Sandboxes []string
	// PageSize is the page size of list endpoints when no limit is given.
	// Default 20, at most 1000 (the cap the emulator also applies to limit).
	PageSize int
	// TokenTTL is the lifetime (expires_in) of issued tokens. Default 24h.
	TokenTTL time.Duration
	// AuthSpecNames are the authSpec names the Kinesis connection spec lists
	// and POST /connections accepts. Default [DefaultAuthSpecName].
	AuthSpecNames []string
	// KinesisKeys maps the accessKeyId to the secretKey "AWS" accepts. nil
	// accepts any non-empty pair.
	KinesisKeys map[string]string
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Emulator emulates Adobe IMS and Flow Service. It is an http.Handler and is
// safe for concurrent use. Create it with New.
type Emulator struct {
	opts Options
	spec *flowspec.Spec
	// sandboxIDs maps each sandbox name of Options to a stable ID.
	sandboxIDs map[string]string

	mu            sync.Mutex
	tokens        map[string]tokenInfo
	state         map[stateKey]*sandboxState
	authSpecNames []string
	dataflows     map[string]bool // source connection IDs used by a dataflow
	log           []*entry
	faults        []*Fault
	faulted       int // requests a fault was applied to
	seq           int64
}

type tokenInfo struct {
	clientID, orgID string
	expires         time.Time
}

type stateKey struct{ org, sandbox string }

// loadSpec parses and checks the Flow Service spec once per process: the
// corrected document is read-only afterwards and shared by all emulators.
var loadSpec = sync.OnceValues(func() (*flowspec.Spec, error) {
	return flowspec.Load(context.Background())
})

// New validates opts, fills in defaults and returns an Emulator. The Flow
// Service spec is loaded and validated on the first call in the process.
func New(opts Options) (*Emulator, error) {
	opts, err := normalize(opts)
	if err != nil {
		return nil, err
	}
	spec, err := loadSpec()
	if err != nil {
		return nil, fmt.Errorf("adobeemu: loading the flow service spec: %w", err)
	}
	e := &Emulator{
		opts:       opts,
		spec:       spec,
		sandboxIDs: make(map[string]string, len(opts.Sandboxes)),
		tokens:     make(map[string]tokenInfo),
	}
	for _, s := range opts.Sandboxes {
		e.sandboxIDs[s] = newUUID()
	}
	e.resetLocked()
	return e, nil
}

func normalize(opts Options) (Options, error) {
	invalid := func(format string, args ...any) (Options, error) {
		return Options{}, fmt.Errorf("%w: "+format, append([]any{ErrInvalidOptions}, args...)...)
	}
	if opts.ClientID == "" || opts.ClientSecret == "" || opts.OrgID == "" {
		return invalid("ClientID, ClientSecret and OrgID are required")
	}
	if len(opts.Scopes) == 0 {
		opts.Scopes = DefaultScopes
	}
	opts.Scopes = slices.Clone(opts.Scopes)
	for _, s := range opts.Scopes {
		if s == "" || strings.ContainsAny(s, ", ") {
			return invalid("scope %q must be non-empty without commas or spaces", s)
		}
	}
	if len(opts.Sandboxes) == 0 {
		opts.Sandboxes = []string{"prod"}
	}
	opts.Sandboxes = slices.Clone(opts.Sandboxes)
	seen := make(map[string]bool)
	for _, s := range opts.Sandboxes {
		if s == "" || seen[s] {
			return invalid("sandbox names must be non-empty and unique, got %q", s)
		}
		seen[s] = true
	}
	switch {
	case opts.PageSize < 0:
		return invalid("PageSize %d is negative", opts.PageSize)
	case opts.PageSize == 0:
		opts.PageSize = 20
	case opts.PageSize > maxLimit:
		return invalid("PageSize %d exceeds %d", opts.PageSize, maxLimit)
	}
	switch {
	case opts.TokenTTL < 0:
		return invalid("TokenTTL %v is negative", opts.TokenTTL)
	case opts.TokenTTL == 0:
		opts.TokenTTL = 24 * time.Hour
	case opts.TokenTTL < time.Second:
		return invalid("TokenTTL %v is under a second", opts.TokenTTL)
	}
	if opts.AuthSpecNames == nil {
		opts.AuthSpecNames = []string{DefaultAuthSpecName}
	}
	opts.AuthSpecNames = slices.Clone(opts.AuthSpecNames)
	if opts.KinesisKeys != nil {
		opts.KinesisKeys = maps.Clone(opts.KinesisKeys)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return opts, nil
}

// ServeHTTP serves IMS, Flow Service and the admin API.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, AdminBasePath) {
		e.serveAdmin(w, r)
		return
	}
	e.serveRecorded(w, r)
}

// SetAuthSpecNames replaces the authSpec names the Kinesis connection spec
// lists and POST /connections accepts (as if Adobe renamed them).
func (e *Emulator) SetAuthSpecNames(names ...string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.authSpecNames = slices.Clone(names)
}

// Reset drops all connections, source connections, dataflow marks, recorded
// requests and queued faults, and restores Options.AuthSpecNames. Issued IMS
// tokens stay valid, so a running client does not have to log in again.
func (e *Emulator) Reset() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.resetLocked()
}

func (e *Emulator) resetLocked() {
	e.state = make(map[stateKey]*sandboxState)
	e.authSpecNames = slices.Clone(e.opts.AuthSpecNames)
	e.dataflows = make(map[string]bool)
	e.log = nil
	e.faults = nil
	e.faulted = 0
}

// now returns the emulator's clock.
func (e *Emulator) now() time.Time { return e.opts.Now() }

// nextSeq returns a number that orders records by creation. e.mu must be held.
func (e *Emulator) nextSeq() int64 {
	e.seq++
	return e.seq
}
