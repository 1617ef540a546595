package app

import (
	"slices"
	"strings"

	"github.com/llmgate/llmgate/gateway"
)

// EndpointSortKeys are the fields an endpoint listing sorts by (the Domino API's sortByField
// values) besides the default, creation time.
var EndpointSortKeys = map[string]func(e *gateway.Endpoint) string{
	"endpointName":  func(e *gateway.Endpoint) string { return e.Name },
	"endpointType":  func(e *gateway.Endpoint) string { return string(e.Type) },
	"modelName":     func(e *gateway.Endpoint) string { return e.Model },
	"modelProvider": func(e *gateway.Endpoint) string { return e.Provider },
}

// EndpointQuery selects a page of the endpoints a principal may see.
type EndpointQuery struct {
	// Search keeps endpoints whose name, type, provider or model contains it (any case).
	Search string
	// SortBy is a key of EndpointSortKeys; anything else sorts by creation time.
	SortBy    string
	Ascending bool
	Offset    int
	Limit     int // 0: no limit
}

// ListEndpoints returns the requested page of the endpoints p may see (gateway.Permit) and how
// many match in all. It reads only the snapshot. Ties sort by id and descending is the exact
// reverse of ascending, so paging either way visits every endpoint once.
func (a *App) ListEndpoints(p *gateway.Principal, q EndpointQuery) ([]*gateway.Endpoint, int) {
	search := strings.ToLower(q.Search)
	var matched []*gateway.Endpoint
	for _, e := range a.Snapshot().Endpoints() {
		if gateway.Permit(p, e) && matchesSearch(e, search) {
			matched = append(matched, e)
		}
	}
	sortEndpoints(matched, q.SortBy, q.Ascending)
	lo := min(max(q.Offset, 0), len(matched))
	hi := len(matched)
	if q.Limit > 0 {
		hi = min(lo+q.Limit, hi)
	}
	return matched[lo:hi], len(matched)
}

func matchesSearch(e *gateway.Endpoint, search string) bool {
	if search == "" {
		return true
	}
	for _, s := range []string{e.Name, string(e.Type), e.Provider, e.Model} {
		if strings.Contains(strings.ToLower(s), search) {
			return true
		}
	}
	return false
}

func sortEndpoints(list []*gateway.Endpoint, field string, ascending bool) {
	key := EndpointSortKeys[field]
	cmp := func(a, b *gateway.Endpoint) int {
		if key != nil {
			if c := strings.Compare(key(a), key(b)); c != 0 {
				return c
			}
		} else if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	}
	slices.SortFunc(list, func(a, b *gateway.Endpoint) int {
		if ascending {
			return cmp(a, b)
		}
		return cmp(b, a)
	})
}
