package domino

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/llmgate/llmgate/api/httpkit"
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
// the event or the endpoint's current name (spec §8 U12): current names are resolved to ids
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
	if q.Has("offset") || q.Has("limit") {
		pg, err := parsePage(q)
		if err != nil {
			return f, err
		}
		f.Offset, f.Limit = pg.offset, pg.limit
	}
	return f, nil
}

// queryAudit answers a bare JSON array, as Domino's contract has no envelope.
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
	httpkit.WriteJSON(w, http.StatusOK, out)
}

// downloadWindow is what the UI's "Download logs" covers: six months, generously counted.
const downloadWindow = 183 * 24 * time.Hour

// downloadAudit serves the v4 audit file: every kind of the last 183 days, as a JSON array
// (useJson=true) or one text line per event (spec §6.4).
func (h *api) downloadAudit(w http.ResponseWriter, r *http.Request, _ *gateway.Principal) {
	useJSON, err := parseBool(r.URL.Query(), "useJson", false)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	now := gateway.Now()
	events, err := h.app.Store.QueryAudit(r.Context(), gateway.AuditFilter{Since: now.Add(-downloadWindow)})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ext := "txt"
	if useJSON {
		ext = "json"
	}
	w.Header().Set("Content-Disposition",
		fmt.Sprintf(`attachment; filename="ai-gateway-audit-%s.%s"`, now.Format("20060102"), ext))
	if useJSON {
		out := make([]auditData, 0, len(events))
		for i := range events {
			out = append(out, toAuditData(&events[i]))
		}
		writeAttachment(w, out)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.WriteHeader(http.StatusOK)
	for i := range events {
		fmt.Fprintln(w, auditLine(&events[i]))
	}
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

// writeAttachment writes v as a JSON file body.
func writeAttachment(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/octet-stream")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client may be gone; nothing useful to do
}
