package domino

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/llmgate/llmgate/api/httpkit"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/usage"
)

// usageRow is one row of GET /api/aigateway/v1/usage [EXT]: the group keys asked for, the
// bucket's start, the counts, and the cost (null until prices are known).
type usageRow struct {
	Endpoint         *string `json:"endpoint,omitempty"`
	EndpointID       *string `json:"endpointId,omitempty"`
	User             *string `json:"user,omitempty"`
	UserID           *string `json:"userId,omitempty"`
	Organization     *string `json:"organization,omitempty"`
	OrganizationID   *string `json:"organizationId,omitempty"`
	Model            *string `json:"model,omitempty"`
	Provider         *string `json:"provider,omitempty"`
	BucketStart      *string `json:"bucketStart,omitempty"`
	Requests         int64   `json:"requests"`
	Errors           int64   `json:"errors"`
	PromptTokens     int64   `json:"promptTokens"`
	CompletionTokens int64   `json:"completionTokens"`
	TotalTokens      int64   `json:"totalTokens"`
	UnknownUsage     int64   `json:"requestsWithUnknownUsage"`
	UnknownCost      int64   `json:"requestsWithUnknownCost"`
	MeanLatencyMs    float64 `json:"meanLatencyMs"`
	// [EXT] latency percentiles as the upper bound (ms) of their histogram bucket; -1 means
	// slower than 60 s; absent without requests counted in the histogram.
	LatencyP50Ms *int64   `json:"latencyP50Ms,omitempty"`
	LatencyP95Ms *int64   `json:"latencyP95Ms,omitempty"`
	LatencyP99Ms *int64   `json:"latencyP99Ms,omitempty"`
	Cost         *float64 `json:"cost"`
	Currency     string   `json:"currency"`
}

// usageParams are the parameters the route reads; any other is refused.
var usageParams = []string{"groupBy", "bucket", "from", "to", "format", "userId"}

// queryUsage serves GET /api/aigateway/v1/usage: an admin may read anyone's usage (userId
// narrows it to one user); any other caller reads their own.
func (h *api) queryUsage(w http.ResponseWriter, r *http.Request, p *gateway.Principal) {
	q, format, err := parseUsageQuery(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rows, err := h.app.Usage(r.Context(), h.actor(r, p), q)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := make([]usageRow, 0, len(rows))
	snap := h.app.Snapshot()
	for _, a := range rows {
		out = append(out, toUsageRow(snap, q, a))
	}
	if format == "csv" {
		writeUsageCSV(w, q, out)
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, out)
}

func parseUsageQuery(r *http.Request) (usage.Query, string, error) {
	v := r.URL.Query()
	for name := range v {
		if !contains(usageParams, name) {
			return usage.Query{}, "", gateway.Errorf(gateway.CodeInvalid, "unknown parameter %q; usage takes %s", truncate(name, 64), strings.Join(usageParams, ", "))
		}
	}
	q := usage.Query{GroupBy: multi(v, "groupBy"), Bucket: v.Get("bucket"), UserID: v.Get("userId")}
	var err error
	if q.From, err = parseTime(v, "from"); err != nil {
		return q, "", err
	}
	if q.To, err = parseTime(v, "to"); err != nil {
		return q, "", err
	}
	format := v.Get("format")
	if format == "" {
		format = "json"
	}
	if format != "json" && format != "csv" {
		return q, "", gateway.Errorf(gateway.CodeInvalid, "format: %q is not json or csv", truncate(format, 64))
	}
	return q, format, q.Validate()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func toUsageRow(snap *gateway.Snapshot, q usage.Query, a usage.Aggregate) usageRow {
	row := usageRow{Requests: a.Requests, Errors: a.Errors, PromptTokens: a.PromptTokens, CompletionTokens: a.CompletionTokens,
		TotalTokens: a.TotalTokens, UnknownUsage: a.UnknownUsage, UnknownCost: a.UnknownCost, Currency: gateway.Currency}
	if a.UnknownCost < a.Requests { // some requests have a known cost; the rest are counted in UnknownCost
		cost := a.Cost
		row.Cost = &cost
	}
	if a.Requests > 0 {
		row.MeanLatencyMs = float64(a.LatencyMsSum) / float64(a.Requests)
	}
	for q, dst := range map[float64]**int64{0.5: &row.LatencyP50Ms, 0.95: &row.LatencyP95Ms, 0.99: &row.LatencyP99Ms} {
		if ms, ok := a.LatencyPercentile(q); ok {
			*dst = &ms
		}
	}
	for _, g := range q.GroupBy {
		switch g {
		case "endpoint":
			row.Endpoint, row.EndpointID = ptr(a.Endpoint), ptr(a.EndpointID)
		case "user":
			row.User, row.UserID = ptr(a.User), ptr(a.UserID)
		case "organization":
			name := ""
			if o := snap.Org(a.Organization); o != nil {
				name = o.Name
			}
			row.Organization, row.OrganizationID = ptr(name), ptr(a.Organization)
		case "model":
			row.Model, row.Provider = ptr(a.Model), ptr(a.Provider)
		}
	}
	if q.Bucket != "" {
		row.BucketStart = ptr(a.BucketStart.Format(time.RFC3339))
	}
	return row
}

func ptr(s string) *string { return &s }

// writeUsageCSV writes the same rows as CSV, one column per group key asked for.
func writeUsageCSV(w http.ResponseWriter, q usage.Query, rows []usageRow) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	cw := csv.NewWriter(w)
	var head []string
	for _, g := range q.GroupBy {
		head = append(head, map[string][]string{"endpoint": {"endpoint", "endpointId"}, "user": {"user", "userId"},
			"organization": {"organization", "organizationId"}, "model": {"model", "provider"}}[g]...)
	}
	if q.Bucket != "" {
		head = append(head, "bucketStart")
	}
	head = append(head, "requests", "errors", "promptTokens", "completionTokens", "totalTokens", "requestsWithUnknownUsage",
		"requestsWithUnknownCost", "meanLatencyMs", "cost", "currency")
	_ = cw.Write(head)
	for _, r := range rows {
		var rec []string
		for _, g := range q.GroupBy {
			pair := map[string][2]*string{"endpoint": {r.Endpoint, r.EndpointID}, "user": {r.User, r.UserID},
				"organization": {r.Organization, r.OrganizationID}, "model": {r.Model, r.Provider}}[g]
			rec = append(rec, deref(pair[0]), deref(pair[1]))
		}
		if q.Bucket != "" {
			rec = append(rec, deref(r.BucketStart))
		}
		cost := ""
		if r.Cost != nil {
			cost = strconv.FormatFloat(*r.Cost, 'f', -1, 64)
		}
		rec = append(rec, i64(r.Requests), i64(r.Errors), i64(r.PromptTokens), i64(r.CompletionTokens), i64(r.TotalTokens),
			i64(r.UnknownUsage), i64(r.UnknownCost), strconv.FormatFloat(r.MeanLatencyMs, 'f', 1, 64), cost, r.Currency)
		_ = cw.Write(rec)
	}
	cw.Flush()
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func i64(n int64) string { return strconv.FormatInt(n, 10) }
