package app

import (
	"context"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/usage"
)

// Usage answers a usage query (package usage) for act: an admin (or the CLI) sees every
// user's usage, anyone else only their own — asking for someone else's is refused, not
// silently narrowed.
func (a *App) Usage(ctx context.Context, act Actor, q usage.Query) ([]usage.Aggregate, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	if p := act.Principal; p != nil && !p.IsAdmin() {
		switch q.UserID {
		case "", p.User.ID:
			q.UserID = p.User.ID
		default:
			return nil, gateway.Errorf(gateway.CodeForbidden, "only admins may read other users' usage")
		}
	}
	rows, err := a.Store.UsageRows(ctx, q.From, q.To, q.UserID)
	if err != nil {
		return nil, gateway.Wrap(gateway.CodeUnavailable, err, "usage could not be read")
	}
	return usage.Summarize(rows, q), nil
}
