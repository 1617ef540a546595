package gateway

import (
	"regexp"
	"strings"
	"time"
)

// EndpointType is the MLflow route type of an endpoint.
type EndpointType string

const (
	TypeChat        EndpointType = "llm/v1/chat"
	TypeCompletions EndpointType = "llm/v1/completions"
	TypeEmbeddings  EndpointType = "llm/v1/embeddings"
)

// EndpointTypes lists every supported type, in a stable order.
var EndpointTypes = []EndpointType{TypeChat, TypeCompletions, TypeEmbeddings}

// ValidEndpointType reports whether t is one of the three supported types.
func ValidEndpointType(t EndpointType) bool {
	return t == TypeChat || t == TypeCompletions || t == TypeEmbeddings
}

// User is a principal that can hold API keys. IDs share one space with organizations, as in
// Domino, so an organization id may appear wherever a user id may.
type User struct {
	ID        string    `json:"id"`
	UserName  string    `json:"userName"`
	Email     string    `json:"email"`
	FirstName string    `json:"firstName"`
	LastName  string    `json:"lastName"`
	Admin     bool      `json:"admin"`
	CreatedAt time.Time `json:"createdAt"`
	// DeactivatedAt, when set, means none of the user's keys authenticate.
	DeactivatedAt *time.Time `json:"deactivatedAt,omitempty"`
}

// Active reports whether the user may authenticate.
func (u *User) Active() bool { return u.DeactivatedAt == nil }

// FullName is "First Last" with empty parts dropped.
func (u *User) FullName() string {
	return strings.TrimSpace(u.FirstName + " " + u.LastName)
}

// OrgRole is a member's role in an organization (Domino's vocabulary).
type OrgRole string

const (
	OrgRoleAdmin  OrgRole = "admin"
	OrgRoleMember OrgRole = "member"
)

// OrgMember links a user to an organization.
type OrgMember struct {
	UserID string  `json:"userId"`
	Role   OrgRole `json:"organizationRole"`
}

// Org is an organization: a named group of users that permissions can name.
type Org struct {
	ID        string      `json:"id"`
	Name      string      `json:"name"`
	Members   []OrgMember `json:"members"`
	CreatedAt time.Time   `json:"createdAt"`
}

// APIKey is a credential of one user. Only the SHA-256 of the key is ever stored: keys are
// 256-bit random strings, so a fast hash is as strong as a slow one here and keeps the
// per-request lookup cheap.
type APIKey struct {
	ID        string     `json:"id"`
	UserID    string     `json:"userId"`
	Name      string     `json:"name"`
	Hash      []byte     `json:"-"`
	Prefix    string     `json:"prefix"` // first characters, to recognise a key in listings
	CreatedAt time.Time  `json:"createdAt"`
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
	RevokedAt *time.Time `json:"revokedAt,omitempty"`
	// ParentID is the key of the same user that created this one, if any: a key made with a
	// key authenticates only while its parent does.
	ParentID string `json:"parentId,omitempty"`
}

// Active reports whether the key may authenticate at time now.
func (k *APIKey) Active(now time.Time) bool {
	if k.RevokedAt != nil {
		return false
	}
	return k.ExpiresAt == nil || now.Before(*k.ExpiresAt)
}

// Permissions says who may see and query an endpoint. UserIDs may hold organization ids
// (Domino keeps both in one id space); OrganizationIDs is llmgate's explicit org list.
type Permissions struct {
	IsEveryoneAllowed bool     `json:"isEveryoneAllowed"`
	UserIDs           []string `json:"userIds"`
	OrganizationIDs   []string `json:"organizationIds"`
}

// LimitScopes holds one kind of limit for the three scopes it can apply to; 0 means no limit.
type LimitScopes struct {
	Endpoint        int64 `json:"endpoint,omitempty"`
	PerUser         int64 `json:"perUser,omitempty"`
	PerOrganization int64 `json:"perOrganization,omitempty"`
}

// Any reports whether any scope is limited.
func (l LimitScopes) Any() bool { return l.Endpoint > 0 || l.PerUser > 0 || l.PerOrganization > 0 }

// RateLimits are an endpoint's optional per-minute limits (extension field `rateLimits`).
type RateLimits struct {
	CallsPerMinute  LimitScopes `json:"callsPerMinute"`
	TokensPerMinute LimitScopes `json:"tokensPerMinute"`
}

// SecretRef points at a credential held outside the endpoint row. Owned references were
// created by llmgate's secret store and are deleted with the endpoint; references a user gave
// (`env:NAME`, `vault:PATH#FIELD`) are only ever read.
type SecretRef struct {
	Ref   string `json:"ref"`
	Owned bool   `json:"owned"`
}

// Endpoint is a named, typed route to one provider model.
type Endpoint struct {
	ID       string       `json:"id"`
	Name     string       `json:"name"`
	Type     EndpointType `json:"type"`
	Provider string       `json:"provider"`
	Model    string       `json:"model"`
	// Config holds the non-secret modelConfig values as given.
	Config map[string]string `json:"config"`
	// Secrets maps each credential-named modelConfig key to where its value lives.
	Secrets     map[string]SecretRef `json:"secrets"`
	Permissions Permissions          `json:"permissions"`
	RateLimits  RateLimits           `json:"rateLimits"`
	// LogPayloads records prompt and completion text in access events when true.
	LogPayloads bool `json:"logPayloads"`
	// TimeoutSeconds bounds one upstream call; 0 means the gateway default.
	TimeoutSeconds int `json:"timeoutSeconds"`
	// Pricing overrides the shipped price table for this endpoint (nil: the table's price).
	Pricing *Pricing `json:"pricing,omitempty"`
	// Routing retries failed upstream calls (nil: one attempt).
	Routing *Routing `json:"routing,omitempty"`
	// Cache turns on the response cache (nil: off).
	Cache *CachePolicy `json:"cache,omitempty"`
	// Targets are further providers and models the endpoint may answer with (Routing).
	Targets   []Target  `json:"targets,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// ConfigKeys returns every modelConfig key of the endpoint, plain and secret.
func (e *Endpoint) ConfigKeys() []string {
	keys := make([]string, 0, len(e.Config)+len(e.Secrets))
	for k := range e.Config {
		keys = append(keys, k)
	}
	for k := range e.Secrets {
		keys = append(keys, k)
	}
	return keys
}

// HasConfigKey reports whether key is set, plain or secret.
func (e *Endpoint) HasConfigKey(key string) bool {
	if _, ok := e.Config[key]; ok {
		return true
	}
	_, ok := e.Secrets[key]
	return ok
}

// SecretMask is how every response shows a credential value.
const SecretMask = "********"

var endpointNamePattern = regexp.MustCompile(`^[A-Za-z0-9_.\-]{1,256}$`)

// ValidEndpointName applies MLflow's endpoint name rule restricted to ASCII, 1-256 chars, and
// refuses names made only of dots ("." and ".."), which are path segments, not names: in a
// URL they would address another route.
func ValidEndpointName(name string) bool {
	return endpointNamePattern.MatchString(name) && strings.Trim(name, ".") != ""
}

var userNamePattern = regexp.MustCompile(`^[A-Za-z0-9_.@\-]{1,128}$`)

// ValidUserName reports whether name is an acceptable login name.
func ValidUserName(name string) bool { return userNamePattern.MatchString(name) }

// secretWords are the fragments that make a config key a credential. Matching by name (not by
// provider table) means a key no provider declares is still protected.
var secretWords = []string{"api_key", "apikey", "secret", "password", "passwd", "private_key", "access_key", "credential", "bearer", "service_account"}

// IsSecretKey reports whether a modelConfig key names a credential. "token" counts only as a
// credential noun (session_token, auth_token), not as a unit (max_tokens).
func IsSecretKey(key string) bool {
	k := strings.ToLower(key)
	for _, w := range secretWords {
		if strings.Contains(k, w) {
			return true
		}
	}
	return strings.HasSuffix(k, "token") || strings.Contains(k, "token_")
}
