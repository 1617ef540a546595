package console

import (
	"fmt"
	"html"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/llmgate/llmgate/usage"
)

type usageData struct {
	Days     int
	Rows     []usage.Aggregate
	Requests template.HTML
	Tokens   template.HTML
	Totals   usage.Counts
	Scope    string
	Groups   []string // the dashboard's group-by choices (admins)
}

// myUsage shows the signed-in user's requests and tokens per endpoint over the last days.
func (c *Console) myUsage(w http.ResponseWriter, r *http.Request, v *view) error {
	d, err := c.usage(r, v, v.User.ID, "endpoint")
	if err != nil {
		return err
	}
	v.Title, v.Nav, v.Data = "My usage", "usage", d
	c.render(w, http.StatusOK, "usage", v)
	return nil
}

// usage reads the period the page asks for (days=1..366, default 7) through app.Usage, which
// lets a non-admin read only their own.
func (c *Console) usage(r *http.Request, v *view, userID, groupBy string) (usageData, error) {
	days := 7
	if n, err := fmt.Sscan(r.URL.Query().Get("days"), &days); n != 1 || err != nil || days < 1 || days > 366 {
		days = 7
	}
	now := time.Now().UTC()
	to := now.Truncate(time.Hour).Add(time.Hour)
	from := to.Add(-time.Duration(days) * 24 * time.Hour)
	rows, err := c.app.Usage(r.Context(), v.actor(), usage.Query{GroupBy: []string{groupBy}, From: from, To: to, UserID: userID})
	if err != nil {
		return usageData{}, err
	}
	daily, err := c.app.Usage(r.Context(), v.actor(), usage.Query{Bucket: "day", From: from, To: to, UserID: userID})
	if err != nil {
		return usageData{}, err
	}
	d := usageData{Days: days, Rows: rows, Scope: groupBy}
	for _, a := range rows {
		d.Totals.Add(a.Counts)
	}
	var req, tok []bar
	for day := from.Truncate(24 * time.Hour); day.Before(to); day = day.Add(24 * time.Hour) {
		var c usage.Counts
		for _, a := range daily {
			if a.BucketStart.Equal(day) {
				c = a.Counts
			}
		}
		label := day.Format("01-02")
		req, tok = append(req, bar{label, float64(c.Requests)}), append(tok, bar{label, float64(c.TotalTokens)})
	}
	d.Requests, d.Tokens = barChart("Requests per day", req), barChart("Tokens per day", tok)
	return d, nil
}

type bar struct {
	Label string
	Value float64
}

// barChart draws bars as an inline SVG (no script, so the CSP allows it); every label is
// escaped.
func barChart(title string, bars []bar) template.HTML {
	const w, h, pad = 720, 180, 24
	top := 0.0
	for _, b := range bars {
		top = max(top, b.Value)
	}
	var s strings.Builder
	fmt.Fprintf(&s, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="%s"><title>%s</title>`, w, h+2*pad, html.EscapeString(title), html.EscapeString(title))
	if len(bars) == 0 {
		return template.HTML(s.String() + "</svg>")
	}
	bw := float64(w) / float64(len(bars))
	for i, b := range bars {
		bh := 0.0
		if top > 0 {
			bh = b.Value / top * h
		}
		x := float64(i) * bw
		fmt.Fprintf(&s, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s: %s</title></rect>`,
			x+2, pad+h-bh, max(bw-4, 1), bh, html.EscapeString(b.Label), formatCount(b.Value))
		if len(bars) <= 31 {
			fmt.Fprintf(&s, `<text x="%.1f" y="%d">%s</text>`, x+bw/2, h+2*pad-4, html.EscapeString(b.Label))
		}
	}
	fmt.Fprintf(&s, `<text class="max" x="4" y="14">max %s</text></svg>`, formatCount(top))
	return template.HTML(s.String())
}

func formatCount(v float64) string {
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d", int64(v))
	}
	return fmt.Sprintf("%.2f", v)
}

// usageGroups are what the admin dashboard can break usage down by.
var usageGroups = []string{"endpoint", "user", "organization", "model"}

// adminUsage is the usage dashboard: every user's requests, errors, tokens and latency over
// the chosen period, by endpoint, user, organization or model.
func (c *Console) adminUsage(w http.ResponseWriter, r *http.Request, v *view) error {
	by := r.URL.Query().Get("by")
	if !slices.Contains(usageGroups, by) {
		by = "endpoint"
	}
	d, err := c.usage(r, v, "", by)
	if err != nil {
		return err
	}
	if by == "organization" {
		snap := c.app.Snapshot()
		for i := range d.Rows {
			if o := snap.Org(d.Rows[i].Organization); o != nil {
				d.Rows[i].Organization = o.Name
			} else if d.Rows[i].Organization == "" {
				d.Rows[i].Organization = "(no organization)"
			}
		}
	}
	d.Groups = usageGroups
	v.Title, v.Nav, v.Data = "Usage", "adminusage", d
	c.render(w, http.StatusOK, "usage", v)
	return nil
}
