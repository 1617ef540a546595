package gateway

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
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
	KindDeactivateUser           = "DeactivateUser"
	KindReactivateUser           = "ReactivateUser"
	KindCreateAPIKey             = "CreateApiKey"
	KindRevokeAPIKey             = "RevokeApiKey"
	KindCreateOrganization       = "CreateOrganization"
	KindAddOrganizationMember    = "AddOrganizationMember"
	KindRemoveOrganizationMember = "RemoveOrganizationMember"
	KindSetUserAdmin             = "SetUserAdmin"
	KindRenameOrganization       = "RenameOrganization"
	KindDeleteOrganization       = "DeleteOrganization"
	// KindChangeOrganizationMemberRole is a member's role changed (metadata previousRole).
	KindChangeOrganizationMemberRole = "ChangeOrganizationMemberRole"
	KindRotateMasterKey              = "RotateMasterKey"
	KindCreateSCIMToken              = "CreateScimToken"
	// KindUpdateUser is a change of a user's name, email or names (metadata lists the fields).
	KindUpdateUser      = "UpdateUser"
	KindRevokeSCIMToken = "RevokeScimToken"
	// KindDeniedAdminAction records a non-admin's refused attempt at an admin route (docs/contract/domino-aigateway.md §6.2).
	KindDeniedAdminAction = "DeniedAdminAction"
	// KindSignIn is a console sign-in attempt (metadata outcome success or denied, reason and
	// method); KindSignOut ends a session.
	KindSignIn  = "ConsoleSignIn"
	KindSignOut = "ConsoleSignOut"
	// Budgets: changes, alerts at 50/80/100 % of a limit, and alert webhooks that failed.
	KindCreateBudget           = "CreateBudget"
	KindUpdateBudget           = "UpdateBudget"
	KindDeleteBudget           = "DeleteBudget"
	KindBudgetAlert            = "BudgetAlert"
	KindBudgetAlertUndelivered = "BudgetAlertUndelivered"
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
	OutcomeOverBudget      = "over_budget"
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
	// KeyID names the chain key whose HMAC Hash is; empty for events chained before keying
	// (the unkeyed SHA-256 scheme, which anyone with write access can recompute).
	KeyID string `json:"keyId,omitempty"`
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

// AuditKey is one chain key: the HMAC-SHA256 secret and the id events record. It is held
// outside the database, so whoever can write the database cannot recompute a valid chain.
type AuditKey struct {
	ID     string
	Secret []byte
}

// AuditKeys is the chain's keyring: Current chains new events, Lookup finds the key an older
// event names (keys are rotated, never forgotten).
type AuditKeys interface {
	Current() (AuditKey, error)
	Lookup(id string) (AuditKey, bool)
}

// LinkHash computes ev's hash under key: HMAC-SHA256(key, domain ‖ key id ‖ prevHash ‖
// canonical JSON of ev) as lowercase hex, or the legacy unkeyed ChainHash when key.ID is empty.
// It leaves ev unchanged; a store chaining many events uses one Linker instead.
func LinkHash(key AuditKey, prevHash string, ev *AuditEvent) string {
	c := *ev
	l := AcquireLinker(key)
	l.Link(prevHash, &c)
	l.Release()
	return c.Hash
}

// ChainHash computes the legacy unkeyed hash = SHA-256(prevHash ‖ canonical JSON of ev) as
// lowercase hex. Only events chained before llmgate keyed its trail use it.
func ChainHash(prevHash string, ev *AuditEvent) string { return LinkHash(AuditKey{}, prevHash, ev) }

// AuditFilter selects events. Empty lists and zero times mean "no constraint". An event
// matches the endpoint constraint if its id is in EndpointIDs or its name in EndpointNames.
type AuditFilter struct {
	EndpointIDs   []string
	EndpointNames []string
	Kinds         []string
	Usernames     []string
	Since, Until  time.Time // inclusive
	// After continues a keyset-paged read: only events strictly after this (timestamp, seq)
	// position. Reading page after page this way costs the same for the last page as for the
	// first, and sees every event exactly once.
	After *AuditCursor
	// MaxSeq, when positive, leaves out events appended after it (a stable view for reads
	// that pass over the trail more than once).
	MaxSeq        int64
	Offset, Limit int // Limit 0 = all
}

// AuditCursor is a position in (timestamp, seq) order: the last event of a page.
type AuditCursor struct {
	Timestamp time.Time
	Seq       int64
}

// String carries the position as "<unix ms>.<seq>", for a URL or a header.
func (c *AuditCursor) String() string {
	return strconv.FormatInt(c.Timestamp.UnixMilli(), 10) + "." + strconv.FormatInt(c.Seq, 10)
}

// ParseAuditCursor reads what String wrote.
func ParseAuditCursor(s string) (*AuditCursor, bool) {
	ms, seq, ok := strings.Cut(strings.TrimSpace(s), ".")
	t, err1 := strconv.ParseInt(ms, 10, 64)
	n, err2 := strconv.ParseInt(seq, 10, 64)
	if !ok || err1 != nil || err2 != nil || n < 0 {
		return nil, false
	}
	return &AuditCursor{Timestamp: time.UnixMilli(t).UTC(), Seq: n}, true
}

// CursorOf is the cursor just past ev.
func CursorOf(ev *AuditEvent) *AuditCursor {
	return &AuditCursor{Timestamp: ev.Timestamp, Seq: ev.Seq}
}

// AuditHead is the stored end of the chain.
type AuditHead struct {
	Seq  int64
	Hash string
}

// Match reports whether ev passes f (stores may use it or translate f to SQL; both must agree).
func (f *AuditFilter) Match(ev *AuditEvent) bool {
	if f.After != nil && (ev.Timestamp.Before(f.After.Timestamp) ||
		ev.Timestamp.Equal(f.After.Timestamp) && ev.Seq <= f.After.Seq) {
		return false
	}
	if f.MaxSeq > 0 && ev.Seq > f.MaxSeq {
		return false
	}
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
// and hash correctly under keys (nil: only unkeyed events verify). It returns the index of the
// first bad event, or -1.
func VerifyChain(keys AuditKeys, events []AuditEvent) (bad int, reason string) {
	v := ChainVerifier{Keys: keys}
	for i := range events {
		if reason := v.Next(&events[i]); reason != "" {
			return i, reason
		}
	}
	return -1, ""
}

// ChainVerifier checks a chain one event at a time, so a trail of any length is verified
// in constant memory. With only Keys set it starts at the beginning of the trail.
type ChainVerifier struct {
	Keys AuditKeys
	// Prev is the hash the next event must link to.
	Prev string
	// Legacy and Keyed count the events seen under each scheme.
	Legacy, Keyed int
}

// Next checks ev against the chain so far and returns why it fails, or "". Unkeyed events
// verify only as a prefix: once an event is keyed, an unkeyed one after it means the chain
// was recomputed without the key.
func (v *ChainVerifier) Next(ev *AuditEvent) string {
	if ev.PrevHash != v.Prev {
		return "prevHash does not match the previous event (event removed, inserted or reordered)"
	}
	key := AuditKey{}
	if ev.KeyID == "" {
		if v.Keyed > 0 {
			return "unkeyed event after keyed ones (the chain was recomputed without the key)"
		}
		v.Legacy++
	} else {
		k, ok := lookupKey(v.Keys, ev.KeyID)
		if !ok {
			return "chained with key id " + ev.KeyID + ", which the audit keyring does not hold"
		}
		key = k
		v.Keyed++
	}
	if got := LinkHash(key, v.Prev, ev); !hmac.Equal([]byte(got), []byte(ev.Hash)) {
		return "hash does not match the event's content (event changed)"
	}
	v.Prev = ev.Hash
	return ""
}

// Finish reports what only the end of the trail reveals: a trail of only unkeyed events
// cannot tell an honest pre-keying trail from one recomputed without the key.
func (v *ChainVerifier) Finish() string {
	if v.Legacy > 0 && v.Keyed == 0 && v.Keys != nil {
		return "no event is keyed: every event uses the unkeyed scheme, which anyone with database write access can recompute (on a trail written before keying, the next event written seals it)"
	}
	return ""
}

func lookupKey(keys AuditKeys, id string) (AuditKey, bool) {
	if keys == nil {
		return AuditKey{}, false
	}
	return keys.Lookup(id)
}

// CurrentAuditKey returns keys.Current(), or the legacy (unkeyed) key when keys is nil.
func CurrentAuditKey(keys AuditKeys) (AuditKey, error) {
	if keys == nil {
		return AuditKey{}, nil
	}
	return keys.Current()
}

// AuditAnchor is where a pruned prefix of the trail ended: the last pruned event's seq and
// hash, MACed under the chain key named by KeyID. Verification starts from it, so pruning
// keeps verification total from the pruning point, and only the key holder can move it.
type AuditAnchor struct {
	Seq   int64
	Hash  string
	KeyID string
	MAC   string
}

// AnchorMAC is the MAC an anchor must carry under key.
func AnchorMAC(key AuditKey, a AuditAnchor) string {
	m := hmac.New(sha256.New, key.Secret)
	m.Write([]byte("llmgate-audit-anchor-v1\x00" + key.ID + "\x00" + strconv.FormatInt(a.Seq, 10) + "\x00" + a.Hash))
	return hex.EncodeToString(m.Sum(nil))
}

// CheckAnchor says why a (non-zero) anchor is not genuine, or "".
func CheckAnchor(keys AuditKeys, a AuditAnchor) string {
	if a.Seq == 0 {
		return ""
	}
	key, ok := lookupKey(keys, a.KeyID)
	if !ok {
		return "the retention anchor names key id " + a.KeyID + ", which the audit keyring does not hold"
	}
	if !hmac.Equal([]byte(AnchorMAC(key, a)), []byte(a.MAC)) {
		return "the retention anchor's MAC does not verify (anchor forged or moved)"
	}
	return ""
}
