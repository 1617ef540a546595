package vault

import (
	"context"
	"errors"
	"strings"

	vaultapi "github.com/hashicorp/vault/api"

	"github.com/llmgate/llmgate/gateway"
)

// OwnedValue reads the value llmgate keeps at <prefix>/<name> (e.g. its audit chain keys) and
// the secret's version; a missing secret is ("", 0, nil).
func (s *Store) OwnedValue(ctx context.Context, name string) (value string, version int, err error) {
	if !validSegment(name) {
		return "", 0, gateway.Errorf(gateway.CodeInvalid, "invalid Vault secret name %q", name)
	}
	path := s.prefix + "/" + name
	secret, err := s.client.KVv2(s.mount).Get(ctx, path)
	if errors.Is(err, vaultapi.ErrSecretNotFound) {
		return "", 0, nil
	}
	if err != nil {
		return "", 0, mapError(err, s.mount+"/"+path)
	}
	if secret.VersionMetadata != nil {
		version = secret.VersionMetadata.Version
	}
	if secret.Data == nil { // latest version deleted: writable at this version, holds nothing
		return "", version, nil
	}
	value, _ = secret.Data[valueField].(string)
	return value, version, nil
}

// PutOwnedValue writes value at <prefix>/<name> only if the secret is still at version (0:
// does not exist yet), Vault's check-and-set: replicas racing to create or rotate never
// overwrite each other. A lost race is CodeConflict; read again and retry.
func (s *Store) PutOwnedValue(ctx context.Context, name, value string, version int) error {
	if !validSegment(name) {
		return gateway.Errorf(gateway.CodeInvalid, "invalid Vault secret name %q", name)
	}
	path := s.prefix + "/" + name
	_, err := s.client.KVv2(s.mount).Put(ctx, path, map[string]any{valueField: value}, vaultapi.WithCheckAndSet(version))
	if err != nil && strings.Contains(err.Error(), "check-and-set") {
		return gateway.Wrap(gateway.CodeConflict, err, "Vault secret "+s.mount+"/"+path+" was changed concurrently")
	}
	if err != nil {
		return mapError(err, s.mount+"/"+path)
	}
	return nil
}
