// Package oidctest runs a real OpenID Provider for tests: zitadel/oidc's certified `op`
// package with the example storage and login page its module ships (Dex and the like cannot be
// installed here; this one comes from the Go module proxy). It serves discovery, JWKS, the
// authorization-code flow with PKCE and its login form, token and userinfo endpoints. Tests add
// users, change their groups (sent as the "groups" claim), and sign tokens with the provider's
// own key to present crafted ones (expired, wrong audience, …).
package oidctest

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
)

// User is an account at the provider.
type User struct {
	Username, Password, Email, FirstName, LastName string
	Groups                                         []string
}

// OP is a running provider.
type OP struct {
	Issuer   string // with the trailing slash, exactly as tokens carry it
	ClientID string
	Secret   string
	store    *storage.Storage
	users    *users
}

// Start serves a provider on a loopback port until t ends, with one confidential web client.
func Start(t testing.TB) *OP {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	issuer := "http://" + srv.Listener.Addr().String() + "/"
	u := &users{byID: map[string]*User{}}
	st := storage.NewStorage(u)
	o := &OP{Issuer: issuer, ClientID: "llmgate-" + srv.Listener.Addr().String(), Secret: "test-client-secret", store: st, users: u}
	srv.Config.Handler = exampleop.SetupServer(issuer, &groupsStorage{Storage: st, users: u}, nil, false)
	srv.Start()
	t.Cleanup(srv.Close)
	return o
}

// AllowRedirect registers the client with its redirect URI (the gateway's callback).
func (o *OP) AllowRedirect(redirectURI string) {
	storage.RegisterClients(storage.WebClient(o.ClientID, o.Secret, redirectURI))
}

// AddUser creates or replaces an account; its id is its username.
func (o *OP) AddUser(u User) {
	o.users.mu.Lock()
	defer o.users.mu.Unlock()
	o.users.byID[u.Username] = &u
}

// SetGroups changes a user's groups from their next token on.
func (o *OP) SetGroups(username string, groups ...string) {
	o.users.mu.Lock()
	defer o.users.mu.Unlock()
	o.users.byID[username].Groups = groups
}

// Sign returns a compact JWT with claims, signed with the provider's current key (RS256,
// its key id), so a test can present tokens the provider could have issued.
func (o *OP) Sign(t testing.TB, claims map[string]any) string {
	t.Helper()
	key, err := o.store.SigningKey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: key.SignatureAlgorithm(), Key: key.Key().(*rsa.PrivateKey)},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", key.ID()))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// Claims are the standard claims of a token for username valid from now for ttl.
func (o *OP) Claims(username string, ttl time.Duration) map[string]any {
	now := time.Now()
	o.users.mu.Lock()
	defer o.users.mu.Unlock()
	u := o.users.byID[username]
	return map[string]any{"iss": o.Issuer, "sub": username, "aud": o.ClientID, "iat": now.Unix(), "exp": now.Add(ttl).Unix(),
		"preferred_username": u.Username, "email": u.Email, "groups": u.Groups}
}

// users is the provider's account store (storage.UserStore).
type users struct {
	mu   sync.Mutex
	byID map[string]*User
}

func (s *users) GetUserByID(id string) *storage.User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.toStorage(s.byID[id])
}

func (s *users) GetUserByUsername(name string) *storage.User { return s.GetUserByID(name) }

func (s *users) ExampleClientID() string { return storage.ServiceUserID }

func (s *users) toStorage(u *User) *storage.User {
	if u == nil {
		return nil
	}
	return &storage.User{ID: u.Username, Username: u.Username, Password: u.Password, FirstName: u.FirstName,
		LastName: u.LastName, Email: u.Email, EmailVerified: true, PreferredLanguage: language.English}
}

func (s *users) groups(id string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.byID[id]; u != nil {
		return append([]string{}, u.Groups...)
	}
	return nil
}

// groupsStorage adds the "groups" claim to ID tokens and userinfo.
type groupsStorage struct {
	*storage.Storage
	users *users
}

func (g *groupsStorage) SetUserinfoFromRequest(ctx context.Context, info *zoidc.UserInfo, token op.IDTokenRequest, scopes []string) error {
	if err := g.Storage.SetUserinfoFromRequest(ctx, info, token, scopes); err != nil {
		return err
	}
	info.AppendClaims("groups", g.users.groups(token.GetSubject()))
	return nil
}

func (g *groupsStorage) SetUserinfoFromToken(ctx context.Context, info *zoidc.UserInfo, tokenID, subject, origin string) error {
	if err := g.Storage.SetUserinfoFromToken(ctx, info, tokenID, subject, origin); err != nil {
		return err
	}
	info.AppendClaims("groups", g.users.groups(info.Subject))
	return nil
}
