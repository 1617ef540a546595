package audit

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/llmgate/llmgate/gateway"
)

// Record is the stored-document form of an event (docs/contract/domino-aigateway.md §6.3), one JSON line per event.
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
	KeyID        string            `json:"keyId"`
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
		Seq: ev.Seq, PrevHash: ev.PrevHash, Hash: ev.Hash, KeyID: ev.KeyID,
	}
}

// WriteJSONL writes one Record per line.
func WriteJSONL(w io.Writer, events []gateway.AuditEvent) error {
	enc := jsonlEncoder(w)
	for i := range events {
		if err := enc.Encode(ToRecord(&events[i])); err != nil {
			return err
		}
	}
	return nil
}

func jsonlEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc
}

// ExportJSONL writes every event matching f, one Record per line, reading the store page by
// page: memory stays constant however many events match.
func ExportJSONL(ctx context.Context, store gateway.AuditLog, f gateway.AuditFilter, w io.Writer) error {
	return ExportWhere(ctx, store, f, "jsonl", nil, w)
}

// ExportWhere exports the events matching f for which keep (nil: all) is true, as "jsonl" or
// "csv", in constant memory. keep serves selections the store cannot filter (metadata such as
// outcome); it must give the same answer for the same event on both CSV passes.
func ExportWhere(ctx context.Context, store gateway.AuditLog, f gateway.AuditFilter, format string, keep func(*gateway.AuditEvent) bool, w io.Writer) error {
	if keep == nil {
		keep = func(*gateway.AuditEvent) bool { return true }
	}
	if format == "csv" {
		return exportCSV(ctx, store, f, keep, w)
	}
	enc := jsonlEncoder(w)
	return Each(ctx, store, f, func(ev *gateway.AuditEvent) error {
		if !keep(ev) {
			return nil
		}
		return enc.Encode(ToRecord(ev))
	})
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
	extra := extraKeys{}
	for i := range events {
		extra.add(&events[i])
	}
	cw, err := newCSVExport(w, extra)
	if err != nil {
		return err
	}
	for i := range events {
		if err := cw.write(&events[i]); err != nil {
			return err
		}
	}
	return cw.flush()
}

// ExportCSV writes the CSV form of every event matching f in two passes over the store, page
// by page: the first finds the metadata keys the header needs, the second writes the rows.
// Both stop at the chain head read first, so events appended meanwhile cannot add columns the
// header lacks.
func ExportCSV(ctx context.Context, store gateway.AuditLog, f gateway.AuditFilter, w io.Writer) error {
	return ExportWhere(ctx, store, f, "csv", nil, w)
}

func exportCSV(ctx context.Context, store gateway.AuditLog, f gateway.AuditFilter, keep func(*gateway.AuditEvent) bool, w io.Writer) error {
	head, err := store.AuditHead(ctx)
	if err != nil {
		return err
	}
	if head.Seq == 0 { // nothing yet: the header alone, not what is appended meanwhile
		cw, err := newCSVExport(w, extraKeys{})
		if err != nil {
			return err
		}
		return cw.flush()
	}
	f.MaxSeq = head.Seq
	extra := extraKeys{}
	err = Each(ctx, store, f, func(ev *gateway.AuditEvent) error {
		if keep(ev) {
			extra.add(ev)
		}
		return nil
	})
	if err != nil {
		return err
	}
	cw, err := newCSVExport(w, extra)
	if err != nil {
		return err
	}
	err = Each(ctx, store, f, func(ev *gateway.AuditEvent) error {
		if !keep(ev) {
			return nil
		}
		return cw.write(ev)
	})
	if err != nil {
		return err
	}
	return cw.flush()
}

// extraKeys collects the metadata keys outside csvMetadataColumns.
type extraKeys map[string]bool

func (x extraKeys) add(ev *gateway.AuditEvent) {
	for k := range ev.Metadata {
		if !x[k] && !slices.Contains(csvMetadataColumns, k) {
			x[k] = true
		}
	}
}

type csvExport struct {
	cw     *csv.Writer
	mdCols []string
	row    []string
}

func newCSVExport(w io.Writer, extra extraKeys) (*csvExport, error) {
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	x := &csvExport{cw: csv.NewWriter(w), mdCols: append(append([]string{}, csvMetadataColumns...), keys...)}
	header := []string{"seq", "id", "timestamp", "kind", "performedBy", "endpointId", "endpointType"}
	for _, k := range x.mdCols {
		header = append(header, "metadata."+k)
	}
	header = append(header, "prevHash", "hash", "keyId")
	return x, x.cw.Write(header)
}

func (x *csvExport) write(ev *gateway.AuditEvent) error {
	x.row = append(x.row[:0], strconv.FormatInt(ev.Seq, 10), ev.ID, gateway.FormatTime(ev.Timestamp), ev.Kind,
		ev.PerformedBy, ev.EndpointID, ev.EndpointType)
	for _, k := range x.mdCols {
		x.row = append(x.row, csvSafe(ev.Metadata[k]))
	}
	x.row = append(x.row, ev.PrevHash, ev.Hash, ev.KeyID)
	return x.cw.Write(x.row)
}

func (x *csvExport) flush() error {
	x.cw.Flush()
	return x.cw.Error()
}

// csvSafe defuses spreadsheet formula injection: user agents and names are caller-controlled.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
