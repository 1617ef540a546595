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
}

// UsageRow is one stored hourly usage row.
type UsageRow struct {
	UsageKey
	UsageCounts
}
