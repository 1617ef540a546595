package app

import (
	"context"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

// DefaultExchangeLifetime and MaxExchangeLifetime bound keys handed out for an identity
// provider's token: short-lived credentials for a notebook or a job.
const (
	DefaultExchangeLifetime = time.Hour
	MaxExchangeLifetime     = 24 * time.Hour
)

// ExchangeToken gives the user an identity provider's JWT names (verified and mapped as on
// any request, see BearerVerifier) a new llmgate key that expires after lifetime (default an
// hour, at most a day). It is audited as CreateApiKey through "token-exchange", naming the
// provider.
func (a *App) ExchangeToken(ctx context.Context, c Caller, subjectToken, name string, lifetime time.Duration) (string, *gateway.APIKey, error) {
	if len(a.bearers.verifiers) == 0 {
		return "", nil, gateway.Errorf(gateway.CodeInvalid, "no identity provider is configured whose tokens could be exchanged")
	}
	if !looksLikeJWT(subjectToken) {
		return "", nil, gateway.Errorf(gateway.CodeUnauthenticated, "subject_token must be a JWT from the configured identity provider")
	}
	p, err := a.authenticateBearer(ctx, subjectToken)
	if err != nil {
		return "", nil, err
	}
	switch {
	case lifetime == 0:
		lifetime = DefaultExchangeLifetime
	case lifetime > MaxExchangeLifetime:
		return "", nil, gateway.Errorf(gateway.CodeInvalid, "a key from a token exchange lives at most %s", FormatLifetime(MaxExchangeLifetime))
	}
	if name == "" {
		name = "token exchange"
	}
	return a.CreateKey(ctx, c.Actor(p, "token-exchange"), p.User.ID, name, lifetime, "")
}
