package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

// CreateSession implements gateway.SessionStore.
func (s *Store) CreateSession(ctx context.Context, ss *gateway.Session) error {
	return dbError(s.inWrite(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO console_sessions (hash, user_id, key_id, method, csrf, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, ss.Hash, ss.UserID, sql.NullString{String: ss.KeyID, Valid: ss.KeyID != ""},
			ss.Method, ss.CSRF, millis(ss.CreatedAt), millis(ss.ExpiresAt))
		return err
	}))
}

// GetSession implements gateway.SessionStore.
func (s *Store) GetSession(ctx context.Context, hash []byte) (*gateway.Session, error) {
	var ss gateway.Session
	var keyID sql.NullString
	var created, expires int64
	err := s.read.QueryRowContext(ctx, `SELECT hash, user_id, key_id, method, csrf, created_at, expires_at
		FROM console_sessions WHERE hash = ?`, hash).Scan(&ss.Hash, &ss.UserID, &keyID, &ss.Method, &ss.CSRF, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, gateway.Errorf(gateway.CodeNotFound, "session not found")
	}
	if err != nil {
		return nil, dbError(err)
	}
	ss.KeyID, ss.CreatedAt, ss.ExpiresAt = keyID.String, fromMillis(created), fromMillis(expires)
	return &ss, nil
}

// DeleteSession implements gateway.SessionStore.
func (s *Store) DeleteSession(ctx context.Context, hash []byte) error {
	_, err := s.deleteSessions(ctx, `DELETE FROM console_sessions WHERE hash = ?`, hash)
	return err
}

// DeleteUserSessions implements gateway.SessionStore.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) (int, error) {
	return s.deleteSessions(ctx, `DELETE FROM console_sessions WHERE user_id = ?`, userID)
}

// PruneSessions implements gateway.SessionStore.
func (s *Store) PruneSessions(ctx context.Context, before time.Time) (int, error) {
	return s.deleteSessions(ctx, `DELETE FROM console_sessions WHERE expires_at < ?`, millis(before))
}

func (s *Store) deleteSessions(ctx context.Context, query string, arg any) (int, error) {
	var n int64
	err := s.inWrite(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, query, arg)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), dbError(err)
}
