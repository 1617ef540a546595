package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"

	"github.com/llmgate/llmgate/store/migrate"
)

// migrations are applied in file-name order by store/migrate; a file NNNN_name.sql brings the
// schema to version NNNN.
//
//go:embed migrations/*.sql
var migrations embed.FS

// migrate applies every pending migration in one immediate transaction: the write lock makes
// processes opening a new file together apply each migration exactly once, and a failure
// leaves the schema as it was.
func (s *Store) migrate(ctx context.Context) error {
	all, err := migrate.Load(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	err = s.inWrite(ctx, func(tx *sql.Tx) error {
		_, err := migrate.Run(ctx, all, steps{tx})
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: migrating schema: %w", err)
	}
	return nil
}

// steps run inside the one migrating transaction.
type steps struct{ tx *sql.Tx }

func (s steps) Current(ctx context.Context) (int, error) {
	if _, err := s.tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return 0, err
	}
	var current int
	err := s.tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&current)
	return current, err
}

func (s steps) Apply(ctx context.Context, m migrate.Migration) error {
	if _, err := s.tx.ExecContext(ctx, m.SQL); err != nil {
		return err
	}
	_, err := s.tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (?)`, m.Version)
	return err
}
