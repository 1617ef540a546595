package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/internal/testenv"
	"github.com/llmgate/llmgate/store/postgres"
	"github.com/llmgate/llmgate/store/storetest"
)

// schemaURL creates a schema of its own for t in the shared test database (dropped when t
// ends) and returns a URL whose connections use it.
func schemaURL(t testing.TB) string {
	t.Helper()
	base := testenv.Require(t, "LLMGATE_TEST_DATABASE_URL")
	var b [8]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	conn, err := pgx.Connect(t.Context(), base)
	if err != nil {
		t.Fatalf("connecting to the test database: %v", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(t.Context(), `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("creating schema: %v", err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), base)
		if err != nil {
			t.Errorf("connecting to drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parsing LLMGATE_TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func open(t testing.TB, url string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), url)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) gateway.Store { return open(t, schemaURL(t)) })
}

// TestTwoReplicasOneChain runs writers on two Store instances, as two replicas would.
func TestTwoReplicasOneChain(t *testing.T) {
	url := schemaURL(t)
	storetest.ConcurrentWriters(t, open(t, url), open(t, url))
}

// TestMigrationsRace opens five stores on a fresh schema at once: the advisory lock must let
// exactly one apply each migration and the others start on the finished schema.
func TestMigrationsRace(t *testing.T) {
	url := schemaURL(t)
	var wg sync.WaitGroup
	stores := make([]*postgres.Store, 5)
	errs := make([]error, 5)
	for i := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = postgres.Open(t.Context(), url)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		t.Cleanup(func() { stores[i].Close() })
	}
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var rows, distinct int
	if err := conn.QueryRow(t.Context(), `SELECT count(*), count(DISTINCT version) FROM schema_version`).Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	if rows != distinct || rows == 0 {
		t.Fatalf("schema_version has %d rows for %d versions: a migration ran more than once", rows, distinct)
	}
	for i, s := range stores {
		if _, err := s.StateVersion(t.Context()); err != nil {
			t.Fatalf("store %d cannot read the migrated schema: %v", i, err)
		}
	}
}

// TestWatchChangesAcrossInstances checks that a mutation committed through one Store reaches
// a watcher on another instance within a second.
func TestWatchChangesAcrossInstances(t *testing.T) {
	url := schemaURL(t)
	watcher, writer := open(t, url), open(t, url)
	var _ gateway.ChangeWatcher = watcher

	ctx, cancel := context.WithCancel(t.Context())
	versions := make(chan int64, 16)
	done := make(chan error, 1)
	go func() {
		done <- watcher.WatchChanges(ctx, func(v int64) {
			select { // other tests share the database and its channel: never block on them
			case versions <- v:
			case <-ctx.Done():
			}
		})
	}()
	select { // the first call says the watcher is listening
	case <-versions:
	case <-time.After(10 * time.Second):
		t.Fatal("WatchChanges never connected")
	}

	u := &gateway.User{ID: gateway.NewID(), UserName: "watch-" + gateway.NewID(), CreatedAt: gateway.Now()}
	if err := writer.CreateUser(t.Context(), u, &gateway.AuditEvent{Kind: gateway.KindCreateUser}); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	want, err := writer.StateVersion(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.After(time.Second)
	for got := int64(0); got != want; {
		select {
		case got = <-versions:
		case <-deadline:
			t.Fatalf("no notification of version %d within a second", want)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("WatchChanges returned %v after its context ended, want nil", err)
	}
}

// TestWatchChangesReconnects kills the LISTEN connection from the server side: the watcher
// must reconnect on its own, report the current version again, and keep delivering.
func TestWatchChangesReconnects(t *testing.T) {
	url := schemaURL(t)
	watcher, writer := open(t, url), open(t, url)
	ctx, cancel := context.WithCancel(t.Context())
	versions := make(chan int64, 16)
	done := make(chan error, 1)
	go func() {
		done <- watcher.WatchChanges(ctx, func(v int64) {
			select {
			case versions <- v:
			case <-ctx.Done():
			}
		})
	}()
	defer func() { cancel(); <-done }()
	receive := func(what string) int64 {
		t.Helper()
		select {
		case v := <-versions:
			return v
		case <-time.After(10 * time.Second):
			t.Fatalf("no call to onChange: %s", what)
			return 0
		}
	}
	receive("first connection")

	admin, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	var killed int
	// Other packages' watchers on the shared database may be hit too; they reconnect as well.
	err = admin.QueryRow(t.Context(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = $1 AND pid <> pg_backend_pid()`, postgres.WatchApplicationName).Scan(&killed)
	if err != nil || killed == 0 {
		t.Fatalf("terminating the watch connection: killed %d, %v", killed, err)
	}
	receive("reconnection")

	u := &gateway.User{ID: gateway.NewID(), UserName: "after-" + gateway.NewID(), CreatedAt: gateway.Now()}
	if err := writer.CreateUser(t.Context(), u, &gateway.AuditEvent{Kind: gateway.KindCreateUser}); err != nil {
		t.Fatal(err)
	}
	want, err := writer.StateVersion(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for got := int64(0); got != want; {
		got = receive("notification after reconnecting")
	}
}
