package adobeemu

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// maxLimit is the largest page size; larger limits are clamped (Adobe caps
// /connections/search at 1000 and documents no cap for lists).
const maxLimit = 1000

// fieldValue is the value of a filterable or sortable field.
type fieldValue struct {
	s       string
	n       int64
	numeric bool
}

func str(s string) fieldValue { return fieldValue{s: s} }
func num(n int64) fieldValue  { return fieldValue{n: n, numeric: true} }
func (v fieldValue) text() string {
	if v.numeric {
		return strconv.FormatInt(v.n, 10)
	}
	return v.s
}

func compareValues(a, b fieldValue) int {
	if a.numeric {
		return cmp.Compare(a.n, b.n)
	}
	return strings.Compare(a.s, b.s)
}

// resource describes how to filter and sort one kind of listed record.
type resource[T any] struct {
	path     string // list path, e.g. "/connections"
	fields   map[string]field[T]
	sortable []string
	seq      func(T) int64
}

// field reads one filterable or sortable field; numeric fields hold epoch
// milliseconds and support >, <, >= and <=.
type field[T any] struct {
	numeric bool
	get     func(T) fieldValue
}

// filter is one property= condition: field op value, where "==" accepts any
// of the comma-separated values.
type filter struct {
	field  string
	op     string
	values []string
}

// cursor is the position after the last item of a page.
type cursor struct {
	S   string `json:"s,omitempty"`
	N   int64  `json:"n,omitempty"`
	Seq int64  `json:"q"`
}

// pageToken is the continuation token: base64url JSON of the listing's
// filters, order, limit and position. The emulator's choice (Adobe's token is
// opaque): because the token carries the query, the next href is just
// "<path>?continuationToken=<token>", and a client that instead resends its
// original query plus continuationToken gets the same page.
type pageToken struct {
	Properties []string `json:"p,omitempty"`
	OrderBy    string   `json:"o,omitempty"`
	Limit      int      `json:"l"`
	After      cursor   `json:"a"`
}

type listQuery struct {
	properties []string
	filters    []filter
	orderBy    string
	orderField string
	desc       bool
	limit      int
	count      bool
	after      *cursor
}

var filterPattern = regexp.MustCompile(`^([A-Za-z0-9_.\[\]]+)(==|!=|>=|<=|!>|>|<|~)(.*)$`)

// parseListQuery reads property, orderby, limit, count and continuationToken.
// When continuationToken is present, the filters and order come from it; an
// explicit limit still applies.
func parseListQuery[T any](q url.Values, res resource[T], pageSize int) (*listQuery, *apiError) {
	lq := &listQuery{limit: pageSize}
	count := q.Get("count") == "true"
	_, hasLimit := q["limit"]
	if count && hasLimit {
		return nil, badRequest("1401", "The limit and count query parameters cannot be used together.")
	}
	lq.count = count

	props, order := q["property"], q.Get("orderby")
	if tok := q.Get("continuationToken"); tok != "" {
		pt, ok := decodeToken(tok)
		if !ok {
			return nil, badRequest("1000", "The continuationToken is invalid.")
		}
		props, order, lq.limit = pt.Properties, pt.OrderBy, pt.Limit
		after := pt.After
		lq.after = &after
	}
	if hasLimit {
		n, err := strconv.Atoi(q.Get("limit"))
		if err != nil || n < 1 {
			return nil, badRequest("1000", "The limit must be a positive integer.")
		}
		lq.limit = min(n, maxLimit)
	}

	lq.properties = props
	for _, p := range props {
		m := filterPattern.FindStringSubmatch(p)
		if m == nil {
			return nil, badRequest("1000", "The property filter %q must have the form <field><operator><value>.", p)
		}
		f := filter{field: m[1], op: m[2]}
		fd, ok := res.fields[f.field]
		if !ok {
			return nil, badRequest("1000", "The property %s cannot be used to filter %s.", f.field, res.path)
		}
		numeric := fd.numeric
		switch f.op {
		case "==":
			f.values = strings.Split(m[3], ",")
		case ">", "<", ">=", "<=":
			if !numeric {
				return nil, badRequest("1000", "The operator %s is not supported for the property %s.", f.op, f.field)
			}
			f.values = []string{m[3]}
		default:
			return nil, badRequest("1000", "The operator %s is not supported.", f.op)
		}
		if numeric {
			for _, v := range f.values {
				if _, err := strconv.ParseInt(v, 10, 64); err != nil {
					return nil, badRequest("1000", "The property %s takes epoch milliseconds.", f.field)
				}
			}
		}
		lq.filters = append(lq.filters, f)
	}

	lq.orderBy = order
	if order != "" {
		field, desc := order, false
		switch order[0] {
		case '-':
			field, desc = order[1:], true
		case '+':
			field = order[1:]
		}
		if !slices.Contains(res.sortable, field) {
			return nil, badRequest("1000", "The orderby field %s is not supported; use one of %s.", field, strings.Join(res.sortable, ", "))
		}
		lq.orderField, lq.desc = field, desc
	}
	return lq, nil
}

func decodeToken(tok string) (pageToken, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return pageToken{}, false
	}
	var pt pageToken
	if err := json.Unmarshal(b, &pt); err != nil || pt.Limit < 1 {
		return pageToken{}, false
	}
	return pt, true
}

func encodeToken(pt pageToken) string {
	b, _ := json.Marshal(pt) // plain struct, always marshals
	return base64.RawURLEncoding.EncodeToString(b)
}

func (f filter) match(v fieldValue) bool {
	switch f.op {
	case "==":
		for _, want := range f.values {
			if v.text() == want {
				return true
			}
		}
		return false
	default:
		n, _ := strconv.ParseInt(f.values[0], 10, 64) // checked by parseListQuery
		c := cmp.Compare(v.n, n)
		switch f.op {
		case ">":
			return c > 0
		case "<":
			return c < 0
		case ">=":
			return c >= 0
		default:
			return c <= 0
		}
	}
}

// page applies lq to items and returns the page, the total number of
// matches, and the continuation token when more matches follow the page.
func page[T any](items []T, lq *listQuery, res resource[T]) (out []T, total int, next string) {
	var matched []T
	for _, it := range items {
		ok := true
		for _, f := range lq.filters {
			if !f.match(res.fields[f.field].get(it)) {
				ok = false
				break
			}
		}
		if ok {
			matched = append(matched, it)
		}
	}
	key := func(it T) fieldValue {
		if lq.orderField == "" {
			return fieldValue{}
		}
		return res.fields[lq.orderField].get(it)
	}
	compare := func(ka fieldValue, sa int64, kb fieldValue, sb int64) int {
		c := compareValues(ka, kb)
		if c == 0 {
			c = cmp.Compare(sa, sb)
		}
		if lq.desc {
			c = -c
		}
		return c
	}
	slices.SortFunc(matched, func(a, b T) int { return compare(key(a), res.seq(a), key(b), res.seq(b)) })
	total = len(matched)

	if lq.after != nil {
		var ck fieldValue
		if lq.orderField != "" {
			ck = fieldValue{s: lq.after.S, n: lq.after.N, numeric: res.fields[lq.orderField].numeric}
		}
		i, _ := slices.BinarySearchFunc(matched, struct{}{}, func(it T, _ struct{}) int {
			if compare(key(it), res.seq(it), ck, lq.after.Seq) <= 0 {
				return -1
			}
			return 1
		})
		matched = matched[i:]
	}
	if len(matched) <= lq.limit {
		return matched, total, ""
	}
	out = matched[:lq.limit]
	last := out[len(out)-1]
	k := key(last)
	return out, total, encodeToken(pageToken{
		Properties: lq.properties,
		OrderBy:    lq.orderBy,
		Limit:      lq.limit,
		After:      cursor{S: k.s, N: k.n, Seq: res.seq(last)},
	})
}

// listResponse is the body of a list answer.
type listResponse[T any] struct {
	Items []T       `json:"items"`
	Links pageLinks `json:"_links"`
}

type pageLinks struct {
	Next *pageLink `json:"next,omitempty"`
}

type pageLink struct {
	Href string `json:"href"`
}

type countResponse struct {
	Count int `json:"count"`
}

func nextLink(path, token string) pageLinks {
	if token == "" {
		return pageLinks{}
	}
	return pageLinks{Next: &pageLink{Href: path + "?continuationToken=" + url.QueryEscape(token)}}
}
