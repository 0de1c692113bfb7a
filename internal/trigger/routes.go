package trigger

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/provision"
)

// route is one path pattern of the API and what each method does there.
type route struct {
	// pattern segments; "{x}" captures the segment as x.
	pattern  []string
	handlers map[string]handlerFunc
}

// handlerFunc serves one method of a route; params are the captured path
// segments.
type handlerFunc func(d *Dispatcher, ctx context.Context, r httpRequest, params map[string]string, sum *summary) response

// routes are the API's paths. Every one is behind IAM auth in the template.
var routes = []route{
	{pattern: []string{"connections"}, handlers: map[string]handlerFunc{
		http.MethodPost: (*Dispatcher).postConnections,
	}},
	{pattern: []string{"reconcile"}, handlers: map[string]handlerFunc{
		http.MethodPost: (*Dispatcher).postReconcile,
	}},
	{pattern: []string{"connections", "{region}"}, handlers: map[string]handlerFunc{
		http.MethodGet: (*Dispatcher).getConnection,
	}},
	{pattern: []string{"streams", "{region}", "{stream}"}, handlers: map[string]handlerFunc{
		http.MethodDelete: (*Dispatcher).deleteStream,
	}},
}

// routeList is what a 404 tells the caller the API serves.
const routeList = "POST /connections, POST /reconcile, GET /connections/{region}, DELETE /streams/{region}/{stream}"

// match returns the route of path and its captured segments.
func match(path string) (*route, map[string]string, bool) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i := range routes {
		rt := &routes[i]
		if len(rt.pattern) != len(segs) {
			continue
		}
		params := map[string]string{}
		ok := true
		for j, p := range rt.pattern {
			seg, err := url.PathUnescape(segs[j])
			switch {
			case err != nil:
				ok = false
			case strings.HasPrefix(p, "{"):
				params[strings.Trim(p, "{}")] = seg
			case p != seg:
				ok = false
			}
		}
		if ok {
			return rt, params, true
		}
	}
	return nil, nil, false
}

func (d *Dispatcher) serveHTTP(ctx context.Context, r httpRequest, sum *summary) response {
	sum.trigger, sum.correlID = provision.TriggerAPI, r.requestID
	rt, params, ok := match(r.path)
	if !ok {
		return reject(sum, http.StatusNotFound, "NotFound", fmt.Errorf("no route for %s; the API serves %s", truncate(r.path), routeList))
	}
	handler, ok := rt.handlers[strings.ToUpper(r.method)]
	if !ok {
		allowed := make([]string, 0, len(rt.handlers))
		for m := range rt.handlers {
			allowed = append(allowed, m)
		}
		slices.Sort(allowed)
		resp := reject(sum, http.StatusMethodNotAllowed, "MethodNotAllowed", fmt.Errorf("/%s does not allow %s", strings.Join(rt.pattern, "/"), truncate(r.method)))
		resp.headers["Allow"] = strings.Join(allowed, ", ")
		return resp
	}
	return handler(d, ctx, r, params, sum)
}

// reject answers a request that is refused as sent (4xx).
func reject(sum *summary, status int, code string, err error) response {
	sum.outcome, sum.status, sum.err = "rejected", status, err
	return errorResponse(status, code, err.Error(), 0)
}

// fail answers a request the use case could not serve.
func fail(ctx context.Context, sum *summary, err error) response {
	f := classifyError(err)
	sum.status, sum.err, sum.outcome = f.status, err, "failed"
	if f.status < 500 {
		sum.outcome = "rejected"
	}
	msg := f.message
	if f.status >= 500 {
		msg += requestIDSuffix(ctx)
	}
	return errorResponse(f.status, f.code, msg, f.retryAfter)
}

// postConnections provisions: POST /connections with a JSON body.
func (d *Dispatcher) postConnections(ctx context.Context, r httpRequest, _ map[string]string, sum *summary) response {
	if err := noQuery(r); err != nil {
		return reject(sum, http.StatusBadRequest, "InvalidRequest", err)
	}
	body, status, err := requestBody(r)
	if err != nil {
		return reject(sum, status, statusCode(status), err)
	}
	req, err := decodeProvisionBody(body)
	if err != nil {
		return reject(sum, http.StatusBadRequest, "InvalidRequest", err)
	}
	req = d.fillDefaults(ctx, req, provision.TriggerAPI, r.requestID)
	if !d.serves(ctx, req.AccountID) {
		return reject(sum, http.StatusForbidden, "AccountNotServed", &AccountNotServedError{AccountID: req.AccountID})
	}
	res, err := d.svc.Provision(ctx, req)
	if err != nil {
		return fail(ctx, sum, err)
	}
	sum.outcome, sum.result, sum.status = "provisioned", &res, http.StatusOK
	if res.Created {
		sum.status = http.StatusCreated
	}
	return jsonResponse(sum.status, res)
}

// getConnection reports what is known: GET /connections/{region}.
func (d *Dispatcher) getConnection(ctx context.Context, r httpRequest, params map[string]string, sum *summary) response {
	account, sandbox, err := d.scope(ctx, r)
	if err != nil {
		return reject(sum, http.StatusBadRequest, "InvalidRequest", err)
	}
	if !d.serves(ctx, account) {
		return reject(sum, http.StatusForbidden, "AccountNotServed", &AccountNotServedError{AccountID: account})
	}
	st, err := d.svc.Status(ctx, account, params["region"], sandbox)
	if errors.Is(err, provision.ErrNotProvisioned) {
		return reject(sum, http.StatusNotFound, "NotProvisioned", err)
	}
	if err != nil {
		return fail(ctx, sum, err)
	}
	sum.outcome, sum.status = "reported", http.StatusOK
	return jsonResponse(http.StatusOK, st)
}

// deleteStream deprovisions one stream: DELETE /streams/{region}/{stream}.
func (d *Dispatcher) deleteStream(ctx context.Context, r httpRequest, params map[string]string, sum *summary) response {
	account, sandbox, err := d.scope(ctx, r)
	if err != nil {
		return reject(sum, http.StatusBadRequest, "InvalidRequest", err)
	}
	if !d.serves(ctx, account) {
		return reject(sum, http.StatusForbidden, "AccountNotServed", &AccountNotServedError{AccountID: account})
	}
	out, err := d.svc.Deprovision(ctx, provision.DeprovisionRequest{
		AccountID: account, Region: params["region"], StreamName: params["stream"], Sandbox: sandbox,
		Trigger: provision.TriggerAPI, CorrelationID: r.requestID,
	})
	if err != nil {
		return fail(ctx, sum, err)
	}
	res := out[0]
	sum.reason = res.Status
	switch res.Status {
	case provision.DeprovisionNotProvisioned:
		return reject(sum, http.StatusNotFound, "NotProvisioned", fmt.Errorf("stream %s has no source connection recorded in sandbox %s", echo(res.StreamName), echo(sandbox)))
	case provision.DeprovisionNeedsAttention:
		return reject(sum, http.StatusConflict, "SourceConnectionInUse", fmt.Errorf("adobe refused to delete source connection %s (%s): %s", res.SourceConnectionID, res.AdobeCode, res.AdobeMessage))
	}
	sum.outcome, sum.status, sum.deleted = "deprovisioned", http.StatusOK, countDeleted(out)
	return jsonResponse(http.StatusOK, res)
}

// scope reads the accountId and sandbox query parameters, defaulting as
// POST /connections does; any other parameter is an error.
func (d *Dispatcher) scope(ctx context.Context, r httpRequest) (account, sandbox string, err error) {
	for name := range r.query {
		if name != "accountId" && name != "sandbox" {
			return "", "", fmt.Errorf("unknown query parameter %s; allowed are accountId and sandbox", truncate(name))
		}
	}
	req := d.fillDefaults(ctx, provision.Request{AccountID: r.query["accountId"], Sandbox: r.query["sandbox"]}, provision.TriggerAPI, r.requestID)
	return req.AccountID, req.Sandbox, nil
}

func noQuery(r httpRequest) error {
	for name := range r.query {
		return fmt.Errorf("unknown query parameter %s; POST /connections takes a JSON body", truncate(name))
	}
	return nil
}
