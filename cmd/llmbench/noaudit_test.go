package main

import (
	"strings"
	"testing"
	"time"
)

func TestAuditVerdictComparesTheGatewayWithItsNoAuditBuild(t *testing.T) {
	row := func(name string, cpuPerReq time.Duration) result {
		return result{target: name, concurrency: targetConcurrency, ok: 1000, cpu: 1000 * cpuPerReq}
	}
	for _, c := range []struct {
		with, without time.Duration
		want          string
	}{
		{200 * time.Microsecond, 185 * time.Microsecond, "PASS  durable audit's share of gateway CPU per request at 32 callers: 200µs with vs 185µs without = 8%"},
		{200 * time.Microsecond, 150 * time.Microsecond, "FAIL  durable audit's share of gateway CPU per request at 32 callers: 200µs with vs 150µs without = 25%"},
	} {
		rows := []result{row("proxy", 100*time.Microsecond), row("gateway", c.with), row(noAuditTarget, c.without)}
		got := verdicts(rows)
		if len(got) != 3 || !strings.HasPrefix(got[2], c.want) { // CPU and throughput vs the proxy, then the audit
			t.Fatalf("auditVerdicts = %q; want prefix %q", got, c.want)
		}
	}
	if got := auditChecks([]result{row("gateway", time.Millisecond)}); got != nil {
		t.Fatalf("without a no-audit phase: %v; want no verdict", got)
	}
}
