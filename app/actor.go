package app

import (
	"github.com/llmgate/llmgate/gateway"
)

// Actor is who performs an admin change and through which door; it fills the audit
// event's actor fields.
type Actor struct {
	Principal *gateway.Principal // nil for the CLI and bootstrap
	RequestID string
	ClientIP  string
	UserAgent string
	API       string // "domino", "users", "cli", "bootstrap"
}

// Caller is what a surface read off a request about who sent it: the credential as presented,
// the client's address (after trusted proxies), its user agent and the request id. The core
// takes these plain values and never the request itself.
type Caller struct {
	APIKey    string
	ClientIP  string
	UserAgent string
	RequestID string
	// Principal, when set, is who the caller already is: a surface that authenticates without
	// a key (the web console's session) resolves it from the current snapshot, and the query
	// path then uses it instead of APIKey. Surfaces reading a key never set it.
	Principal *gateway.Principal
}

// Actor is the caller acting as principal p through api; the credential stays behind.
func (c Caller) Actor(p *gateway.Principal, api string) Actor {
	return Actor{Principal: p, RequestID: c.RequestID, ClientIP: c.ClientIP, UserAgent: c.UserAgent, API: api}
}

// CLIActor is the actor of admin CLI commands, which run with direct database access.
var CLIActor = Actor{API: "cli"}

// event starts an admin audit event with the actor fields set.
func (act Actor) event(kind string) *gateway.AuditEvent {
	ev := &gateway.AuditEvent{ID: gateway.NewID(), Kind: kind, Timestamp: gateway.Now(), Metadata: map[string]string{}}
	if act.Principal != nil && act.Principal.User != nil {
		ev.PerformedBy = act.Principal.User.ID
		ev.Metadata["performedByUsername"] = act.Principal.User.UserName
	} else {
		ev.Metadata["performedByUsername"] = "llmgate-" + act.API
	}
	set := func(k, v string) {
		if v != "" {
			ev.Metadata[k] = v
		}
	}
	set("requestId", act.RequestID)
	set("clientIp", act.ClientIP)
	set("userAgent", act.UserAgent)
	set("api", act.API)
	return ev
}

// Authenticate resolves an API key (as the surface extracted it from its request) against the
// current snapshot; a success counts as a use of the key (KeyLastUsed).
func (a *App) Authenticate(key string) (*gateway.Principal, error) {
	now := gateway.Now()
	p, err := a.Snapshot().Authenticate(key, now)
	if err == nil && p.KeyID != "" {
		a.keyUses.note(p.KeyID, now)
	}
	return p, err
}
