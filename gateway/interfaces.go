package gateway

import (
	"context"
	"time"
)

// Store persists llmgate's state, sealed secrets and audit trail. Implementations:
// store/sqlite and store/postgres; store/storetest is the conformance suite both pass. It is
// the three seams below in one database (a change and its audit event share a transaction);
// each consumer asks for the narrowest one it needs.
//
// Every mutation takes the audit event describing it and commits both in one transaction,
// so an admin change never lands without its event (nor an event without its change). Every
// mutation also increments the state version returned by LoadState and StateVersion.
//
// Errors: a missing row is CodeNotFound; a uniqueness violation (user name, organization name,
// active endpoint name) is CodeConflict; both as *Error.
type Store interface {
	StateStore
	SealedSecretStore
	AuditLog
	SessionStore
	SCIMTokenStore
	SCIMLinkStore
	KeyUseStore
	Close() error
}

// StateStore holds users, organizations, keys, budgets and endpoints: what the snapshot is
// built from. Every mutation commits its audit event with it, raises the state version by
// exactly one and, once committed, reports that version with RecordCommit(ctx, version).
type StateStore interface {
	// LoadState reads users, organizations with members, non-revoked keys and active endpoints
	// in one consistent read.
	LoadState(ctx context.Context) (*State, error)
	// StateVersion is the cheap check replicas poll to learn that LoadState would differ.
	StateVersion(ctx context.Context) (int64, error)

	CreateUser(ctx context.Context, u *User, ev *AuditEvent) error
	// SetUserDeactivated deactivates the user at `at`, or reactivates it when at is nil; an
	// unknown user is CodeNotFound. Deactivating the last active administrator is
	// ErrLastAdmin, checked in the transaction so concurrent changes cannot leave none.
	SetUserDeactivated(ctx context.Context, userID string, at *time.Time, ev *AuditEvent) error
	CreateOrg(ctx context.Context, o *Org, ev *AuditEvent) error
	// SetOrgMember adds the member or updates its role.
	SetOrgMember(ctx context.Context, orgID string, m OrgMember, ev *AuditEvent) error
	RemoveOrgMember(ctx context.Context, orgID, userID string, ev *AuditEvent) error
	// UpdateUser replaces the user name, email, first and last name of the user with u.ID (the
	// other fields stay); a taken name is CodeConflict, an unknown user CodeNotFound.
	UpdateUser(ctx context.Context, u *User, ev *AuditEvent) error
	// SetUserAdmin makes the user an administrator or not; unknown: CodeNotFound. Unmaking
	// the last active administrator is ErrLastAdmin, checked as SetUserDeactivated does.
	SetUserAdmin(ctx context.Context, userID string, admin bool, ev *AuditEvent) error
	// RenameOrg renames an organization; a taken name is CodeConflict, unknown CodeNotFound.
	RenameOrg(ctx context.Context, orgID, name string, ev *AuditEvent) error
	// DeleteOrg removes an organization and its memberships; unknown: CodeNotFound.
	DeleteOrg(ctx context.Context, orgID string, ev *AuditEvent) error

	CreateKey(ctx context.Context, k *APIKey, ev *AuditEvent) error
	RevokeKey(ctx context.Context, keyID string, at time.Time, ev *AuditEvent) error
	// ListKeys returns every key of a user, revoked ones included, newest first.
	ListKeys(ctx context.Context, userID string) ([]APIKey, error)
	// ListLiveKeys returns the keys not revoked (expired ones included), newest first, from
	// offset on and at most limit of them (0: all), and how many there are in all: the
	// administrators' list of all keys, which the snapshot does not keep whole.
	ListLiveKeys(ctx context.Context, offset, limit int) ([]APIKey, int, error)
	GetKey(ctx context.Context, keyID string) (*APIKey, error)

	// PutBudget creates or replaces the budget with b.ID; DeleteBudget removes it (unknown:
	// CodeNotFound). Both change the state version, so every replica reloads its budgets.
	PutBudget(ctx context.Context, b *Budget, ev *AuditEvent) error
	DeleteBudget(ctx context.Context, id string, ev *AuditEvent) error

	CreateEndpoint(ctx context.Context, e *Endpoint, ev *AuditEvent) error
	// UpdateEndpoint replaces the stored endpoint with the same ID (name included).
	UpdateEndpoint(ctx context.Context, e *Endpoint, ev *AuditEvent) error
	// DeleteEndpoint soft-deletes: the row stays for audit lookups, the name becomes free.
	DeleteEndpoint(ctx context.Context, id string, at time.Time, ev *AuditEvent) error
}

// SealedSecretStore keeps the local secret store's sealed credentials (ciphertext only).
type SealedSecretStore interface {
	PutSecret(ctx context.Context, s *SealedSecret) error
	GetSecret(ctx context.Context, id string) (*SealedSecret, error)
	DeleteSecret(ctx context.Context, id string) error
	ListSecrets(ctx context.Context) ([]SealedSecret, error)
	// UpdateSecretWrapping replaces only the wrapped data key and master key id (rotation).
	UpdateSecretWrapping(ctx context.Context, s *SealedSecret) error
}

// AuditLog is the hash-chained audit trail and the hourly usage rows derived from it.
type AuditLog interface {
	// AppendAudit assigns Seq, PrevHash, Hash (LinkHash) and KeyID to each event in order and commits
	// them in one transaction. With several writers (replicas) the chain is serialised in the
	// database, so there is exactly one chain.
	AppendAudit(ctx context.Context, events []*AuditEvent) error
	// UsageRows returns the hourly usage rows with from <= Hour < to (zero times: unbounded),
	// only userID's when it is set. AppendAudit maintains them from the access events it
	// commits, in the same transaction (package usage).
	UsageRows(ctx context.Context, from, to time.Time, userID string) ([]UsageRow, error)
	// QueryAudit returns matching events ordered by timestamp, then Seq. Callers bound what
	// they read with Limit and page with After (keyset); the store never caps on its own.
	QueryAudit(ctx context.Context, f AuditFilter) ([]AuditEvent, error)
	// AuditChainPage returns up to limit events with Seq > afterSeq, ordered by Seq, for
	// verification page by page.
	AuditChainPage(ctx context.Context, afterSeq int64, limit int) ([]AuditEvent, error)
	// AuditHead returns the stored chain head.
	AuditHead(ctx context.Context) (AuditHead, error)
	// PruneAudit deletes every event with Seq <= upTo and records, in the same transaction,
	// the anchor (that event's seq and hash, MACed under the current chain key) verification
	// starts from. upTo must be an existing event after the current anchor (CodeInvalid).
	PruneAudit(ctx context.Context, upTo int64) (AuditAnchor, error)
	// AuditAnchor returns the retention anchor; the zero value when nothing was pruned.
	AuditAnchor(ctx context.Context) (AuditAnchor, error)
	// SetAuditKeys makes every later append chain with keys.Current() (HMAC) and record its
	// id. Without it (tests, tools) events use the legacy unkeyed scheme.
	SetAuditKeys(keys AuditKeys)
}

// SealedSecret is one credential encrypted by the local secret store (envelope encryption).
type SealedSecret struct {
	ID          string
	MasterKeyID string
	WrappedKey  []byte // data key sealed under the master key
	Ciphertext  []byte // value sealed under the data key; AAD binds it to ID
	CreatedAt   time.Time
}

// SecretStore keeps credential values. Implementations: secrets/local (encrypted in the
// Store) and secrets/vault (HashiCorp Vault / OpenBao KV v2).
type SecretStore interface {
	// Put stores value as the credential `key` of endpoint endpointID and returns the reference
	// to keep in the endpoint. The reference reveals nothing about the value.
	Put(ctx context.Context, endpointID, key, value string) (ref string, err error)
	// Resolve returns the value behind a reference this store issued.
	Resolve(ctx context.Context, ref string) (string, error)
	// Delete removes a value this store issued; deleting a missing one is not an error.
	Delete(ctx context.Context, ref string) error
}

// LimitRule is one sliding-window counter a request is checked against.
type LimitRule struct {
	Key    string        // e.g. "calls:ep:<id>", "tokens:user:<ep>:<user>"
	Limit  int64         // maximum units in any trailing Window
	Window time.Duration // normally one minute
	// Need is how many units must still be free for the request to pass (1 for a call; 1 for
	// a token pre-check, which only asks "is any budget left").
	Need int64
	// Add is how many units are recorded when every rule passes (1 for a call, 0 for a token
	// pre-check: tokens are recorded after the response with Limiter.Record).
	Add int64
}

// LimitDecision is the outcome of Limiter.Take.
type LimitDecision struct {
	Allowed    bool
	RetryAfter time.Duration // when denied: time until the denying rule has room again (>= 1s)
	Denied     int           // index of the denying rule, -1 when allowed
}

// Limiter enforces sliding-window limits. Implementations: ratelimit/memory (one process) and
// ratelimit/redis (shared by replicas). Take is atomic across all its rules: either every
// rule records its Add or none does. Both are exact under concurrency.
type Limiter interface {
	Take(ctx context.Context, rules []LimitRule) (LimitDecision, error)
	// Record adds n units to each rule's key without checking (e.g. tokens used).
	Record(ctx context.Context, rules []LimitRule, n int64) error
}
