package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// printReport writes one row per phase, then per concurrency and mode the gateway's cost
// relative to calling the fake directly, then the gateway's memory.
func printReport(out io.Writer, rows []result, mem memory, errorLogs int64) {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "target\tmode\tconc\tok\terrors\treq/s\tp50\tp99\tTTFB p50\tTTFB p99\t")
	for _, r := range rows {
		ttfb50, ttfb99 := "-", "-"
		if r.stream {
			ttfb50, ttfb99 = ms(percentile(r.ttfb, 0.50)), ms(percentile(r.ttfb, 0.99))
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%.0f\t%s\t%s\t%s\t%s\t\n", r.target, mode(r.stream), r.concurrency, r.ok, r.failed,
			r.rate(), ms(percentile(r.latency, 0.50)), ms(percentile(r.latency, 0.99)), ttfb50, ttfb99)
	}
	w.Flush()

	fmt.Fprintln(out, "\ngateway cost (gateway − direct; ratio gateway/direct):")
	w = tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "mode\tconc\tadded p50\tadded p99\tthroughput ratio\tadded TTFB p50\tadded TTFB p99\t")
	for _, pair := range pairs(rows) {
		d, g := pair[0], pair[1]
		addedTTFB50, addedTTFB99 := "-", "-"
		if d.stream {
			addedTTFB50 = ms(percentile(g.ttfb, 0.50) - percentile(d.ttfb, 0.50))
			addedTTFB99 = ms(percentile(g.ttfb, 0.99) - percentile(d.ttfb, 0.99))
		}
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%.2f\t%s\t%s\t\n", mode(d.stream), d.concurrency,
			ms(percentile(g.latency, 0.50)-percentile(d.latency, 0.50)), ms(percentile(g.latency, 0.99)-percentile(d.latency, 0.99)),
			ratio(g.rate(), d.rate()), addedTTFB50, addedTTFB99)
	}
	w.Flush()

	fmt.Fprintf(out, "\ngateway memory at the end: RSS %.1f MiB (peak %.1f MiB); error lines in its log: %d\n",
		float64(mem.rssKiB)/1024, float64(mem.peakKiB)/1024, errorLogs)
	for _, r := range rows {
		if r.failed > 0 {
			fmt.Fprintf(out, "errors: %s %s c=%d: %d failed, first: %s\n", r.target, mode(r.stream), r.concurrency, r.failed, r.firstError)
		}
	}
}

// pairs matches each direct phase with the gateway phase of the same mode and concurrency.
func pairs(rows []result) [][2]result {
	var out [][2]result
	for _, d := range rows {
		if d.target != "direct" {
			continue
		}
		for _, g := range rows {
			if g.target == "gateway" && g.stream == d.stream && g.concurrency == d.concurrency {
				out = append(out, [2]result{d, g})
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

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}
