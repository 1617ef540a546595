package console

import (
	"bufio"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/audit"
	"github.com/llmgate/llmgate/gateway"
)

// auditPageSize is how many events the audit page shows at once.
const auditPageSize = 50

// auditForm is the audit page's filter as the admin typed it.
type auditForm struct {
	Kind, User, Endpoint, Outcome, From, To string
}

func (f auditForm) query() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"kind": f.Kind, "user": f.User, "endpoint": f.Endpoint, "outcome": f.Outcome, "from": f.From, "to": f.To} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

type auditData struct {
	Form     auditForm
	Kinds    []string
	Outcomes []string
	Events   []gateway.AuditEvent
	Next     string // the next page's URL; empty on the last page
	First    bool
	Export   string // the filter as a query string, for the download links
	Verify   *audit.Report
}

const timeInput = "2006-01-02T15:04"

// readAuditForm turns the page's query into a store filter plus the outcome test the store
// cannot do; a bad value gets a message next to its field.
func readAuditForm(r *http.Request, errs map[string]string) (auditForm, gateway.AuditFilter, app.AuditKeep) {
	q := r.URL.Query()
	f := auditForm{Kind: q.Get("kind"), User: strings.TrimSpace(q.Get("user")), Endpoint: strings.TrimSpace(q.Get("endpoint")),
		Outcome: q.Get("outcome"), From: q.Get("from"), To: q.Get("to")}
	var filter gateway.AuditFilter
	if f.Kind != "" {
		if !slices.Contains(gateway.AuditKinds, f.Kind) {
			errs["kind"] = "Choose a kind from the list."
		}
		filter.Kinds = []string{f.Kind}
	}
	if f.User != "" {
		filter.Usernames = []string{truncate(f.User, 128)}
	}
	if f.Endpoint != "" {
		filter.EndpointNames = []string{truncate(f.Endpoint, 256)}
	}
	for _, t := range []struct {
		field, value string
		into         *time.Time
	}{{"from", f.From, &filter.Since}, {"to", f.To, &filter.Until}} {
		if t.value == "" {
			continue
		}
		parsed, err := time.Parse(timeInput, t.value)
		if err != nil {
			errs[t.field] = "Use a date and time like 2026-12-04T09:30 (UTC)."
		}
		*t.into = parsed.UTC()
	}
	if !filter.Since.IsZero() && !filter.Until.IsZero() && filter.Until.Before(filter.Since) {
		errs["to"] = "The end is before the start."
	}
	var keep app.AuditKeep
	if f.Outcome != "" {
		if !slices.Contains(gateway.AccessOutcomes, f.Outcome) {
			errs["outcome"] = "Choose an outcome from the list."
		}
		keep = func(ev *gateway.AuditEvent) bool { return ev.Metadata["outcome"] == f.Outcome }
	}
	return f, filter, keep
}

// auditTrail pages through the trail with filters and a keyset cursor, so the millionth page
// costs what the first does.
func (c *Console) auditTrail(w http.ResponseWriter, r *http.Request, v *view) error {
	return c.renderAudit(w, r, v, nil)
}

func (c *Console) renderAudit(w http.ResponseWriter, r *http.Request, v *view, report *audit.Report) error {
	form, filter, keep := readAuditForm(r, v.Errors)
	d := auditData{Form: form, Kinds: gateway.AuditKinds, Outcomes: gateway.AccessOutcomes, Verify: report,
		Export: form.query().Encode()}
	status := http.StatusOK
	if len(v.Errors) > 0 {
		status = http.StatusBadRequest
	} else {
		if after := r.URL.Query().Get("after"); after != "" {
			if filter.After, _ = gateway.ParseAuditCursor(after); filter.After == nil {
				return gateway.Errorf(gateway.CodeInvalid, "this page link is damaged; start again from the first page")
			}
		}
		d.First = filter.After == nil
		events, next, err := c.app.AuditPage(r.Context(), v.actor(), filter, keep, auditPageSize)
		if err != nil {
			return err
		}
		d.Events = events
		if next != nil {
			q := form.query()
			q.Set("after", next.String())
			d.Next = Prefix + "/admin/audit?" + q.Encode()
		}
	}
	v.Title, v.Nav, v.Data = "Audit trail", "audit", d
	c.render(w, status, "audit", v)
	return nil
}

type auditEventData struct {
	Event *gateway.AuditEvent
	Keys  []string
}

func (c *Console) auditEvent(w http.ResponseWriter, r *http.Request, v *view) error {
	seq, err := strconv.ParseInt(r.PathValue("seq"), 10, 64)
	if err != nil || seq < 1 {
		return gateway.Errorf(gateway.CodeNotFound, "no audit event %q", truncate(r.PathValue("seq"), 32))
	}
	ev, err := c.app.AuditEvent(r.Context(), v.actor(), seq)
	if err != nil {
		return err
	}
	keys := make([]string, 0, len(ev.Metadata))
	for k := range ev.Metadata {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	v.Title, v.Nav, v.Data = fmt.Sprintf("Audit event %d", seq), "audit", auditEventData{Event: ev, Keys: keys}
	c.render(w, http.StatusOK, "auditevent", v)
	return nil
}

// exportAudit downloads the filtered set (every page, not just the one shown) as CSV or JSONL.
func (c *Console) exportAudit(w http.ResponseWriter, r *http.Request, v *view) error {
	_, filter, keep := readAuditForm(r, v.Errors)
	if len(v.Errors) > 0 {
		return gateway.Errorf(gateway.CodeInvalid, "the filter is not valid; fix it on the audit page first")
	}
	format := r.URL.Query().Get("format")
	if format != "csv" && format != "jsonl" {
		return gateway.Errorf(gateway.CodeInvalid, "format must be csv or jsonl")
	}
	w.Header().Set("Content-Type", map[string]string{"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}[format])
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="llmgate-audit-%s.%s"`, time.Now().UTC().Format("20060102-1504"), format))
	out := &startedWriter{w: w}
	bw := bufio.NewWriterSize(out, 64<<10)
	err := c.app.ExportAudit(r.Context(), v.actor(), filter, keep, format, bw)
	if err == nil {
		err = bw.Flush()
	}
	if err != nil && out.started {
		// Part of the file is out: end the response without its final chunk, so the browser
		// reports a failed download instead of keeping a truncated file as complete.
		panic(http.ErrAbortHandler)
	}
	return err
}

// startedWriter records whether anything was written (and so the status sent).
type startedWriter struct {
	w       http.ResponseWriter
	started bool
}

func (s *startedWriter) Write(p []byte) (int, error) {
	s.started = true
	return s.w.Write(p)
}

// verifyAudit checks the whole chain now and shows the result on the audit page.
func (c *Console) verifyAudit(w http.ResponseWriter, r *http.Request, v *view) error {
	report, err := c.app.VerifyAudit(r.Context(), v.actor())
	if err != nil {
		return err
	}
	return c.renderAudit(w, r, v, &report)
}
