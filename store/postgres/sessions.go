package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/llmgate/llmgate/gateway"
)

// CreateSession implements gateway.SessionStore.
func (s *Store) CreateSession(ctx context.Context, ss *gateway.Session) error {
	var keyID *string
	if ss.KeyID != "" {
		keyID = &ss.KeyID
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO console_sessions (hash, user_id, key_id, method, csrf, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, ss.Hash, ss.UserID, keyID, ss.Method, ss.CSRF, ts(ss.CreatedAt), ts(ss.ExpiresAt))
	return dbError(err)
}

// GetSession implements gateway.SessionStore.
func (s *Store) GetSession(ctx context.Context, hash []byte) (*gateway.Session, error) {
	var ss gateway.Session
	var keyID *string
	err := s.pool.QueryRow(ctx, `SELECT hash, user_id, key_id, method, csrf, created_at, expires_at
		FROM console_sessions WHERE hash = $1`, hash).Scan(&ss.Hash, &ss.UserID, &keyID, &ss.Method, &ss.CSRF, &ss.CreatedAt, &ss.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, gateway.Errorf(gateway.CodeNotFound, "session not found")
	}
	if err != nil {
		return nil, dbError(err)
	}
	if keyID != nil {
		ss.KeyID = *keyID
	}
	ss.CreatedAt, ss.ExpiresAt = ss.CreatedAt.UTC(), ss.ExpiresAt.UTC()
	return &ss, nil
}

// DeleteSession implements gateway.SessionStore.
func (s *Store) DeleteSession(ctx context.Context, hash []byte) error {
	_, err := s.deleteSessions(ctx, `DELETE FROM console_sessions WHERE hash = $1`, hash)
	return err
}

// DeleteUserSessions implements gateway.SessionStore.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) (int, error) {
	return s.deleteSessions(ctx, `DELETE FROM console_sessions WHERE user_id = $1`, userID)
}

// PruneSessions implements gateway.SessionStore.
func (s *Store) PruneSessions(ctx context.Context, before time.Time) (int, error) {
	return s.deleteSessions(ctx, `DELETE FROM console_sessions WHERE expires_at < $1`, ts(before))
}

func (s *Store) deleteSessions(ctx context.Context, query string, arg any) (int, error) {
	tag, err := s.pool.Exec(ctx, query, arg)
	if err != nil {
		return 0, dbError(err)
	}
	return int(tag.RowsAffected()), nil
}
