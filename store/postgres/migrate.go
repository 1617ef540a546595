package postgres

import (
	"context"
	"embed"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/llmgate/llmgate/store/migrate"
)

// migrations are applied in file-name order by store/migrate; a file NNNN_name.sql brings the
// schema to version NNNN.
//
//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is the pg_advisory_lock key held while migrating.
const migrationLock = 0x6c6c6d67617465 // "llmgate"

// migrate applies pending migrations while holding a session advisory lock, so replicas
// starting together take turns: the first applies, the others then find nothing to do.
// Each migration commits with its schema_version row, so a failure leaves no half schema.
func (s *Store) migrate(ctx context.Context) error {
	all, err := migrate.Load(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: connecting: %w", dbError(err))
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return fmt.Errorf("postgres: taking the migration lock: %w", dbError(err))
	}
	// Unlock on a fresh context: the caller's may be what ended the migration.
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock)
	if _, err := migrate.Run(ctx, all, steps{conn}); err != nil {
		return fmt.Errorf("postgres: %w", dbError(err))
	}
	return nil
}

// steps run on the connection that holds the lock, one transaction per migration.
type steps struct{ conn *pgxpool.Conn }

func (s steps) Current(ctx context.Context) (int, error) {
	if _, err := s.conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)`); err != nil {
		return 0, err
	}
	var current int
	err := s.conn.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&current)
	return current, err
}

func (s steps) Apply(ctx context.Context, m migrate.Migration) error {
	return pgx.BeginFunc(ctx, s.conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO schema_version (version) VALUES ($1)`, m.Version)
		return err
	})
}
