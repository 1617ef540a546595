package e2e

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/fakeupstream"
	"github.com/llmgate/llmgate/internal/e2e"
)

type usageRow struct {
	User             *string  `json:"user"`
	Organization     *string  `json:"organization"`
	Endpoint         *string  `json:"endpoint"`
	Model            *string  `json:"model"`
	BucketStart      *string  `json:"bucketStart"`
	Requests         int64    `json:"requests"`
	Errors           int64    `json:"errors"`
	PromptTokens     int64    `json:"promptTokens"`
	CompletionTokens int64    `json:"completionTokens"`
	TotalTokens      int64    `json:"totalTokens"`
	Cost             *float64 `json:"cost"`
	cost             float64
}

// Usage read from the API (JSON and CSV) and the CLI agrees with the audit trail to the
// token; a user reads only their own; bad parameters are 400s naming them.
func TestUsageAgreesWithTheAuditTrail(t *testing.T) {
	fake := e2e.StartFake(t, fakeupstream.Options{})
	for _, b := range e2e.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			g := e2e.Start(t, b.Options())
			_, annKey := g.CreateUser(t, "ann", false)
			_, bobKey := g.CreateUser(t, "bob", false)
			g.CLI(t, "orgs", "create", "--name", "research")
			g.CLI(t, "orgs", "add-member", "--name", "research", "--username", "ann")
			g.CreateEndpoint(t, e2e.OpenAIEndpoint("chat", fake.URL+"/v1", fakeupstream.DefaultKey("openai")))
			broken := e2e.OpenAIEndpoint("broken", fake.URL+"/v1", fakeupstream.DefaultKey("openai"))
			broken["modelName"] = "fake-error-500"
			g.CreateEndpoint(t, broken)
			for i, prompt := range []string{"one", "two words", "three words here"} {
				if r := g.Chat(t, annKey, "chat", prompt); r.Status != 200 {
					t.Fatalf("chat %d: %d %s", i, r.Status, r.Body)
				}
			}
			g.Chat(t, annKey, "broken", "fails")
			g.Chat(t, bobKey, "chat", "bob asks")

			// The audit trail's own counts, per user.
			audit := map[string]*usageRow{}
			for _, ev := range g.ExportAudit(t, "--kind", "AccessGatewayEndpoint") {
				u := ev.Metadata["accessedByUsername"]
				if audit[u] == nil {
					audit[u] = &usageRow{}
				}
				a := audit[u]
				a.Requests++
				if ev.Metadata["outcome"] != "success" {
					a.Errors++
				}
				n := func(k string) int64 { v, _ := strconv.ParseInt(ev.Metadata[k], 10, 64); return v }
				a.PromptTokens += n("promptTokens")
				a.CompletionTokens += n("completionTokens")
				a.TotalTokens += n("totalTokens")
				c, _ := strconv.ParseFloat(ev.Metadata["cost"], 64)
				a.cost += c
			}
			if audit["ann"] == nil || audit["ann"].Requests != 4 || audit["ann"].TotalTokens == 0 {
				t.Fatalf("audit counts %+v", audit)
			}

			var rows []usageRow
			r := g.Do(t, "GET", "/api/aigateway/v1/usage?groupBy=user&bucket=day", g.AdminKey, nil)
			if r.Status != 200 || json.Unmarshal(r.Body, &rows) != nil || len(rows) != 2 {
				t.Fatalf("usage by user: %d %s", r.Status, r.Body)
			}
			for _, row := range rows {
				want := audit[*row.User]
				if want == nil || row.Requests != want.Requests || row.Errors != want.Errors || row.PromptTokens != want.PromptTokens ||
					row.CompletionTokens != want.CompletionTokens || row.TotalTokens != want.TotalTokens || row.BucketStart == nil || row.Cost == nil || math.Abs(*row.Cost-want.cost) > 1e-12 || want.cost <= 0 {
					t.Errorf("usage row %+v disagrees with the audit trail %+v", row, want)
				}
			}

			// By organization: ann's requests count for research, bob's for none.
			r = g.Do(t, "GET", "/api/aigateway/v1/usage?groupBy=organization", g.AdminKey, nil)
			if json.Unmarshal(r.Body, &rows) != nil || len(rows) != 2 {
				t.Fatalf("usage by organization: %d %s", r.Status, r.Body)
			}
			for _, row := range rows {
				if *row.Organization == "research" && row.Requests != 4 || *row.Organization == "" && row.Requests != 1 {
					t.Errorf("organization row %+v", row)
				}
			}

			// A user reads their own usage only.
			r = g.Do(t, "GET", "/api/aigateway/v1/usage?groupBy=user", bobKey, nil)
			if json.Unmarshal(r.Body, &rows) != nil || len(rows) != 1 || *rows[0].User != "bob" || rows[0].TotalTokens != audit["bob"].TotalTokens {
				t.Fatalf("bob's own usage: %d %s", r.Status, r.Body)
			}
			annID := g.ExportAudit(t, "--kind", "AccessGatewayEndpoint", "--user", "ann")[0].Metadata["accessedByUserId"]
			if r := g.Do(t, "GET", "/api/aigateway/v1/usage?userId="+annID, bobKey, nil); r.Status != http.StatusForbidden {
				t.Fatalf("bob reading ann's usage: %d %s", r.Status, r.Body)
			}
			for q, field := range map[string]string{"groupBy=colour": "groupBy", "bucket=week": "bucket", "from=yesterday": "from",
				"format=xml": "format", "limit=5": "limit"} {
				if r := g.Do(t, "GET", "/api/aigateway/v1/usage?"+q, g.AdminKey, nil); r.Status != 400 || !strings.Contains(string(r.Body), field) {
					t.Errorf("%s: %d %s; want 400 naming %s", q, r.Status, r.Body, field)
				}
			}

			// /metrics (no per-user label) holds the same token totals.
			metricsText := string(e2e.Do(t, g.URL, "GET", "/metrics", nil, nil).Body)
			var metricTokens, auditTokens int64
			for _, line := range strings.Split(metricsText, "\n") {
				if strings.HasPrefix(line, "llmgate_tokens_total{") {
					f := strings.Fields(line)
					v, _ := strconv.ParseFloat(f[len(f)-1], 64)
					metricTokens += int64(v)
				}
			}
			for _, a := range audit {
				auditTokens += a.PromptTokens + a.CompletionTokens
			}
			if metricTokens != auditTokens || !strings.Contains(metricsText, `llmgate_time_to_first_byte_seconds_count{endpoint="",model="gpt-4o-mini",outcome="success",provider="openai"} 4`) {
				t.Errorf("/metrics tokens %d, audit %d; or no time-to-first-byte of the 4 answers:\n%s", metricTokens, auditTokens, metricsText)
			}

			// CSV and the CLI say the same.
			r = g.Do(t, "GET", "/api/aigateway/v1/usage?groupBy=model&format=csv", g.AdminKey, nil)
			recs, err := csv.NewReader(strings.NewReader(string(r.Body))).ReadAll()
			wantTotal := strconv.FormatInt(audit["ann"].TotalTokens+audit["bob"].TotalTokens, 10)
			found := false
			for _, rec := range recs[1:] {
				found = found || rec[0] == "gpt-4o-mini" && rec[6] == wantTotal
			}
			if err != nil || len(recs) != 3 || recs[0][0] != "model" || recs[0][6] != "totalTokens" || !found {
				t.Fatalf("csv: %v %q; want a gpt-4o-mini row with total %s", err, recs, wantTotal)
			}
			var cli []struct {
				User                  string
				Requests, TotalTokens int64
			}
			if err := json.Unmarshal([]byte(g.CLI(t, "usage", "--group-by", "user", "-o", "json")), &cli); err != nil || len(cli) != 2 {
				t.Fatalf("llmgate usage: %v %+v", err, cli)
			}
			for _, c := range cli {
				if c.TotalTokens != audit[c.User].TotalTokens || c.Requests != audit[c.User].Requests {
					t.Errorf("llmgate usage %+v disagrees with the audit trail %+v", c, audit[c.User])
				}
			}

			// An admin prices an endpoint; the next call costs what it says, and bad prices are 400s.
			r = g.Do(t, "PATCH", "/api/aigateway/v1/endpoints/chat", g.AdminKey, map[string]any{
				"pricing": map[string]any{"inputPerMillionTokens": 1000000, "outputPerMillionTokens": 500000}})
			if r.Status != 200 || !strings.Contains(string(r.Body), `"inputPerMillionTokens":1000000`) {
				t.Fatalf("pricing PATCH: %d %s", r.Status, r.Body)
			}
			if r := g.Chat(t, bobKey, "chat", "priced"); r.Status != 200 {
				t.Fatalf("chat: %d", r.Status)
			}
			evs := g.ExportAudit(t, "--kind", "AccessGatewayEndpoint", "--user", "bob")
			last := evs[len(evs)-1].Metadata
			p, _ := strconv.ParseFloat(last["promptTokens"], 64)
			c, _ := strconv.ParseFloat(last["completionTokens"], 64)
			if got, _ := strconv.ParseFloat(last["cost"], 64); math.Abs(got-(p*1+c*0.5)) > 1e-9 || last["currency"] != "USD" {
				t.Fatalf("priced call cost %q (prompt %v, completion %v)", last["cost"], p, c)
			}
			for body, field := range map[string]string{`{"pricing": {"inputPerMillionTokens": -1}}`: "pricing.inputPerMillionTokens",
				`{"pricing": {"currency": "XYZ", "inputPerMillionTokens": 1}}`: "pricing.currency",
				`{"pricing": {"inputPerMillionTokens": "cheap"}}`:              "pricing.inputPerMillionTokens",
				`{"pricing": {"perToken": 1}}`:                                 "pricing.perToken"} {
				var raw map[string]any
				json.Unmarshal([]byte(body), &raw)
				if r := g.Do(t, "PATCH", "/api/aigateway/v1/endpoints/chat", g.AdminKey, raw); r.Status != 400 || !strings.Contains(string(r.Body), field) {
					t.Errorf("%s: %d %s; want 400 naming %s", body, r.Status, r.Body, field)
				}
			}
			// The change is audited like every endpoint change.
			changes := g.ExportAudit(t, "--kind", "UpdateGatewayEndpoint")
			if len(changes) == 0 || !strings.Contains(changes[len(changes)-1].Metadata["changedFields"], "pricing") {
				t.Fatalf("pricing change not audited: %+v", changes)
			}
		})
	}
}
