package gateway

import (
	"context"
	"crypto/sha256"
	"time"
)

// Session is a signed-in web console session. The browser holds a random token; the store
// keeps only its hash, so a copy of the database cannot be replayed as a cookie. Sessions live
// in the store (not in a replica's memory) so any replica serves the next page.
type Session struct {
	Hash   []byte // SHA-256 of the token (HashSessionToken)
	UserID string
	// KeyID is the API key the user signed in with; revoking it ends the session. Empty for a
	// sign-in that used no key (single sign-on).
	KeyID string
	// Method is how the user signed in: "apikey", or "oidc:<provider>".
	Method string
	// CSRF is the token every state-changing console request must echo.
	CSRF      string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Live reports whether the session has not expired at now.
func (s *Session) Live(now time.Time) bool { return now.Before(s.ExpiresAt) }

// HashSessionToken is how session tokens are stored and looked up.
func HashSessionToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// SessionStore keeps console sessions. They are not part of the state snapshot: reading one is
// a store read per console page, which is fine off the query path, and a sign-out or a
// deactivation is seen by every replica on its next read.
type SessionStore interface {
	CreateSession(ctx context.Context, s *Session) error
	// GetSession returns the session with hash; unknown (or deleted) is CodeNotFound. Expired
	// sessions may still be returned: callers check Live.
	GetSession(ctx context.Context, hash []byte) (*Session, error)
	// DeleteSession removes one session; deleting an unknown one is not an error.
	DeleteSession(ctx context.Context, hash []byte) error
	// DeleteUserSessions removes every session of a user and returns how many there were.
	DeleteUserSessions(ctx context.Context, userID string) (int, error)
	// PruneSessions removes sessions that expired before `before`.
	PruneSessions(ctx context.Context, before time.Time) (int, error)
}
