package adobeemu

import (
	"encoding/json"
	"io"
	"net/http"
	"time"
)

// requestView is the admin API's JSON form of a (redacted) Request.
type requestView struct {
	Method   string      `json:"method"`
	Path     string      `json:"path"`
	RawQuery string      `json:"rawQuery,omitempty"`
	Header   http.Header `json:"header"`
	Body     string      `json:"body,omitempty"`
	Status   int         `json:"status"`
	Time     time.Time   `json:"time"`
}

type adminError struct {
	Error string `json:"error"`
}

// serveAdmin serves the admin API, which is not recorded:
//
//	GET  /__emulator/requests                       recorded requests, redacted
//	POST /__emulator/faults                         queue a Fault (JSON, delay as "250ms")
//	POST /__emulator/reset                          Reset
//	GET  /__emulator/connections?sandbox=s          base connections, credentials masked
//	GET  /__emulator/sourceConnections?sandbox=s    source connections
//
// sandbox defaults to the first of Options.Sandboxes.
func (e *Emulator) serveAdmin(w http.ResponseWriter, r *http.Request) {
	route := r.Method + " " + r.URL.Path
	switch route {
	case "GET " + AdminBasePath + "requests":
		reqs := e.Requests()
		out := make([]requestView, len(reqs))
		for i, req := range reqs {
			red := req.Redacted()
			out[i] = requestView{
				Method: red.Method, Path: red.Path, RawQuery: red.RawQuery, Header: red.Header,
				Body: string(red.Body), Status: red.Status, Time: red.Time,
			}
		}
		writeJSON(w, http.StatusOK, out)
	case "POST " + AdminBasePath + "faults":
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes))
		if err != nil {
			writeJSON(w, http.StatusBadRequest, adminError{Error: "reading the fault failed"})
			return
		}
		var f Fault
		if err := json.Unmarshal(body, &f); err != nil {
			writeJSON(w, http.StatusBadRequest, adminError{Error: err.Error()})
			return
		}
		e.Inject(f)
		w.WriteHeader(http.StatusNoContent)
	case "POST " + AdminBasePath + "reset":
		e.Reset()
		w.WriteHeader(http.StatusNoContent)
	case "GET " + AdminBasePath + "connections":
		conns := e.Connections(e.adminSandbox(r))
		for i := range conns {
			conns[i].Auth.Params = maskParams(conns[i].Auth.Params)
		}
		writeJSON(w, http.StatusOK, conns)
	case "GET " + AdminBasePath + "sourceConnections":
		writeJSON(w, http.StatusOK, e.SourceConnections(e.adminSandbox(r)))
	default:
		writeJSON(w, http.StatusNotFound, adminError{Error: "no admin endpoint " + route})
	}
}

func (e *Emulator) adminSandbox(r *http.Request) string {
	if s := r.URL.Query().Get("sandbox"); s != "" {
		return s
	}
	return e.opts.Sandboxes[0]
}

// maskParams masks the secret params and shortens accessKeyId.
func maskParams(p map[string]string) map[string]string {
	for k, v := range p {
		switch {
		case secretNames[k]:
			p[k] = mask
		case k == "accessKeyId":
			p[k] = maskKeyID(v)
		}
	}
	return p
}
