// Package usage turns access events into usage: requests, errors, tokens and latency per hour,
// endpoint, user, organizations and model, and aggregates those hourly rows into what a caller
// asks for (grouped by endpoint, user, organization or model; by hour, day or month).
//
// The hourly rows are written by the store in the same transaction as the access events they
// come from (Tally), so usage always agrees with the audit trail to the token and survives a
// crash exactly as the trail does; reading usage never scans the trail. The package does no I/O.
package usage

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

// Key, Counts and Row are the store's hourly rows (gateway.UsageRow).
type (
	Key    = gateway.UsageKey
	Counts = gateway.UsageCounts
	Row    = gateway.UsageRow
)

// Tally sums the access events among events into hourly rows, one per distinct key, in the
// order keys first appear; other events are ignored. A group commit's events mostly share a
// few keys, so rows are found by a linear scan until there are more than scanRows of them.
func Tally(events []*gateway.AuditEvent) []Row {
	var rows []Row
	var index map[Key]int
	for _, ev := range events {
		if ev.Kind != gateway.KindAccessEndpoint {
			continue
		}
		k, c := fromEvent(ev)
		if i := find(rows, index, k); i >= 0 {
			rows[i].Add(c)
			continue
		}
		rows = append(rows, Row{UsageKey: k, UsageCounts: c})
		switch {
		case index != nil:
			index[k] = len(rows) - 1
		case len(rows) > scanRows:
			index = make(map[Key]int, 2*len(rows))
			for i := range rows {
				index[rows[i].UsageKey] = i
			}
		}
	}
	return rows
}

const scanRows = 8

// find returns the index of k's row, or -1.
func find(rows []Row, index map[Key]int, k Key) int {
	if index != nil {
		if i, ok := index[k]; ok {
			return i
		}
		return -1
	}
	for i := range rows {
		if rows[i].UsageKey == k {
			return i
		}
	}
	return -1
}

func fromEvent(ev *gateway.AuditEvent) (Key, Counts) {
	md := ev.Metadata
	k := Key{Hour: ev.Timestamp.UTC().Truncate(time.Hour).UnixMilli(), EndpointID: ev.EndpointID,
		EndpointName: md["endpointName"], UserID: ev.PerformedBy, UserName: md["accessedByUsername"],
		Provider: md["modelProvider"], Model: md["modelName"], OrgIDs: md["organizationIds"]}
	ms, ok := count(md["latencyMs"])
	c := Counts{Requests: 1, LatencyMsSum: ms}
	if ok {
		c.Latency[gateway.LatencyBucket(ms)] = 1
	}
	if md["outcome"] != "success" {
		c.Errors = 1
	}
	prompt, pok := count(md["promptTokens"])
	completion, cok := count(md["completionTokens"])
	total, tok := count(md["totalTokens"])
	if !pok && !cok && !tok {
		c.UnknownUsage = 1
	}
	c.PromptTokens, c.CompletionTokens = prompt, completion
	if !tok {
		total = prompt + completion
	}
	c.TotalTokens = total
	if cost, ok := amount(md["cost"]); ok {
		c.Cost = cost
	} else {
		c.UnknownCost = 1
	}
	return k, c
}

// count reads a token count; "" (unknown) or anything unreadable is not a count (n is what
// strconv made of it). Unknown is common, and answered without strconv's error, an allocation.
func count(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n >= 0
}

// amount reads a cost; "" (unknown) or anything unreadable or negative is not one.
func amount(s string) (float64, bool) {
	if s == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil && f >= 0
}

// Group dimensions and buckets a query may ask for.
var (
	Dimensions = []string{"endpoint", "user", "organization", "model"}
	Buckets    = []string{"hour", "day", "month"}
)

// Query selects and shapes usage. From is inclusive, To exclusive; UserID, when set, keeps
// only that user's requests (a non-admin's view).
type Query struct {
	GroupBy  []string
	Bucket   string
	From, To time.Time
	UserID   string
}

// Validate names the first bad parameter.
func (q Query) Validate() error {
	for _, g := range q.GroupBy {
		if !slices.Contains(Dimensions, g) {
			return invalid("groupBy", "groupBy: %q is not one of %s", g, strings.Join(Dimensions, ", "))
		}
	}
	if q.Bucket != "" && !slices.Contains(Buckets, q.Bucket) {
		return invalid("bucket", "bucket: %q is not one of %s", q.Bucket, strings.Join(Buckets, ", "))
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return invalid("from", "from must be before to")
	}
	return nil
}

// Aggregate is one answer row: the group's keys (only those grouped by are set), the bucket's
// start (zero without a bucket), and its counts. Cost is unknown until prices are known.
type Aggregate struct {
	Endpoint     string
	EndpointID   string
	User         string
	UserID       string
	Organization string // organization id; "" for requests by users in none
	Model        string
	Provider     string
	BucketStart  time.Time
	Counts
}

// Summarize groups hourly rows as q asks. A request of a user in several organizations counts
// once in each of them when grouping by organization (and once otherwise).
func Summarize(rows []Row, q Query) []Aggregate {
	by := map[string]bool{}
	for _, g := range q.GroupBy {
		by[g] = true
	}
	type gkey struct {
		endpointID, userID, org, model, provider string
		bucket                                   int64
	}
	index := map[gkey]int{}
	var out []Aggregate
	for _, r := range rows {
		orgs := []string{""}
		if by["organization"] && r.OrgIDs != "" {
			orgs = strings.Split(r.OrgIDs, ",")
		}
		for _, org := range orgs {
			var k gkey
			a := Aggregate{}
			if by["endpoint"] {
				k.endpointID, a.EndpointID, a.Endpoint = r.EndpointID, r.EndpointID, r.EndpointName
			}
			if by["user"] {
				k.userID, a.UserID, a.User = r.UserID, r.UserID, r.UserName
			}
			if by["organization"] {
				k.org, a.Organization = org, org
			}
			if by["model"] {
				k.model, k.provider, a.Model, a.Provider = r.Model, r.Provider, r.Model, r.Provider
			}
			if q.Bucket != "" {
				a.BucketStart = bucketStart(r.Hour, q.Bucket)
				k.bucket = a.BucketStart.UnixMilli()
			}
			i, ok := index[k]
			if !ok {
				i = len(out)
				index[k] = i
				out = append(out, a)
			}
			out[i].Add(r.UsageCounts)
		}
	}
	slices.SortStableFunc(out, func(a, b Aggregate) int {
		if c := a.BucketStart.Compare(b.BucketStart); c != 0 {
			return c
		}
		return strings.Compare(fmt.Sprint(a.Endpoint, a.User, a.Organization, a.Model), fmt.Sprint(b.Endpoint, b.User, b.Organization, b.Model))
	})
	return out
}

func invalid(field, format string, args ...any) error {
	return &gateway.Error{Code: gateway.CodeInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

func bucketStart(hourMs int64, bucket string) time.Time {
	t := time.UnixMilli(hourMs).UTC()
	switch bucket {
	case "day":
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	case "month":
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return t
}
