package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// The gateway's /metrics counts its audit group commits (llmgate_audit_commit_events), so a
// phase can say how many events one commit (one transaction, one fsync) carried: the figure
// the durable audit's cost per request turns on.

// commitCounts is the histogram's running sum and count, as scraped.
type commitCounts struct{ events, commits float64 }

// scrapeCommits reads the audit commit histogram from the gateway's /metrics.
func scrapeCommits(client *http.Client, url string) (commitCounts, error) {
	resp, err := client.Get(url)
	if err != nil {
		return commitCounts{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return commitCounts{}, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return parseCommits(resp.Body)
}

func parseCommits(r io.Reader) (commitCounts, error) {
	var c commitCounts
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		var dst *float64
		switch name {
		case "llmgate_audit_commit_events_sum":
			dst = &c.events
		case "llmgate_audit_commit_events_count":
			dst = &c.commits
		default:
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			return c, fmt.Errorf("metric %s: %w", name, err)
		}
		*dst = v
	}
	return c, sc.Err()
}

// commitsLines reports the events per audit commit of every gateway phase that counted any.
func commitsLines(rows []result) []string {
	var out []string
	for _, r := range rows {
		if r.commits > 0 {
			out = append(out, fmt.Sprintf("%s %s c=%d: %.1f events per audit commit (%.0f commits, %.0f/s)",
				r.target, mode(r.stream), r.concurrency, r.commitEvents/r.commits, r.commits, r.commits/r.elapsed.Seconds()))
		}
	}
	return out
}
