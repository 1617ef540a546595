package vault

import (
	"context"

	"github.com/llmgate/llmgate/gateway"
)

// Check reads a path under the prefix that does not exist, so a server can wait for Vault at
// start-up instead of failing its first request: "not found" means Vault answered; a refused
// token is a setting to fix (CodeInvalid, not retried); anything else is unavailability.
func (s *Store) Check(ctx context.Context) error {
	_, err := s.read(ctx, s.mount, s.prefix+"/.llmgate-startup-check", "value")
	if err == nil {
		return nil
	}
	switch gateway.ErrorCode(err) {
	case gateway.CodeNotFound:
		return nil
	case gateway.CodeForbidden:
		return gateway.Wrap(gateway.CodeInvalid, err, "Vault refused VAULT_TOKEN at start-up (check the token and its policy)")
	}
	return err
}
