package gateway

// UsageKey identifies one hourly usage row (package usage). OrgIDs are the caller's organizations when the request was
// recorded (sorted, comma-separated): a later change of membership does not rewrite history.
type UsageKey struct {
	Hour         int64 // start of the UTC hour, Unix milliseconds
	EndpointID   string
	EndpointName string
	UserID       string
	UserName     string
	Provider     string
	Model        string
	OrgIDs       string
}

// UsageCounts are what an hourly row (or an aggregate) adds up. Tokens count only requests whose
// usage the provider reported; UnknownUsage counts the others, so an unknown is never a 0.
type UsageCounts struct {
	Requests         int64
	Errors           int64 // any outcome but success
	PromptTokens     int64
	CompletionTokens int64
	TotalTokens      int64
	UnknownUsage     int64 // requests that reached the provider but reported no token counts
	LatencyMsSum     int64
	Cost             float64 // of the requests whose cost is known, in Currency
	UnknownCost      int64   // requests whose cost is unknown (no price, or usage unknown)
	// Latency counts requests per latency bucket (LatencyBoundsMs), for percentiles.
	Latency [LatencyBuckets]int64
}

// LatencyBoundsMs are the upper bounds of the usage rows' latency buckets; a last bucket holds
// everything slower. Percentiles read from them are bucket bounds: exact enough to compare
// endpoints and periods, at 12 counters per row instead of every request's latency.
var LatencyBoundsMs = [...]int64{25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000}

// LatencyBuckets is the number of latency buckets.
const LatencyBuckets = len(LatencyBoundsMs) + 1

// LatencyBucket is the bucket of a request that took ms.
func LatencyBucket(ms int64) int {
	for i, bound := range LatencyBoundsMs {
		if ms <= bound {
			return i
		}
	}
	return len(LatencyBoundsMs)
}

// LatencyPercentile is the upper bound (ms) of the bucket holding the q-quantile (0 < q <= 1)
// of the counted latencies; ok is false without any. A quantile in the last bucket is -1: slower
// than the largest bound.
func (c *UsageCounts) LatencyPercentile(q float64) (ms int64, ok bool) {
	var total int64
	for _, n := range c.Latency {
		total += n
	}
	if total == 0 {
		return 0, false
	}
	rank := int64(q*float64(total) + 0.999999)
	var seen int64
	for i, n := range c.Latency {
		if seen += n; seen >= rank {
			if i == len(LatencyBoundsMs) {
				return -1, true
			}
			return LatencyBoundsMs[i], true
		}
	}
	return -1, true
}

// Add adds o to c.
func (c *UsageCounts) Add(o UsageCounts) {
	c.Requests += o.Requests
	c.Errors += o.Errors
	c.PromptTokens += o.PromptTokens
	c.CompletionTokens += o.CompletionTokens
	c.TotalTokens += o.TotalTokens
	c.UnknownUsage += o.UnknownUsage
	c.LatencyMsSum += o.LatencyMsSum
	c.Cost += o.Cost
	c.UnknownCost += o.UnknownCost
	for i := range c.Latency {
		c.Latency[i] += o.Latency[i]
	}
}

// UsageRow is one stored hourly usage row.
type UsageRow struct {
	UsageKey
	UsageCounts
}
