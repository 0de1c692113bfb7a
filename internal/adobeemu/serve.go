package adobeemu

import (
	"errors"
	"io"
	"net/http"
	"strings"
)

// maxBodyBytes caps the request bodies the emulator reads.
const maxBodyBytes = 1 << 20

var errBodyTooLarge = errors.New("request body too large")

// serveRecorded handles every non-admin request: it reads the body, records
// the request, applies a matching fault and dispatches to IMS or Flow.
func (e *Emulator) serveRecorded(w http.ResponseWriter, r *http.Request) {
	body, readErr := readBody(r)

	rel, flow := strings.CutPrefix(r.URL.Path, FlowBasePath)
	if flow && rel != "" && !strings.HasPrefix(rel, "/") {
		flow = false // e.g. /data/foundation/flowservicefoo
	}
	if flow {
		rel = trimSlash(rel)
		if rel == "" {
			rel = "/"
		}
	}
	ims := r.URL.Path == IMSTokenPath
	en := e.record(r, body, flow, rel)

	requestID := newUUID()
	if flow {
		w.Header().Set("x-request-id", requestID)
	}
	matchPath := trimSlash(r.URL.Path)
	if flow {
		matchPath = rel
	}
	f := e.takeFault(r.Method, matchPath)

	status := serveFault(r.Context(), w, f, ims, requestID, func(w http.ResponseWriter) {
		switch {
		case readErr != nil && errors.Is(readErr, errBodyTooLarge):
			if ims {
				writeIMSError(w, http.StatusRequestEntityTooLarge, "invalid_request", "request body too large")
				return
			}
			writeFlowError(w, requestID, errorf(http.StatusRequestEntityTooLarge, "1000", "Payload Too Large",
				"The request body exceeds %d bytes.", maxBodyBytes))
		case readErr != nil:
			// The client went away while sending; nobody reads the answer.
			w.WriteHeader(http.StatusBadRequest)
		case ims:
			e.serveIMS(w, r, body)
		case flow:
			e.serveFlow(w, r, &call{body: body, rel: rel, requestID: requestID})
		default:
			writeGatewayError(w, http.StatusNotFound, "404000", "Resource not found")
		}
	})
	e.setStatus(en, status)
}

func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxBodyBytes {
		return nil, errBodyTooLarge
	}
	return b, nil
}
