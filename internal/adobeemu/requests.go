package adobeemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Request is one request the emulator received (IMS, Flow Service or any
// other non-admin path), as it arrived. It holds secrets: use Redacted before
// printing or storing it.
type Request struct {
	Method string
	// Path is the URL path as received, e.g.
	// "/data/foundation/flowservice/connections".
	Path     string
	RawQuery string
	Header   http.Header
	Body     []byte
	// Status is the status sent, 0 while the request is in flight and for
	// requests answered with a reset or a hang, or abandoned by the client.
	Status int
	// Time is when the request arrived, by Options.Now.
	Time time.Time
}

// String summarises the redacted request, so that printing a Request never
// prints a secret.
func (r Request) String() string {
	red := r.Redacted()
	target := red.Path
	if red.RawQuery != "" {
		target += "?" + red.RawQuery
	}
	return fmt.Sprintf("%s %s -> %d at %s, header %v, body %s", red.Method, target, red.Status,
		red.Time.Format(time.RFC3339Nano), red.Header, red.Body)
}

// GoString is String, so that %#v does not print secrets either.
func (r Request) GoString() string { return "adobeemu.Request{" + r.String() + "}" }

// entry is a recorded request plus what Count needs.
type entry struct {
	req  Request
	flow bool
	rel  string // path relative to FlowBasePath, trailing slash trimmed
}

// Requests returns every recorded request in arrival order. Admin API
// requests are not recorded.
func (e *Emulator) Requests() []Request {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Request, len(e.log))
	for i, en := range e.log {
		out[i] = en.req.clone()
	}
	return out
}

// Count returns how many Flow Service requests with method and path were
// received, faulted and rejected ones included. path is relative to the
// service base and has no query, e.g. "/connections" or "/connections/<id>";
// a trailing slash is ignored on both sides.
func (e *Emulator) Count(method, path string) int {
	path = trimSlash(path)
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, en := range e.log {
		if en.flow && strings.EqualFold(en.req.Method, method) && en.rel == path {
			n++
		}
	}
	return n
}

// record appends r to the log and returns the entry, whose status is set when
// the answer is known.
func (e *Emulator) record(r *http.Request, body []byte, flow bool, rel string) *entry {
	en := &entry{
		req: Request{
			Method:   r.Method,
			Path:     r.URL.Path,
			RawQuery: r.URL.RawQuery,
			Header:   r.Header.Clone(),
			Body:     slices.Clone(body),
			Time:     e.now(),
		},
		flow: flow,
		rel:  rel,
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.log = append(e.log, en)
	return en
}

func (e *Emulator) setStatus(en *entry, status int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	en.req.Status = status
}

func (r Request) clone() Request {
	r.Header = r.Header.Clone()
	r.Body = slices.Clone(r.Body)
	return r
}

const mask = "****"

// secretNames are JSON keys and form fields whose values are masked whole.
var secretNames = map[string]bool{
	"secretKey":       true,
	"secretAccessKey": true,
	"client_secret":   true,
	"access_token":    true,
	"password":        true,
}

// Redacted returns a copy of r that is safe to print: the Authorization
// header becomes "Bearer ****"; client_secret (and access_token) query or form
// values become "****"; in JSON bodies secretKey (and secretAccessKey,
// client_secret, access_token, password) values become "****" and accessKeyId
// values keep their first 4 characters followed by "****", also inside JSON
// Patch instructions whose path ends in one of those names. x-api-key is kept:
// it is the public client ID. A JSON body is re-encoded (compact, keys
// sorted); a malformed one is masked by pattern.
func (r Request) Redacted() Request {
	out := r.clone()
	if vs := out.Header.Values("Authorization"); len(vs) > 0 {
		out.Header["Authorization"] = slices.Repeat([]string{"Bearer " + mask}, len(vs))
	}
	out.RawQuery = redactForm(out.RawQuery)
	out.Body = redactBody(out.Body, out.Header.Get("Content-Type"))
	return out
}

func redactBody(body []byte, contentType string) []byte {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return body
	}
	if strings.Contains(contentType, "x-www-form-urlencoded") {
		return []byte(redactForm(string(body)))
	}
	if json.Valid(trimmed) {
		if out, ok := redactJSON(trimmed); ok {
			return out
		}
	}
	if trimmed[0] == '{' || trimmed[0] == '[' {
		return redactJSONPattern(body)
	}
	return []byte(redactForm(string(body)))
}

// redactForm masks secret fields of a query or form string, keeping the
// order and encoding of the other fields.
func redactForm(s string) string {
	if s == "" {
		return s
	}
	parts := strings.Split(s, "&")
	for i, p := range parts {
		k, _, _ := strings.Cut(p, "=")
		if name, err := url.QueryUnescape(k); err == nil && secretNames[name] {
			parts[i] = k + "=" + mask
		}
	}
	return strings.Join(parts, "&")
}

func redactJSON(body []byte) ([]byte, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	v = redactValue(v)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, false
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), true
}

func redactValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, val := range v {
			switch {
			case secretNames[k]:
				v[k] = mask
			case k == "accessKeyId":
				v[k] = maskKeyIDValue(val)
			default:
				v[k] = redactValue(val)
			}
		}
		// A JSON Patch instruction names the field in its path.
		if p, ok := v["path"].(string); ok {
			if val, has := v["value"]; has {
				last := p[strings.LastIndex(p, "/")+1:]
				switch {
				case secretNames[last]:
					v["value"] = mask
				case last == "accessKeyId":
					v["value"] = maskKeyIDValue(val)
				}
			}
		}
		return v
	case []any:
		for i := range v {
			v[i] = redactValue(v[i])
		}
		return v
	default:
		return v
	}
}

func maskKeyIDValue(v any) any {
	s, ok := v.(string)
	if !ok {
		return mask
	}
	return maskKeyID(s)
}

// maskKeyID keeps the first 4 characters of an access key ID (the key type,
// e.g. "AKIA") and masks the rest.
func maskKeyID(s string) string {
	r := []rune(s)
	if len(r) <= 4 {
		return mask
	}
	return string(r[:4]) + mask
}

var (
	jsonSecretPattern = regexp.MustCompile(`("(?:secretKey|secretAccessKey|client_secret|access_token|password)"\s*:\s*)"(?:[^"\\]|\\.)*"?`)
	jsonKeyIDPattern  = regexp.MustCompile(`("accessKeyId"\s*:\s*")((?:[^"\\]|\\.){0,4})(?:[^"\\]|\\.)*"?`)
)

// redactJSONPattern masks secrets in a body that is not valid JSON.
func redactJSONPattern(body []byte) []byte {
	body = jsonSecretPattern.ReplaceAll(body, []byte(`$1"`+mask+`"`))
	return jsonKeyIDPattern.ReplaceAll(body, []byte(`${1}${2}`+mask+`"`))
}

func trimSlash(p string) string {
	if len(p) > 1 {
		return strings.TrimSuffix(p, "/")
	}
	return p
}
