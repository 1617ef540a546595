package local

import (
	"crypto/hmac"
	"crypto/sha256"

	"github.com/llmgate/llmgate/gateway"
)

// DerivedKeys returns, for every master key (newest first), a separate key for purpose:
// HMAC-SHA256(master key, purpose), named "<master key id>". Other subsystems (the audit
// chain) thereby get keys that live and rotate with the master key without ever using it
// directly. Pass a fixed, versioned purpose string.
func (kr *Keyring) DerivedKeys(purpose string) []gateway.AuditKey {
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	out := make([]gateway.AuditKey, len(kr.keys))
	for i, k := range kr.keys {
		m := hmac.New(sha256.New, k.key)
		m.Write([]byte(purpose))
		out[i] = gateway.AuditKey{ID: k.id, Secret: m.Sum(nil)}
	}
	return out
}
