package local

import (
	"context"

	"github.com/llmgate/llmgate/gateway"
)

// Rotate generates a new master key and re-wraps every stored data key under it; values
// are never re-encrypted. It needs no downtime:
//
//  1. the key file is rewritten first (new key first, every older key kept), so that no
//     data key is ever wrapped under a key that is not on disk, even if Rotate stops half way;
//  2. each data key is then unwrapped and re-wrapped with the new key.
//
// A running server that meets the new master key id rereads the key file (see
// Keyring.lookup). A server that has not reloaded still wraps new secrets under the old
// key, which stays in the file and therefore keeps working. Rerunning Rotate after a failure
// is safe: it re-wraps whatever it finds.
func Rotate(ctx context.Context, store gateway.SealedSecretStore, keys *Keyring) (rewrapped int, err error) {
	if err := keys.Reload(); err != nil {
		return 0, err
	}
	next, err := generateKey()
	if err != nil {
		return 0, err
	}
	if err := keys.addPrimary(next); err != nil {
		return 0, err
	}
	sealed, err := store.ListSecrets(ctx)
	if err != nil {
		return 0, err
	}
	s := &Store{store: store, keys: keys}
	for i := range sealed {
		if err := s.rewrap(ctx, &sealed[i], next); err != nil {
			return rewrapped, err
		}
		rewrapped++
	}
	return rewrapped, nil
}

func (s *Store) rewrap(ctx context.Context, sealed *gateway.SealedSecret, next masterKey) error {
	dataKey, err := s.unwrapDataKey(sealed)
	if err != nil {
		return err
	}
	defer clear(dataKey)
	wrapped, err := wrapDataKey(sealed.ID, dataKey, next)
	if err != nil {
		return err
	}
	sealed.WrappedKey, sealed.MasterKeyID = wrapped, next.id
	return s.store.UpdateSecretWrapping(ctx, sealed)
}
