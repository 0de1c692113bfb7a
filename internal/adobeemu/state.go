package adobeemu

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/contracts"
)

// Connection is a Flow Service base connection as the emulator stores it,
// credentials included. Its JSON form is the API's item shape; the API itself
// never returns Auth.Params["secretKey"].
type Connection struct {
	ID             string  `json:"id"`
	Name           string  `json:"name"`
	Description    string  `json:"description,omitempty"`
	ProviderID     string  `json:"providerId,omitempty"`
	Auth           Auth    `json:"auth"`
	ConnectionSpec SpecRef `json:"connectionSpec"`
	State          string  `json:"state"`
	CreatedAt      int64   `json:"createdAt"`
	UpdatedAt      int64   `json:"updatedAt"`
	CreatedBy      string  `json:"createdBy,omitempty"`
	UpdatedBy      string  `json:"updatedBy,omitempty"`
	CreatedClient  string  `json:"createdClient,omitempty"`
	UpdatedClient  string  `json:"updatedClient,omitempty"`
	SandboxID      string  `json:"sandboxId,omitempty"`
	SandboxName    string  `json:"sandboxName,omitempty"`
	IMSOrgID       string  `json:"imsOrgId,omitempty"`
	Version        string  `json:"version"`
	ETag           string  `json:"etag"`
}

// Auth is a connection's authentication: the authSpec name and its
// parameters (for Kinesis accessKeyId, secretKey and region).
type Auth struct {
	SpecName string            `json:"specName"`
	Params   map[string]string `json:"params,omitempty"`
}

// String prints a with secretKey masked and accessKeyId shortened, so that
// connections can be printed in test failures.
func (a Auth) String() string {
	keys := slices.Sorted(maps.Keys(a.Params))
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		v := a.Params[k]
		switch {
		case secretNames[k]:
			v = mask
		case k == "accessKeyId":
			v = maskKeyID(v)
		}
		parts = append(parts, k+":"+v)
	}
	return fmt.Sprintf("{SpecName:%s Params:map[%s]}", a.SpecName, strings.Join(parts, " "))
}

// GoString is String, so that %#v does not print secrets either.
func (a Auth) GoString() string { return "adobeemu.Auth" + a.String() }

// SpecRef references a connection spec.
type SpecRef struct {
	ID      string `json:"id"`
	Version string `json:"version"`
}

// SourceConnection is a Flow Service source connection.
type SourceConnection struct {
	ID               string            `json:"id"`
	Name             string            `json:"name"`
	Description      string            `json:"description,omitempty"`
	BaseConnectionID string            `json:"baseConnectionId"`
	ConnectionSpec   SpecRef           `json:"connectionSpec"`
	Data             SourceData        `json:"data"`
	Params           map[string]string `json:"params,omitempty"`
	State            string            `json:"state"`
	CreatedAt        int64             `json:"createdAt"`
	UpdatedAt        int64             `json:"updatedAt"`
	CreatedBy        string            `json:"createdBy,omitempty"`
	UpdatedBy        string            `json:"updatedBy,omitempty"`
	CreatedClient    string            `json:"createdClient,omitempty"`
	UpdatedClient    string            `json:"updatedClient,omitempty"`
	SandboxID        string            `json:"sandboxId,omitempty"`
	SandboxName      string            `json:"sandboxName,omitempty"`
	IMSOrgID         string            `json:"imsOrgId,omitempty"`
	Version          string            `json:"version"`
	ETag             string            `json:"etag"`
}

// SourceData describes the format of a source's data.
type SourceData struct {
	Format string `json:"format"`
}

type connRecord struct {
	Connection
	seq int64
}

type sourceRecord struct {
	SourceConnection
	seq int64
}

type sandboxState struct {
	conns   map[string]*connRecord
	sources map[string]*sourceRecord
}

// sandboxLocked returns the state of a sandbox of the emulator's org,
// creating it. e.mu must be held.
func (e *Emulator) sandboxLocked(sandbox string) *sandboxState {
	k := stateKey{org: e.opts.OrgID, sandbox: sandbox}
	s := e.state[k]
	if s == nil {
		s = &sandboxState{conns: make(map[string]*connRecord), sources: make(map[string]*sourceRecord)}
		e.state[k] = s
	}
	return s
}

func (c Connection) clone() Connection {
	c.Auth.Params = maps.Clone(c.Auth.Params)
	return c
}

func (s SourceConnection) clone() SourceConnection {
	s.Params = maps.Clone(s.Params)
	return s
}

// Connections returns the base connections of a sandbox, oldest first,
// credentials included.
func (e *Emulator) Connections(sandbox string) []Connection {
	e.mu.Lock()
	defer e.mu.Unlock()
	recs := slices.Collect(maps.Values(e.sandboxLocked(sandbox).conns))
	slices.SortFunc(recs, func(a, b *connRecord) int { return cmp.Compare(a.seq, b.seq) })
	out := make([]Connection, len(recs))
	for i, r := range recs {
		out[i] = r.clone()
	}
	return out
}

// SourceConnections returns the source connections of a sandbox, oldest
// first.
func (e *Emulator) SourceConnections(sandbox string) []SourceConnection {
	e.mu.Lock()
	defer e.mu.Unlock()
	recs := slices.Collect(maps.Values(e.sandboxLocked(sandbox).sources))
	slices.SortFunc(recs, func(a, b *sourceRecord) int { return cmp.Compare(a.seq, b.seq) })
	out := make([]SourceConnection, len(recs))
	for i, r := range recs {
		out[i] = r.clone()
	}
	return out
}

// SeedConnection stores c in sandbox as if it had been made elsewhere (for
// instance in the Platform UI) and returns what was stored. Empty fields are
// filled: ID (random UUID), ETag and Version (a new etag), CreatedAt and
// UpdatedAt (now), State ("enabled"), ConnectionSpec (Kinesis, "1.0"),
// CreatedClient/UpdatedClient ("exc_app", the UI's client), SandboxName,
// SandboxID and IMSOrgID. A connection with the same ID is replaced. The
// sandbox need not be one of Options.Sandboxes, but requests only reach
// those.
func (e *Emulator) SeedConnection(sandbox string, c Connection) Connection {
	now := e.now()
	c = c.clone()
	if c.ID == "" {
		c.ID = newUUID()
	}
	if c.ETag == "" {
		c.ETag = newETag(now)
	}
	if c.Version == "" {
		c.Version = c.ETag
	}
	if c.CreatedAt == 0 {
		c.CreatedAt = now.UnixMilli()
	}
	if c.UpdatedAt == 0 {
		c.UpdatedAt = c.CreatedAt
	}
	if c.State == "" {
		c.State = "enabled"
	}
	if c.ConnectionSpec == (SpecRef{}) {
		c.ConnectionSpec = SpecRef{ID: contracts.KinesisConnectionSpecID, Version: KinesisSpecVersion}
	}
	if c.CreatedClient == "" {
		c.CreatedClient = "exc_app"
	}
	if c.UpdatedClient == "" {
		c.UpdatedClient = c.CreatedClient
	}
	if c.SandboxName == "" {
		c.SandboxName = sandbox
	}
	if c.SandboxID == "" {
		c.SandboxID = e.sandboxIDs[sandbox]
	}
	if c.IMSOrgID == "" {
		c.IMSOrgID = e.opts.OrgID
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.sandboxLocked(sandbox).conns[c.ID] = &connRecord{Connection: c.clone(), seq: e.nextSeq()}
	return c
}

// DeleteConnection removes a base connection as if it had been deleted in
// the Platform UI: no checks, and its source connections stay.
func (e *Emulator) DeleteConnection(sandbox, id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.sandboxLocked(sandbox).conns, id)
}

// AttachDataflow marks a source connection as used by a dataflow: deleting
// it, or its base connection, through the API is then refused.
func (e *Emulator) AttachDataflow(sourceConnectionID string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.dataflows[sourceConnectionID] = true
}
