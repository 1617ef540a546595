package app_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/audit"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/provider/registry"
	ratememory "github.com/llmgate/llmgate/ratelimit/memory"
	"github.com/llmgate/llmgate/secrets/local"
	"github.com/llmgate/llmgate/store/sqlite"
)

// countingStore counts full state loads, to tell an in-place change from a reload.
type countingStore struct {
	gateway.Store
	loads atomic.Int64
}

func (s *countingStore) LoadState(ctx context.Context) (*gateway.State, error) {
	s.loads.Add(1)
	return s.Store.LoadState(ctx)
}

// newCountingApp opens an App on the SQLite file at path (several Apps may share one file, as
// several processes do).
func newCountingApp(t *testing.T, path string) (*app.App, *countingStore) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	keys, err := local.LoadKeyring(filepath.Dir(path), "")
	if err != nil {
		t.Fatal(err)
	}
	cs := &countingStore{Store: st}
	writer := audit.NewWriter(st, slog.New(slog.DiscardHandler))
	t.Cleanup(writer.Close)
	a, err := app.New(ctx, app.Options{Store: cs, Secrets: local.New(st, keys), Providers: registry.Default(),
		Limiter: ratememory.New(), Audit: writer, AuditKeys: audit.NewDerivedKeyring(keys)})
	if err != nil {
		t.Fatal(err)
	}
	return a, cs
}

// snapshotView is everything a Snapshot answers, for comparing two of them.
type snapshotView struct {
	Version   int64
	Users     []gateway.User
	Orgs      []gateway.Org
	Keys      []gateway.APIKey
	Endpoints []gateway.Endpoint
	Budgets   []gateway.Budget
	Lookups   map[string]string
}

func viewOf(s *gateway.Snapshot) snapshotView {
	v := snapshotView{Version: s.Version, Lookups: map[string]string{}}
	for _, u := range s.Users() {
		v.Users = append(v.Users, *u)
		v.Lookups["user "+u.ID] = fmt.Sprint(reflect.DeepEqual(s.User(u.ID), u), reflect.DeepEqual(s.UserByName(u.UserName), u), s.OrgsOf(u.ID))
	}
	for _, o := range s.Orgs() {
		v.Orgs = append(v.Orgs, *o)
		v.Lookups["org "+o.ID] = fmt.Sprint(s.Org(o.ID) == o, s.OrgByName(o.Name) == o)
	}
	for _, id := range s.KeyIDs() {
		v.Keys = append(v.Keys, *s.Key(id))
	}
	for _, e := range s.Endpoints() {
		v.Endpoints = append(v.Endpoints, *e)
		v.Lookups["endpoint "+e.ID] = fmt.Sprint(s.Endpoint(e.Name) == e, s.EndpointByID(e.ID) == e)
	}
	for _, b := range s.Budgets() {
		v.Budgets = append(v.Budgets, *b)
	}
	return v
}

// sameAsStore fails t unless a's snapshot answers exactly what one freshly loaded would.
func sameAsStore(t *testing.T, what string, a *app.App, cs *countingStore) {
	t.Helper()
	st, err := cs.Store.LoadState(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got, want := viewOf(a.Snapshot()), viewOf(gateway.NewSnapshot(st))
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after %s the snapshot differs from the store's state:\n got  %+v\n want %+v", what, got, want)
	}
}

// Every kind of admin change made through the App is applied to its snapshot in place (no
// full reload) and leaves it answering exactly what a reload would.
func TestAdminChangesApplyInPlaceAndMatchAReload(t *testing.T) {
	a, cs := newCountingApp(t, filepath.Join(t.TempDir(), "llmgate.db"))
	ctx, act := context.Background(), app.CLIActor
	var alice, bob *gateway.User
	var org *gateway.Org
	var keyID string
	var budget *gateway.Budget
	openai := func(name string) app.EndpointInput {
		return app.EndpointInput{Name: name, Type: gateway.TypeChat, Provider: "openai", Model: "gpt-4o-mini",
			Config: map[string]app.ConfigValue{"openai_api_key": {Value: "sk-test"}}}
	}
	steps := []struct {
		what string
		do   func() error
	}{
		{"CreateUser", func() (err error) {
			alice, err = a.CreateUser(ctx, act, app.NewUser{UserName: "alice", Admin: true})
			return
		}},
		{"CreateUser", func() (err error) { bob, err = a.CreateUser(ctx, act, app.NewUser{UserName: "bob"}); return }},
		{"CreateOrg", func() (err error) {
			org, err = a.CreateOrg(ctx, act, "lab", []gateway.OrgMember{{UserID: bob.ID}, {UserID: alice.ID}, {UserID: bob.ID, Role: gateway.OrgRoleAdmin}})
			return
		}},
		{"CreateOrg", func() error {
			_, err := a.CreateOrg(ctx, act, "alpha", []gateway.OrgMember{{UserID: bob.ID}})
			return err
		}},
		{"SetOrgMember(role)", func() error {
			return a.SetOrgMember(ctx, act, org.ID, gateway.OrgMember{UserID: alice.ID, Role: gateway.OrgRoleAdmin})
		}},
		{"RemoveOrgMember", func() error { return a.RemoveOrgMember(ctx, act, org.ID, bob.ID) }},
		{"SetOrgMember(add)", func() error { return a.SetOrgMember(ctx, act, org.ID, gateway.OrgMember{UserID: bob.ID}) }},
		{"RenameOrg", func() error { _, err := a.RenameOrg(ctx, act, org.ID, "0-first"); return err }},
		{"CreateKey", func() (err error) {
			_, k, err := a.CreateKey(ctx, act, bob.ID, "ci", time.Hour, "")
			keyID = k.ID
			return
		}},
		{"CreateKey", func() error { _, _, err := a.CreateKey(ctx, act, bob.ID, "laptop", 0, ""); return err }},
		{"RevokeKey", func() error { return a.RevokeKey(ctx, act, keyID) }},
		{"SetUserAdmin", func() error { _, err := a.SetUserAdmin(ctx, act, bob.ID, true); return err }},
		{"UpdateUser(rename)", func() error {
			name, email := "robert", "robert@example.org"
			_, err := a.UpdateUser(ctx, act, bob.ID, app.UserUpdate{UserName: &name, Email: &email})
			return err
		}},
		{"SetUserActive(false)", func() error { _, err := a.SetUserActive(ctx, act, bob.ID, false); return err }},
		{"SetUserActive(true)", func() error { _, err := a.SetUserActive(ctx, act, bob.ID, true); return err }},
		{"CreateBudget", func() (err error) {
			budget, err = a.CreateBudget(ctx, act, gateway.Budget{Scope: "organization", ScopeID: org.ID, Period: "day", LimitTokens: ptr(int64(5))})
			return
		}},
		{"UpdateBudget", func() error {
			_, err := a.UpdateBudget(ctx, act, budget.ID, app.BudgetPatch{ClearTokens: true, LimitCost: ptr(2.5)})
			return err
		}},
		{"CreateEndpoint", func() error { _, err := a.CreateEndpoint(ctx, act, openai("chat")); return err }},
		{"CreateEndpoint", func() error { _, err := a.CreateEndpoint(ctx, act, openai("embed")); return err }},
		{"UpdateEndpoint(rename)", func() error {
			name, model := "chat-2", "gpt-4o"
			_, err := a.UpdateEndpoint(ctx, act, "chat", app.EndpointPatch{Name: &name, Model: &model})
			return err
		}},
		{"UpdatePermissions", func() error {
			_, err := a.UpdatePermissions(ctx, act, "embed", app.PermissionsPatch{UserIDs: []string{bob.ID}, OrganizationIDs: []string{org.ID}})
			return err
		}},
		{"DeleteEndpoint", func() error { return a.DeleteEndpoint(ctx, act, "chat-2") }},
		{"DeleteBudget", func() error { return a.DeleteBudget(ctx, act, budget.ID) }},
		{"DeleteOrg", func() error { return a.DeleteOrg(ctx, act, org.ID) }},
	}
	for _, step := range steps {
		loads := cs.loads.Load()
		if err := step.do(); err != nil {
			t.Fatalf("%s: %v", step.what, err)
		}
		if n := cs.loads.Load() - loads; n != 0 {
			t.Fatalf("%s reloaded the whole state %d times; want the change applied in place", step.what, n)
		}
		sameAsStore(t, step.what, a, cs)
	}
}

// When another process wrote between this App's snapshot and its own change, the App cannot
// apply its change alone: it reloads, and sees both.
func TestAChangeAfterAnotherWritersReloads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "llmgate.db")
	a, cs := newCountingApp(t, path)
	other, _ := newCountingApp(t, path)
	ctx := context.Background()
	if _, err := other.CreateUser(ctx, app.CLIActor, app.NewUser{UserName: "from-elsewhere"}); err != nil {
		t.Fatal(err)
	}
	loads := cs.loads.Load()
	if _, err := a.CreateUser(ctx, app.CLIActor, app.NewUser{UserName: "here"}); err != nil {
		t.Fatal(err)
	}
	if cs.loads.Load() == loads {
		t.Fatal("the App applied its change over a snapshot missing another writer's change")
	}
	if a.Snapshot().UserByName("from-elsewhere") == nil || a.Snapshot().UserByName("here") == nil {
		t.Fatal("the App does not see both changes")
	}
	sameAsStore(t, "a change after another writer's", a, cs)
}

func ptr[T any](v T) *T { return &v }
