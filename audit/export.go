package audit

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/llmgate/llmgate/gateway"
)

// Record is the stored-document form of an event (spec §6.3), one JSON line per event.
type Record struct {
	ID           string            `json:"id"`
	Kind         string            `json:"kind"`
	Timestamp    string            `json:"timestamp"`
	PerformedBy  string            `json:"performedBy"`
	EndpointID   string            `json:"endpointId"`
	EndpointType string            `json:"endpointType"`
	Metadata     map[string]string `json:"metadata"`
	Seq          int64             `json:"seq"`
	PrevHash     string            `json:"prevHash"`
	Hash         string            `json:"hash"`
}

// ToRecord converts an event for export.
func ToRecord(ev *gateway.AuditEvent) Record {
	md := ev.Metadata
	if md == nil {
		md = map[string]string{}
	}
	return Record{
		ID: ev.ID, Kind: ev.Kind, Timestamp: gateway.FormatTime(ev.Timestamp), PerformedBy: ev.PerformedBy,
		EndpointID: ev.EndpointID, EndpointType: ev.EndpointType, Metadata: md,
		Seq: ev.Seq, PrevHash: ev.PrevHash, Hash: ev.Hash,
	}
}

// WriteJSONL writes one Record per line.
func WriteJSONL(w io.Writer, events []gateway.AuditEvent) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for i := range events {
		if err := enc.Encode(ToRecord(&events[i])); err != nil {
			return err
		}
	}
	return nil
}

// csvMetadataColumns come first in CSV exports because admins filter on them most.
var csvMetadataColumns = []string{
	"accessedByUsername", "accessedByUserId", "performedByUsername", "endpointName", "modelProvider",
	"modelName", "outcome", "httpStatus", "latencyMs", "promptTokens", "completionTokens",
	"totalTokens", "stream", "requestId", "clientIp", "userAgent", "api",
}

// WriteCSV writes a header and one row per event: fixed columns, the common metadata keys,
// then any other metadata keys found (sorted), then the chain fields.
func WriteCSV(w io.Writer, events []gateway.AuditEvent) error {
	known := map[string]bool{}
	for _, k := range csvMetadataColumns {
		known[k] = true
	}
	extraSet := map[string]bool{}
	for i := range events {
		for k := range events[i].Metadata {
			if !known[k] {
				extraSet[k] = true
			}
		}
	}
	extra := make([]string, 0, len(extraSet))
	for k := range extraSet {
		extra = append(extra, k)
	}
	sort.Strings(extra)
	mdCols := append(append([]string{}, csvMetadataColumns...), extra...)

	cw := csv.NewWriter(w)
	header := []string{"seq", "id", "timestamp", "kind", "performedBy", "endpointId", "endpointType"}
	for _, k := range mdCols {
		header = append(header, "metadata."+k)
	}
	header = append(header, "prevHash", "hash")
	if err := cw.Write(header); err != nil {
		return err
	}
	for i := range events {
		ev := &events[i]
		row := []string{strconv.FormatInt(ev.Seq, 10), ev.ID, gateway.FormatTime(ev.Timestamp), ev.Kind,
			ev.PerformedBy, ev.EndpointID, ev.EndpointType}
		for _, k := range mdCols {
			row = append(row, csvSafe(ev.Metadata[k]))
		}
		row = append(row, ev.PrevHash, ev.Hash)
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe defuses spreadsheet formula injection: user agents and names are caller-controlled.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
