package main

import (
	"fmt"
	"os"
	"path/filepath"
)

// What the durable audit trail costs (issue 13 target 2) is measured by difference in the same
// run: the gateway built with the llmgate_noaudit tag (audit/noaudit_on.go: nothing is
// appended; scripts/bench.sh builds it as bin/llmgate-noaudit) is set up like the real one and
// serves the same OpenAI phases as "gateway-noaudit".

const noAuditTarget = "gateway-noaudit"

// targetAuditShare: the durable append may cost at most this share of the gateway's CPU per
// request.
const targetAuditShare = 0.10

// startNoAudit starts the measuring gateway on its own data directory under dir and returns
// it with its target ("" bin: not measured, nil gateway).
func startNoAudit(bin, dir, fakeURL string) (*gateway, []target, error) {
	if bin == "" {
		return nil, nil, nil
	}
	data := filepath.Join(dir, "noaudit")
	if err := os.MkdirAll(data, 0o700); err != nil {
		return nil, nil, err
	}
	g, err := startGateway(bin, data, false)
	if err != nil {
		return nil, nil, fmt.Errorf("the no-audit gateway (%s, built with -tags llmgate_noaudit): %w", bin, err)
	}
	key, err := g.setUp(fakeURL)
	if err != nil {
		g.stop()
		return nil, nil, err
	}
	return g, []target{{name: noAuditTarget, url: g.url + "/v1/chat/completions", key: key, model: endpointName, pid: g.cmd.Process.Pid}}, nil
}

// auditChecks compares the gateway with its no-audit build at targetConcurrency, unstreamed.
func auditChecks(rows []result) []check {
	with, ok := find(rows, "gateway", false, targetConcurrency)
	without, ok2 := find(rows, noAuditTarget, false, targetConcurrency)
	if !ok || !ok2 {
		return nil
	}
	share := auditShare(with.cpuPerRequest().Seconds(), without.cpuPerRequest().Seconds())
	return []check{newCheck(share <= targetAuditShare, share, fmt.Sprintf("%.0f%%", share*100), "durable audit's share of gateway CPU per request at %d callers: %s with vs %s without = %.0f%% (target ≤ %.0f%%)",
		targetConcurrency, us(with.cpuPerRequest()), us(without.cpuPerRequest()), share*100, targetAuditShare*100)}
}

// auditShare is (with − without) / with, 0 when nothing was measured.
func auditShare(with, without float64) float64 {
	if with <= 0 {
		return 0
	}
	return max(0, (with-without)/with)
}
