package app

import (
	"context"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

// KeyView is a key as a listing shows it: Usable says whether it would authenticate now (it,
// its parent chain and its user are all active).
type KeyView struct {
	gateway.APIKey
	Usable bool
	// LastUsed is when the key last authenticated (KeyLastUsed); nil: never, as far as recorded.
	LastUsed *time.Time
}

// UserKeys lists every key of userID, revoked ones included, newest first. It reads the store:
// the snapshot holds no revoked keys.
func (a *App) UserKeys(ctx context.Context, userID string) ([]KeyView, error) {
	keys, err := a.Store.ListKeys(ctx, userID)
	if err != nil {
		return nil, err
	}
	now, snap := gateway.Now(), a.Snapshot()
	out := make([]KeyView, len(keys))
	for i := range keys {
		out[i] = KeyView{APIKey: keys[i], Usable: keys[i].RevokedAt == nil && snap.KeyUsable(&keys[i], now),
			LastUsed: a.KeyLastUsed(keys[i].ID)}
	}
	return out, nil
}
