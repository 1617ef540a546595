package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// Targets of the performance issue, each a ratio to the bare proxy measured in the same run.
const (
	targetCPURatio        = 1.3                    // gateway CPU per request ≤ 1.3 × the bare proxy's
	targetThroughputRatio = 0.75                   // gateway throughput at 32 callers ≥ 0.75 × the bare proxy's
	targetAddedTTFB       = 100 * time.Microsecond // added streaming TTFB over the bare proxy at 1 caller
	targetConcurrency     = 32
)

// printReport writes one row per phase, the gateway's cost relative to the bare proxy and to
// calling the fake directly, the targets with PASS/FAIL, then the gateway's memory.
func printReport(out io.Writer, sum summary, mem memory, errorLogs int64) {
	rows := sum.rows
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "target\tmode\tconc\tok\terrors\treq/s\tp50\tp99\tTTFB p50\tTTFB p99\tCPU/req\t")
	for _, r := range rows {
		ttfb50, ttfb99 := "-", "-"
		if r.stream {
			ttfb50, ttfb99 = ms(percentile(r.ttfb, 0.50)), ms(percentile(r.ttfb, 0.99))
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%.0f\t%s\t%s\t%s\t%s\t%s\t\n", r.target, mode(r.stream), r.concurrency, r.ok, r.failed,
			r.rate(), ms(percentile(r.latency, 0.50)), ms(percentile(r.latency, 0.99)), ttfb50, ttfb99, us(r.cpuPerRequest()))
	}
	w.Flush()

	fmt.Fprintln(out, "\ngateway vs the bare proxy (added = gateway − proxy; ratios gateway/proxy):")
	w = tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "surface\tmode\tconc\tadded p50\tadded p99\tthroughput ratio\tCPU/req ratio\tadded TTFB p50\tadded TTFB p99\t")
	for _, pair := range pairs(rows, "proxy") {
		p, g := pair[0], pair[1]
		addedTTFB50, addedTTFB99 := "-", "-"
		if p.stream {
			addedTTFB50 = ms(percentile(g.ttfb, 0.50) - percentile(p.ttfb, 0.50))
			addedTTFB99 = ms(percentile(g.ttfb, 0.99) - percentile(p.ttfb, 0.99))
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\t%.2f\t%.2f\t%s\t%s\t\n", g.target, mode(p.stream), p.concurrency,
			ms(percentile(g.latency, 0.50)-percentile(p.latency, 0.50)), ms(percentile(g.latency, 0.99)-percentile(p.latency, 0.99)),
			ratio(g.rate(), p.rate()), ratio(float64(g.cpuPerRequest()), float64(p.cpuPerRequest())), addedTTFB50, addedTTFB99)
	}
	w.Flush()

	fmt.Fprintln(out, "\ntargets:")
	for _, v := range sum.verdicts {
		fmt.Fprintln(out, v)
	}

	if lines := commitsLines(rows); len(lines) > 0 {
		fmt.Fprintln(out, "\naudit group commits (llmgate_audit_commit_events):")
		for _, l := range lines {
			fmt.Fprintln(out, l)
		}
	}
	if lines := syncLines(rows, sum.sync); len(lines) > 0 {
		fmt.Fprintln(out, "\nthe floor of an answer that waits for its event's fsync:")
		for _, l := range lines {
			fmt.Fprintln(out, l)
		}
	}

	fmt.Fprintf(out, "\ngateway memory at the end: RSS %.1f MiB (peak %.1f MiB); error lines in its log: %d\n",
		float64(mem.rssKiB)/1024, float64(mem.peakKiB)/1024, errorLogs)
	for _, r := range rows {
		if r.failed > 0 {
			fmt.Fprintf(out, "errors: %s %s c=%d: %d failed, first: %s\n", r.target, mode(r.stream), r.concurrency, r.failed, r.firstError)
		}
	}
}

// verdicts checks each target against the proxy phase of the same mode and concurrency.
func verdicts(rows []result) []string {
	var out []string
	for _, c := range checks(rows) {
		out = append(out, c.line)
	}
	if len(out) == 0 {
		out = append(out, fmt.Sprintf("(none measured: run with concurrency 1 and %d)", targetConcurrency))
	}
	return out
}

// check is one target judged in one run: the value judged and the verdict's line.
type check struct {
	value float64
	shown string // value as the line shows it
	line  string
}

func newCheck(ok bool, value float64, shown string, format string, args ...any) check {
	verdict := "FAIL"
	if ok {
		verdict = "PASS"
	}
	return check{value: value, shown: shown, line: verdict + "  " + fmt.Sprintf(format, args...)}
}

// checks judges every target measured in rows, in a fixed order.
func checks(rows []result) []check {
	var out []check
	for _, pair := range pairs(rows, "proxy") {
		p, g := pair[0], pair[1]
		switch {
		case !p.stream && p.concurrency == targetConcurrency:
			cpu := ratio(float64(g.cpuPerRequest()), float64(p.cpuPerRequest()))
			out = append(out, newCheck(cpu <= targetCPURatio, cpu, fmt.Sprintf("%.2f×", cpu), "%s CPU per request at %d callers: %s vs proxy %s = %.2f× (target ≤ %.2f×)",
				g.target, p.concurrency, us(g.cpuPerRequest()), us(p.cpuPerRequest()), cpu, targetCPURatio))
			tp := ratio(g.rate(), p.rate())
			out = append(out, newCheck(tp >= targetThroughputRatio, tp, fmt.Sprintf("%.2f×", tp), "%s throughput at %d callers: %.0f vs proxy %.0f req/s = %.2f× (target ≥ %.2f×)",
				g.target, p.concurrency, g.rate(), p.rate(), tp, targetThroughputRatio))
		case p.stream && p.concurrency == 1 && !hasPaired(rows): // else judged paired (paired.go)
			for _, q := range []float64{0.50, 0.99} {
				added := percentile(g.ttfb, q) - percentile(p.ttfb, q)
				out = append(out, newCheck(added <= targetAddedTTFB, float64(added), ms(added), "%s added streaming TTFB p%.0f at 1 caller: %s (target ≤ %s)",
					g.target, q*100, ms(added), ms(targetAddedTTFB)))
			}
		}
	}
	out = append(out, pairedChecks(rows)...)
	return append(out, auditChecks(rows)...)
}

// find returns the row of target in a mode (streamed or not) at concurrency.
func find(rows []result, target string, stream bool, concurrency int) (result, bool) {
	for _, r := range rows {
		if r.target == target && r.stream == stream && r.concurrency == concurrency {
			return r, true
		}
	}
	return result{}, false
}

// pairs matches each phase of the base target with every gateway phase of the same mode and
// concurrency.
func pairs(rows []result, base string) [][2]result {
	var out [][2]result
	for _, b := range rows {
		if b.target != base {
			continue
		}
		for _, g := range rows {
			if (g.target == "gateway" || g.target == "gateway-mlflow") && g.stream == b.stream && g.concurrency == b.concurrency {
				out = append(out, [2]result{b, g})
			}
		}
	}
	return out
}

func mode(stream bool) string {
	if stream {
		return "stream"
	}
	return "chat"
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

func us(d time.Duration) string { return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond)) }

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}
