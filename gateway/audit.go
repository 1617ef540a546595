package gateway

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
)

// Audit event kinds. Access events are written by the query path; the rest by admin changes.
const (
	KindAccessEndpoint           = "AccessGatewayEndpoint"
	KindCreateEndpoint           = "CreateGatewayEndpoint"
	KindUpdateEndpoint           = "UpdateGatewayEndpoint"
	KindDeleteEndpoint           = "DeleteGatewayEndpoint"
	KindUpdateEndpointPerms      = "UpdateGatewayEndpointPermissions"
	KindCreateUser               = "CreateUser"
	KindCreateAPIKey             = "CreateApiKey"
	KindRevokeAPIKey             = "RevokeApiKey"
	KindCreateOrganization       = "CreateOrganization"
	KindAddOrganizationMember    = "AddOrganizationMember"
	KindRemoveOrganizationMember = "RemoveOrganizationMember"
	KindRotateMasterKey          = "RotateMasterKey"
)

// Access outcomes recorded in metadata.outcome.
const (
	OutcomeSuccess         = "success"
	OutcomeDenied          = "denied"
	OutcomeRateLimited     = "rate_limited"
	OutcomeBadRequest      = "bad_request"
	OutcomeUpstreamError   = "upstream_error"
	OutcomeTimeout         = "timeout"
	OutcomeClientCancelled = "client_cancelled"
)

// AuditEvent is one record of the tamper-evident trail. Seq, PrevHash and Hash are assigned
// by the store when the event is appended, inside the same transaction that orders it.
type AuditEvent struct {
	Seq          int64             `json:"seq"`
	ID           string            `json:"id"`
	Kind         string            `json:"kind"`
	Timestamp    time.Time         `json:"timestamp"`
	PerformedBy  string            `json:"performedBy"`
	EndpointID   string            `json:"endpointId"`
	EndpointType string            `json:"endpointType"`
	Metadata     map[string]string `json:"metadata"`
	PrevHash     string            `json:"prevHash"`
	Hash         string            `json:"hash"`
}

// Username is the acting user's name as recorded in the event, for filtering.
func (e *AuditEvent) Username() string {
	if v := e.Metadata["accessedByUsername"]; v != "" {
		return v
	}
	return e.Metadata["performedByUsername"]
}

// EndpointName is the endpoint name recorded in the event.
func (e *AuditEvent) EndpointName() string { return e.Metadata["endpointName"] }

// canonicalEvent is the hashed form: every field that matters, fixed order, ms timestamps.
// encoding/json sorts map keys, so the encoding is deterministic.
type canonicalEvent struct {
	ID           string            `json:"id"`
	Kind         string            `json:"kind"`
	Timestamp    string            `json:"timestamp"`
	PerformedBy  string            `json:"performedBy"`
	EndpointID   string            `json:"endpointId"`
	EndpointType string            `json:"endpointType"`
	Metadata     map[string]string `json:"metadata"`
}

// ChainHash computes hash = SHA-256(prevHash ‖ canonical JSON of ev) as lowercase hex.
func ChainHash(prevHash string, ev *AuditEvent) string {
	md := ev.Metadata
	if md == nil {
		md = map[string]string{}
	}
	b, err := json.Marshal(canonicalEvent{
		ID: ev.ID, Kind: ev.Kind, Timestamp: FormatTime(ev.Timestamp), PerformedBy: ev.PerformedBy,
		EndpointID: ev.EndpointID, EndpointType: ev.EndpointType, Metadata: md,
	})
	if err != nil {
		panic("audit: canonical encoding failed: " + err.Error()) // a map[string]string always encodes
	}
	h := sha256.New()
	h.Write([]byte(prevHash))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// AuditFilter selects events. Empty lists and zero times mean "no constraint". An event
// matches the endpoint constraint if its id is in EndpointIDs or its name in EndpointNames.
type AuditFilter struct {
	EndpointIDs   []string
	EndpointNames []string
	Kinds         []string
	Usernames     []string
	Since, Until  time.Time // inclusive
	Offset, Limit int       // Limit 0 = all
}

// Match reports whether ev passes f (stores may use it or translate f to SQL; both must agree).
func (f *AuditFilter) Match(ev *AuditEvent) bool {
	if !f.Since.IsZero() && ev.Timestamp.Before(f.Since) {
		return false
	}
	if !f.Until.IsZero() && ev.Timestamp.After(f.Until) {
		return false
	}
	if len(f.Kinds) > 0 && !contains(f.Kinds, ev.Kind) {
		return false
	}
	if len(f.Usernames) > 0 && !contains(f.Usernames, ev.Username()) {
		return false
	}
	if len(f.EndpointIDs)+len(f.EndpointNames) > 0 &&
		!contains(f.EndpointIDs, ev.EndpointID) && !contains(f.EndpointNames, ev.EndpointName()) {
		return false
	}
	return true
}

// VerifyChain checks that events (in Seq order, starting at the beginning of the trail) link
// and hash correctly. It returns the index of the first bad event, or -1.
func VerifyChain(events []AuditEvent) (bad int, reason string) {
	prev := ""
	for i := range events {
		ev := &events[i]
		if ev.PrevHash != prev {
			return i, "prevHash does not match the previous event (event removed, inserted or reordered)"
		}
		if got := ChainHash(prev, ev); got != ev.Hash {
			return i, "hash does not match the event's content (event changed)"
		}
		prev = ev.Hash
	}
	return -1, ""
}
