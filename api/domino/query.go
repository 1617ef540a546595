package domino

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

// Query parameters of the list and audit routes: paging, booleans, times and lists, each
// refused with a 400 naming the parameter.

// page is a validated offset/limit pair.
type page struct{ offset, limit int }

// Paging defaults (docs/contract/domino-aigateway.md §8 U1).
const (
	defaultLimit = 10
	maxLimit     = 1000
)

// parsePage reads offset (≥ 0, default 0) and limit (≥ 1, default 10, clamped to 1000).
func parsePage(q url.Values) (page, error) {
	pg := page{offset: 0, limit: defaultLimit}
	if s := q.Get("offset"); q.Has("offset") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 0 {
			return pg, gateway.Errorf(gateway.CodeInvalid, "offset must be an integer >= 0")
		}
		pg.offset = n
	}
	if s := q.Get("limit"); q.Has("limit") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return pg, gateway.Errorf(gateway.CodeInvalid, "limit must be an integer >= 1")
		}
		pg.limit = min(n, maxLimit)
	}
	return pg, nil
}

// window returns the [lo, hi) slice bounds of this page over n items.
func (pg page) window(n int) (lo, hi int) {
	lo = min(pg.offset, n)
	return lo, min(lo+pg.limit, n)
}

// parseBool accepts true/false in any case; absent gives def.
func parseBool(q url.Values, name string, def bool) (bool, error) {
	if !q.Has(name) {
		return def, nil
	}
	switch strings.ToLower(strings.TrimSpace(q.Get(name))) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, gateway.Errorf(gateway.CodeInvalid, "%s must be true or false", name)
}

// parseTime accepts RFC 3339 with any offset. A time without an offset (Python's naive
// isoformat) is taken as UTC, and a '+' that arrived unescaped as a space is restored.
func parseTime(q url.Values, name string) (time.Time, error) {
	s := strings.TrimSpace(q.Get(name))
	if s == "" {
		if q.Has(name) {
			return time.Time{}, gateway.Errorf(gateway.CodeInvalid, "%s must be an RFC 3339 date-time", name)
		}
		return time.Time{}, nil
	}
	s = strings.Replace(s, " ", "+", 1)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, gateway.Errorf(gateway.CodeInvalid, "%s must be an RFC 3339 date-time, e.g. 2026-05-01T00:00:00Z", name)
}

// multi collects a list parameter given repeated (a=1&a=2, as generated clients send it)
// or comma-separated (a=1,2), dropping empty items.
func multi(q url.Values, name string) []string {
	var out []string
	for _, v := range q[name] {
		for _, item := range strings.Split(v, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
	}
	return out
}
