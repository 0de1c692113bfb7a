package flowservice

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// maxPages bounds how many pages a Find method follows.
const maxPages = 1000

// ErrPaging is wrapped by the Find methods when paging does not end: more
// than 1000 pages, or a continuation token that comes back a second time.
var ErrPaging = errors.New("flowservice: paging did not terminate")

// ListOptions are the query parameters of the List methods.
type ListOptions struct {
	// Filters become one "property" parameter each and are ANDed by Flow
	// Service, e.g. "name==my-conn" and
	// "connectionSpec.id==86043421-563b-46ec-8e6c-e23184711bf6". Within one
	// filter, a comma-separated value list means OR ("id==a,b"). Values are
	// URL-encoded for you.
	Filters []string
	// Limit is the page size; zero leaves it to the server.
	Limit int
	// OrderBy sorts by a field, "name" ascending or "-name" descending.
	OrderBy string
	// ContinuationToken asks for the page after the one that returned it
	// (the Next field of a page).
	ContinuationToken string
}

// query encodes the options. Parameters are sorted by name and values are
// query-escaped ("name==x" becomes "name%3D%3Dx"), as form-encoding HTTP
// clients such as Python requests (used by adobe/aepp) send them.
func (o *ListOptions) query() (string, error) {
	if o == nil {
		return "", nil
	}
	if o.Limit < 0 {
		return "", fmt.Errorf("flowservice: negative list limit %d", o.Limit)
	}
	v := url.Values{}
	for _, f := range o.Filters {
		if f == "" {
			return "", errors.New("flowservice: empty list filter")
		}
		v.Add("property", f)
	}
	if o.Limit > 0 {
		v.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.OrderBy != "" {
		v.Set("orderby", o.OrderBy)
	}
	if o.ContinuationToken != "" {
		v.Set("continuationToken", o.ContinuationToken)
	}
	return v.Encode(), nil
}

// listResponse is the body of every list call.
type listResponse[T any] struct {
	Items []T `json:"items"`
	Links struct {
		Next struct {
			Href string `json:"href"`
		} `json:"next"`
	} `json:"_links"`
}

// listPage fetches one page of resource and returns its items and the
// continuation token of the next page ("" on the last page).
func listPage[T any](ctx context.Context, c *Client, resource, sandbox string, opts *ListOptions) ([]T, string, error) {
	q, err := opts.query()
	if err != nil {
		return nil, "", err
	}
	u := resource
	if q != "" {
		u += "?" + q
	}
	req, err := c.newRequest(ctx, http.MethodGet, u, sandbox, nil)
	if err != nil {
		return nil, "", err
	}
	var body listResponse[T]
	resp, err := c.do(req, &body)
	if err != nil {
		return nil, "", err
	}
	next, err := continuationToken(body.Links.Next.Href)
	if err != nil {
		return nil, "", &DecodeError{StatusCode: resp.StatusCode, RequestID: resp.Header.Get("x-request-id"), Err: err}
	}
	if body.Items == nil {
		body.Items = []T{}
	}
	return body.Items, next, nil
}

// continuationToken extracts the continuationToken parameter of a next-page
// href such as "/connections?continuationToken=abc", which is relative to the
// service base. An empty href means there is no next page.
func continuationToken(href string) (string, error) {
	if href == "" {
		return "", nil
	}
	u, err := url.Parse(href)
	if err != nil {
		return "", errors.New("next-page link is not a valid URL")
	}
	tok := u.Query().Get("continuationToken")
	if tok == "" {
		return "", errors.New("next-page link has no continuationToken")
	}
	return tok, nil
}

// findAll follows every page of resource matching filters.
func findAll[T any](ctx context.Context, c *Client, resource, sandbox string, filters []string) ([]T, error) {
	opts := &ListOptions{Filters: filters}
	seen := make(map[string]bool)
	all := []T{}
	for range maxPages {
		items, next, err := listPage[T](ctx, c, resource, sandbox, opts)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		if next == "" {
			return all, nil
		}
		if seen[next] {
			return nil, fmt.Errorf("%w: continuation token repeated after %d items", ErrPaging, len(all))
		}
		seen[next] = true
		opts.ContinuationToken = next
	}
	return nil, fmt.Errorf("%w: more than %d pages", ErrPaging, maxPages)
}
