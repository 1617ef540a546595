package main

import (
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/usage"
)

// usageCommand is `llmgate usage`: the admin API's GET /api/aigateway/v1/usage from the shell,
// through the same app operation.
func usageCommand() *cobra.Command {
	var o output
	var groupBy []string
	var bucket, from, to, user string
	c := &cobra.Command{Use: "usage", Short: "Requests and tokens by endpoint, user, organization or model over time", Args: cobra.NoArgs,
		Example: "  llmgate usage --group-by user --bucket day --from 2026-12-01T00:00:00Z\n  llmgate usage --group-by endpoint,model -o json"}
	c.Flags().StringSliceVar(&groupBy, "group-by", nil, "group by "+strings.Join(usage.Dimensions, ", ")+" (repeatable, comma-separated)")
	c.Flags().StringVar(&bucket, "bucket", "", "time bucket: "+strings.Join(usage.Buckets, ", ")+" (none: the whole range)")
	c.Flags().StringVar(&from, "from", "", "start of the range, RFC 3339 (inclusive; usage is hourly)")
	c.Flags().StringVar(&to, "to", "", "end of the range, RFC 3339 (exclusive)")
	c.Flags().StringVar(&user, "user", "", "only this user (name or id)")
	o.bind(c)
	return adminCommand(c, adminOpts{}, func(a *admin, _ []string) error {
		q := usage.Query{GroupBy: groupBy, Bucket: bucket}
		var err error
		if q.From, err = cliTime("--from", from); err != nil {
			return err
		}
		if q.To, err = cliTime("--to", to); err != nil {
			return err
		}
		if user != "" {
			u := a.app.Snapshot().UserByName(user)
			if u == nil {
				u = a.app.Snapshot().User(user)
			}
			if u == nil {
				return gateway.Errorf(gateway.CodeNotFound, "user %q not found", user)
			}
			q.UserID = u.ID
		}
		rows, err := a.app.Usage(a.ctx, app.CLIActor, q)
		if err != nil {
			return err
		}
		header := []string{"BUCKET", "ENDPOINT", "USER", "ORGANIZATION", "MODEL", "REQUESTS", "ERRORS", "PROMPT", "COMPLETION", "TOTAL", "UNKNOWN", "COST (USD)"}
		table := make([][]string, len(rows))
		for i, r := range rows {
			b := ""
			if !r.BucketStart.IsZero() {
				b = r.BucketStart.Format(time.RFC3339)
			}
			org := r.Organization
			if o := a.app.Snapshot().Org(org); o != nil {
				org = o.Name
			}
			table[i] = []string{b, r.Endpoint, r.User, org, r.Model, i64s(r.Requests), i64s(r.Errors), i64s(r.PromptTokens),
				i64s(r.CompletionTokens), i64s(r.TotalTokens), i64s(r.UnknownUsage), costCell(r.Cost, r.UnknownCost, r.Requests)}
		}
		return o.print(a.out, rows, header, table)
	})
}

func cliTime(flag, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return t, gateway.Errorf(gateway.CodeInvalid, "%s must be an RFC 3339 date-time, e.g. 2026-12-01T00:00:00Z", flag)
	}
	return t, nil
}

func i64s(n int64) string { return strconv.FormatInt(n, 10) }

// costCell is the known cost, marked when some requests' cost is unknown; "" when none is known.
func costCell(cost float64, unknown, requests int64) string {
	switch {
	case unknown >= requests:
		return ""
	case unknown > 0:
		return strconv.FormatFloat(cost, 'f', 6, 64) + " (+" + i64s(unknown) + " unknown)"
	}
	return strconv.FormatFloat(cost, 'f', 6, 64)
}
