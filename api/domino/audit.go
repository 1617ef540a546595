package domino

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/llmgate/llmgate/api/httpkit"
	"github.com/llmgate/llmgate/audit"
	"github.com/llmgate/llmgate/gateway"
)

// auditData is AIGatewayAuditDataV1.
type auditData struct {
	EndpointID   string            `json:"endpointId"`
	EndpointType string            `json:"endpointType"`
	EventKind    string            `json:"eventKind"`
	Metadata     map[string]string `json:"metadata"`
	PerformedBy  string            `json:"performedBy"`
	Timestamp    string            `json:"timestamp"`
}

func toAuditData(ev *gateway.AuditEvent) auditData {
	md := ev.Metadata
	if md == nil {
		md = map[string]string{}
	}
	return auditData{EndpointID: ev.EndpointID, EndpointType: ev.EndpointType, EventKind: ev.Kind, Metadata: md,
		PerformedBy: ev.PerformedBy, Timestamp: gateway.FormatTime(ev.Timestamp)}
}

// parseAuditFilter reads the getAIGatewayAuditData query. Names match the name recorded in
// the event or the endpoint's current name (docs/contract/domino-aigateway.md §8 U12): current names are resolved to ids
// through the snapshot, so events recorded before a rename are found too.
func (h *api) parseAuditFilter(r *http.Request) (gateway.AuditFilter, error) {
	q := r.URL.Query()
	f := gateway.AuditFilter{EndpointIDs: multi(q, "endpointIds"), EndpointNames: multi(q, "endpointNames"),
		Kinds: multi(q, "eventKinds"), Usernames: multi(q, "usernames")}
	if len(f.Kinds) == 0 {
		f.Kinds = []string{gateway.KindAccessEndpoint}
	}
	snap := h.app.Snapshot()
	for _, name := range f.EndpointNames {
		if e := snap.Endpoint(name); e != nil {
			f.EndpointIDs = append(f.EndpointIDs, e.ID)
		}
	}
	var err error
	if f.Since, err = parseTime(q, "startTime"); err != nil {
		return f, err
	}
	if f.Until, err = parseTime(q, "endTime"); err != nil {
		return f, err
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && f.Until.Before(f.Since) {
		return f, gateway.Errorf(gateway.CodeInvalid, "endTime must not be before startTime")
	}
	return f, parseAuditPage(q, &f)
}

// The audit list is paged always: without limit it answers auditDefaultLimit events, and no
// request gets more than auditMaxLimit, so one request's cost is bounded however long the
// trail. The body stays Domino's bare array; the next page's position travels in headers.
const (
	auditDefaultLimit = 1000
	auditMaxLimit     = 10000
)

// parseAuditPage reads limit, offset and the keyset cursor `after` (from the previous page's
// X-Llmgate-Audit-Next header), which costs the same on the last page as on the first.
func parseAuditPage(q url.Values, f *gateway.AuditFilter) error {
	f.Limit = auditDefaultLimit
	if q.Has("limit") {
		n, err := strconv.Atoi(strings.TrimSpace(q.Get("limit")))
		if err != nil || n < 1 {
			return gateway.Errorf(gateway.CodeInvalid, "limit must be an integer >= 1")
		}
		f.Limit = min(n, auditMaxLimit)
	}
	if q.Has("offset") {
		n, err := strconv.Atoi(strings.TrimSpace(q.Get("offset")))
		if err != nil || n < 0 {
			return gateway.Errorf(gateway.CodeInvalid, "offset must be an integer >= 0")
		}
		f.Offset = n
	}
	if q.Has("after") {
		c, err := parseCursor(q.Get("after"))
		if err != nil {
			return err
		}
		f.After = c
	}
	return nil
}

// formatCursor and parseCursor carry a (timestamp, seq) position as "<unix ms>.<seq>".
func formatCursor(c *gateway.AuditCursor) string { return c.String() }

func parseCursor(s string) (*gateway.AuditCursor, error) {
	c, ok := gateway.ParseAuditCursor(s)
	if !ok {
		return nil, gateway.Errorf(gateway.CodeInvalid, "after must be the X-Llmgate-Audit-Next value of the previous page")
	}
	return c, nil
}

// queryAudit answers a bare JSON array, as Domino's contract has no envelope. A full page
// names the next one in X-Llmgate-Audit-Next (the cursor) and a Link rel="next" header.
func (h *api) queryAudit(w http.ResponseWriter, r *http.Request, _ *gateway.Principal) {
	f, err := h.parseAuditFilter(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	events, err := h.app.Store.QueryAudit(r.Context(), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := make([]auditData, 0, len(events))
	for i := range events {
		out = append(out, toAuditData(&events[i]))
	}
	if len(events) == f.Limit {
		next := formatCursor(gateway.CursorOf(&events[len(events)-1]))
		q := r.URL.Query()
		q.Del("offset")
		q.Set("after", next)
		w.Header().Set("X-Llmgate-Audit-Next", next)
		w.Header().Set("Link", fmt.Sprintf("<%s?%s>; rel=\"next\"", r.URL.Path, q.Encode()))
	}
	httpkit.WriteJSON(w, http.StatusOK, out)
}

// downloadWindow is what the UI's "Download logs" covers: six months, generously counted.
const downloadWindow = 183 * 24 * time.Hour

// downloadAudit serves the v4 audit file: every kind of the last 183 days, as a JSON array
// (useJson=true) or one text line per event (docs/contract/domino-aigateway.md §6.4).
func (h *api) downloadAudit(w http.ResponseWriter, r *http.Request, _ *gateway.Principal) {
	useJSON, err := parseBool(r.URL.Query(), "useJson", false)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	now := gateway.Now()
	f := gateway.AuditFilter{Since: now.Add(-downloadWindow)}
	// The first page is read before the status is sent, so a failing database is still a
	// proper error answer; later pages stream behind it in constant memory.
	if _, err := h.app.Store.QueryAudit(r.Context(), gateway.AuditFilter{Since: f.Since, Limit: 1}); err != nil {
		h.fail(w, r, err)
		return
	}
	ext := "txt"
	if useJSON {
		ext = "json"
	}
	w.Header().Set("Content-Disposition",
		fmt.Sprintf(`attachment; filename="ai-gateway-audit-%s.%s"`, now.Format("20060102"), ext))
	w.Header().Set("Content-Type", "application/octet-stream")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 64<<10)
	if useJSON {
		err = streamJSONArray(r.Context(), h.app.Store, f, bw)
	} else {
		err = audit.Each(r.Context(), h.app.Store, f, func(ev *gateway.AuditEvent) error {
			_, err := fmt.Fprintln(bw, auditLine(ev))
			return err
		})
	}
	if err == nil {
		err = bw.Flush()
	}
	if err != nil && r.Context().Err() == nil {
		h.log.Error("audit download broke off", "err", err) // the status is sent; the body ends short
	}
}

// streamJSONArray writes the matching events as one JSON array, page by page.
func streamJSONArray(ctx context.Context, store gateway.AuditLog, f gateway.AuditFilter, w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	sep := "["
	err := audit.Each(ctx, store, f, func(ev *gateway.AuditEvent) error {
		if _, err := io.WriteString(w, sep); err != nil {
			return err
		}
		sep = ","
		return enc.Encode(toAuditData(ev))
	})
	if err != nil {
		return err
	}
	if sep == "[" {
		_, err = io.WriteString(w, "[]\n")
	} else {
		_, err = io.WriteString(w, "]\n")
	}
	return err
}

// auditLine is the txt download's one-line form of an event. Values come from metadata that
// may hold anything a client sent (user agents), so line breaks are escaped.
func auditLine(ev *gateway.AuditEvent) string {
	md := ev.Metadata
	line := fmt.Sprintf("%s %s endpoint=%s (%s) type=%s by=%s (%s) outcome=%s status=%s",
		gateway.FormatTime(ev.Timestamp), ev.Kind, md["endpointName"], ev.EndpointID, ev.EndpointType,
		ev.Username(), ev.PerformedBy, md["outcome"], md["httpStatus"])
	return strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(line)
}
