package gateway

import (
	"context"
	"time"
)

// KeyUseStore keeps when each API key was last used, for the admin listings. A use is not an
// admin change (the access event already records it), so recording one takes no audit event
// and leaves the state version alone; replicas batch their uses and record them every few
// seconds, never once per request.
type KeyUseStore interface {
	// RecordKeyUses sets each key's last use to the later of the stored one and the given
	// time; unknown key ids are ignored.
	RecordKeyUses(ctx context.Context, used map[string]time.Time) error
	// KeysLastUsed returns the last recorded use of every non-revoked key that has one.
	KeysLastUsed(ctx context.Context) (map[string]time.Time, error)
}
