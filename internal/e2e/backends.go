package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/llmgate/llmgate/internal/testenv"
)

// Backend is one database llmgate can run on. DatabaseURL is empty for the embedded SQLite.
type Backend struct {
	Name        string // "sqlite" or "postgres"
	DatabaseURL string
}

// Options returns gateway options that run on this backend.
func (b Backend) Options() Options { return Options{DatabaseURL: b.DatabaseURL} }

// Backends returns the databases a test should run on: SQLite always, and PostgreSQL (a
// fresh schema of its own, dropped when t ends) when LLMGATE_TEST_DATABASE_URL is set.
// With CI=true a missing PostgreSQL fails the test instead of being left out, so CI
// never passes on SQLite alone.
func Backends(t testing.TB) []Backend {
	t.Helper()
	out := []Backend{{Name: "sqlite"}}
	if os.Getenv("LLMGATE_TEST_DATABASE_URL") == "" && !testenv.OnCI() {
		return out
	}
	return append(out, Backend{Name: "postgres", DatabaseURL: PostgresURL(t)})
}

// PostgresURL creates a schema of its own for t in the shared test database (dropped at
// cleanup, after every gateway started later in t has stopped) and returns a URL whose
// connections use it. Without LLMGATE_TEST_DATABASE_URL it skips t, or fails it on CI.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := testenv.Require(t, "LLMGATE_TEST_DATABASE_URL")
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parsing LLMGATE_TEST_DATABASE_URL: %v", err)
	}
	var b [8]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	if err := execPostgres(base, `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("creating schema: %v", err)
	}
	t.Cleanup(func() {
		if err := execPostgres(base, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// RedisURL returns LLMGATE_TEST_REDIS_URL; without it it skips t, or fails it on CI.
func RedisURL(t testing.TB) string {
	t.Helper()
	return testenv.Require(t, "LLMGATE_TEST_REDIS_URL")
}

func execPostgres(url, stmt string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, stmt)
	return err
}
