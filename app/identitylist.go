package app

import (
	"context"
	"strings"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

// Listings for administrators' screens, read from the snapshot (no store read per page). Each
// takes a search string (any case, substring) and an offset/limit page, and returns the page
// and how many matched in all.

// Page is an offset/limit window; Limit 0 means no limit.
type Page struct{ Offset, Limit int }

func window[T any](all []T, p Page) []T {
	lo := min(max(p.Offset, 0), len(all))
	hi := len(all)
	if p.Limit > 0 {
		hi = min(lo+p.Limit, hi)
	}
	return all[lo:hi]
}

func matches(q string, fields ...string) bool {
	if q == "" {
		return true
	}
	for _, f := range fields {
		if strings.Contains(strings.ToLower(f), q) {
			return true
		}
	}
	return false
}

// ListUsers pages through users whose username, name or email contains q, oldest first.
func (a *App) ListUsers(act Actor, q string, p Page) ([]*gateway.User, int, error) {
	if err := requireAdminTo(act, "list every user"); err != nil {
		return nil, 0, err
	}
	var out []*gateway.User
	for _, u := range a.Snapshot().Users() {
		if UserMatches(u, q) {
			out = append(out, u)
		}
	}
	return window(out, p), len(out), nil
}

// UserMatches reports whether u's username, name or email contains q (any case; "" matches
// every user): the one user search of the console and the REST API.
func UserMatches(u *gateway.User, q string) bool {
	return matches(strings.ToLower(strings.TrimSpace(q)), u.UserName, u.Email, u.FirstName+" "+u.LastName)
}

// ListOrgs pages through organizations whose name contains q, by name.
func (a *App) ListOrgs(act Actor, q string, p Page) ([]*gateway.Org, int, error) {
	if err := requireAdminTo(act, "list every organization"); err != nil {
		return nil, 0, err
	}
	q = strings.ToLower(strings.TrimSpace(q))
	var out []*gateway.Org
	for _, o := range a.Snapshot().Orgs() {
		if matches(q, o.Name) {
			out = append(out, o)
		}
	}
	return window(out, p), len(out), nil
}

// OwnedKey is a live key with its owner and when it was last used (nil: never, as far as the
// recorded uses go; see KeyLastUsed).
type OwnedKey struct {
	*gateway.APIKey
	Owner    *gateway.User
	LastUsed *time.Time
}

// ListAllKeys pages through every live key in the system (newest first) whose name, prefix or
// owner's username contains q, each with its last use. The keys are read from the store (the
// snapshot keeps only what authentication needs): without q the store reads just the page.
func (a *App) ListAllKeys(ctx context.Context, act Actor, q string, p Page) ([]OwnedKey, int, error) {
	if err := requireAdminTo(act, "list every key"); err != nil {
		return nil, 0, err
	}
	q = strings.ToLower(strings.TrimSpace(q))
	if q == "" {
		keys, total, err := a.Store.ListLiveKeys(ctx, max(p.Offset, 0), p.Limit)
		if err != nil {
			return nil, 0, err
		}
		return a.ownedKeys(keys), total, nil
	}
	keys, _, err := a.Store.ListLiveKeys(ctx, 0, 0)
	if err != nil {
		return nil, 0, err
	}
	snap := a.Snapshot()
	var matched []gateway.APIKey
	for i := range keys {
		k := &keys[i]
		name := ""
		if owner := snap.User(k.UserID); owner != nil {
			name = owner.UserName
		}
		if matches(q, k.Name, k.Prefix, name) {
			matched = append(matched, *k)
		}
	}
	return a.ownedKeys(window(matched, p)), len(matched), nil
}

// ownedKeys gives each key its owner and last use.
func (a *App) ownedKeys(keys []gateway.APIKey) []OwnedKey {
	snap := a.Snapshot()
	out := make([]OwnedKey, len(keys))
	for i := range keys {
		out[i] = OwnedKey{APIKey: &keys[i], Owner: snap.User(keys[i].UserID), LastUsed: a.KeyLastUsed(keys[i].ID)}
	}
	return out
}
