package gateway

import (
	"context"
	"crypto/sha256"
	"time"
)

// SCIMToken is a bearer credential an identity provider presents on /scim/v2: only its
// SHA-256 is stored, like API keys. It belongs to no user; whoever holds it may provision and
// deprovision users and organizations, so the CLI alone (the operator) creates and revokes it.
type SCIMToken struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Hash      []byte     `json:"-"`
	Prefix    string     `json:"prefix"`
	CreatedAt time.Time  `json:"createdAt"`
	RevokedAt *time.Time `json:"revokedAt,omitempty"`
}

// HashSCIMToken is how SCIM tokens are stored and looked up.
func HashSCIMToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// SCIMTokenStore keeps SCIM tokens. Creating and revoking one commits its audit event with
// it (and changes the state version like every audited mutation).
type SCIMTokenStore interface {
	CreateSCIMToken(ctx context.Context, t *SCIMToken, ev *AuditEvent) error
	// RevokeSCIMToken marks the token revoked at `at`; revoking again keeps the first time;
	// unknown: CodeNotFound.
	RevokeSCIMToken(ctx context.Context, id string, at time.Time, ev *AuditEvent) error
	// ListSCIMTokens returns every token, revoked ones included, newest first.
	ListSCIMTokens(ctx context.Context) ([]SCIMToken, error)
	// SCIMTokenByHash returns the token with hash, revoked or not; unknown: CodeNotFound.
	SCIMTokenByHash(ctx context.Context, hash []byte) (*SCIMToken, error)
}

// SCIMLinkStore keeps the externalId an identity provider gave each SCIM resource (kind
// "User" or "Group", resource id = the llmgate user or organization id). It is the IdP's
// bookkeeping: not audited, not part of the state version.
type SCIMLinkStore interface {
	// SetExternalID links the resource to externalID, replacing any link; "" removes it.
	SetExternalID(ctx context.Context, kind, resourceID, externalID string) error
	// ExternalIDs returns the externalIds of those of resourceIDs that have one.
	ExternalIDs(ctx context.Context, kind string, resourceIDs []string) (map[string]string, error)
	// ResourcesByExternalID returns the ids of the resources linked to externalID.
	ResourcesByExternalID(ctx context.Context, kind, externalID string) ([]string, error)
}
