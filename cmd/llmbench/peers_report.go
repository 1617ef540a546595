package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
)

// peerReport is what the peers' part of the report shows: every phase beside llmgate's OpenAI
// surface ("gateway") and the bare proxy of the same mode and concurrency, and each system's
// memory at the end of the run.
type peerReport struct {
	titles []string // "LiteLLM proxy 1.110.2, 1 worker (litellm)", ...
	rows   []result
	memory []systemMemory
}

type namedPID struct {
	name string
	pid  int
}

type systemMemory struct {
	name string
	mem  treeMemory
	err  error
}

// ratioRow is one phase with its throughput and CPU per request as ratios to llmgate's and
// to the bare proxy's phase of the same mode and concurrency (0 where that phase is missing).
type ratioRow struct {
	result
	rateVsGateway, cpuVsGateway float64
	rateVsProxy, cpuVsProxy     float64
}

// ratioRows pairs every phase with the "gateway" and "proxy" phases of its mode and
// concurrency.
func ratioRows(rows []result) []ratioRow {
	out := make([]ratioRow, 0, len(rows))
	for _, r := range rows {
		row := ratioRow{result: r}
		if g, ok := find(rows, "gateway", r.stream, r.concurrency); ok {
			row.rateVsGateway = ratio(r.rate(), g.rate())
			row.cpuVsGateway = ratio(float64(r.cpuPerRequest()), float64(g.cpuPerRequest()))
		}
		if p, ok := find(rows, "proxy", r.stream, r.concurrency); ok {
			row.rateVsProxy = ratio(r.rate(), p.rate())
			row.cpuVsProxy = ratio(float64(r.cpuPerRequest()), float64(p.cpuPerRequest()))
		}
		out = append(out, row)
	}
	return out
}

// report measures the memory of the proxy, llmgate and every peer (their whole process
// trees) once all phases have run. Nil without peers.
func (s *peerSet) report(rows []result, proxyPID, gatewayPID int) *peerReport {
	if s == nil {
		return nil
	}
	r := &peerReport{rows: rows}
	systems := []namedPID{{"proxy", proxyPID}, {"gateway", gatewayPID}}
	for _, p := range s.peers {
		r.titles = append(r.titles, fmt.Sprintf("%s (%s)", p.title, p.name))
		systems = append(systems, namedPID{p.name, p.target.pid})
	}
	for _, sys := range systems {
		m, err := readTreeMemory(sys.pid)
		r.memory = append(r.memory, systemMemory{name: sys.name, mem: m, err: err})
	}
	return r
}

// print writes the ratio table and the memory table.
func (r *peerReport) print(out io.Writer) {
	if r == nil {
		return
	}
	fmt.Fprintf(out, "\npeers: %s; every system beside llmgate's OpenAI surface (gateway) and the bare proxy, same load, same run:\n",
		strings.Join(r.titles, ", "))
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "system\tmode\tconc\treq/s\tp50\tp99\tCPU/req\treq/s ÷ gateway\tCPU/req ÷ gateway\treq/s ÷ proxy\tCPU/req ÷ proxy\t")
	for _, row := range ratioRows(r.rows) {
		fmt.Fprintf(w, "%s\t%s\t%d\t%.0f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", row.target, mode(row.stream), row.concurrency, row.rate(),
			ms(percentile(row.latency, 0.50)), ms(percentile(row.latency, 0.99)), us(row.cpuPerRequest()),
			times(row.rateVsGateway), times(row.cpuVsGateway), times(row.rateVsProxy), times(row.cpuVsProxy))
	}
	w.Flush()

	fmt.Fprintln(out, "\nmemory at the end of the run (whole process tree; PSS splits pages shared by forked workers):")
	w = tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "system\tprocesses\tRSS\tpeak RSS\tPSS\tRSS ÷ gateway\tRSS ÷ proxy\t")
	base := map[string]int64{}
	for _, m := range r.memory {
		base[m.name] = m.mem.rssKiB
	}
	for _, m := range r.memory {
		if m.err != nil {
			fmt.Fprintf(w, "%s\t%v\t\t\t\t\t\t\n", m.name, m.err)
			continue
		}
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t\n", m.name, m.mem.procs, mib(m.mem.rssKiB), mib(m.mem.peakKiB), mib(m.mem.pss),
			times(ratio(float64(m.mem.rssKiB), float64(base["gateway"]))), times(ratio(float64(m.mem.rssKiB), float64(base["proxy"]))))
	}
	w.Flush()
}

// appendDoc adds the "Peers" section to the document writeDoc wrote.
func (r *peerReport) appendDoc(path string) error {
	if r == nil {
		return nil
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "\n## Peers\n\nThe same run (`make bench-peers`) drove the same load at %s, each from the virtualenv "+
		"scripts/bench-peers.sh installs (scripts/peers-requirements.txt), configured for the same fake upstream and "+
		"model with their shipped defaults: LiteLLM's proxy with a master key (every call authenticated), no database "+
		"and no telemetry; MLflow's gateway with one `llm/v1/chat` endpoint, called on its OpenAI-compatible route "+
		"`/v1/chat/completions` (it has no authentication; its streams end without `[DONE]`, so one counts as whole "+
		"when an event carries the finish reason). Worker processes as named: their defaults, LiteLLM 1 (so one core "+
		"at most) and MLflow's gateway 2 gunicorn workers, unless LLMBENCH_PEER_WORKERS says otherwise. "+
		"CPU per request and memory count "+
		"each server's whole process tree (uvicorn and gunicorn workers are children).\n\n```\n", strings.Join(r.titles, " and "))
	r.print(&b)
	b.WriteString("```\n")
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.Write(b.Bytes()); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func times(x float64) string {
	if x == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f×", x)
}

func mib(k int64) string { return fmt.Sprintf("%.1f MiB", float64(k)/1024) }
