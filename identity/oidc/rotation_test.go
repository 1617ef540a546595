package oidc_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/llmgate/llmgate/identity/oidc"
)

// rotatingIssuer is a provider whose signing key the test replaces: discovery plus a JWKS that
// publishes only the current key.
type rotatingIssuer struct {
	url string
	mu  sync.Mutex
	key *rsa.PrivateKey
	kid string
}

func newRotatingIssuer(t *testing.T) *rotatingIssuer {
	ri := &rotatingIssuer{}
	ri.rotate(t, "k1")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			json.NewEncoder(w).Encode(map[string]any{"issuer": ri.url, "jwks_uri": ri.url + "/jwks",
				"authorization_endpoint": ri.url + "/auth", "token_endpoint": ri.url + "/token",
				"id_token_signing_alg_values_supported": []string{"RS256"}})
		case "/jwks":
			ri.mu.Lock()
			set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &ri.key.PublicKey, KeyID: ri.kid, Algorithm: "RS256", Use: "sig"}}}
			ri.mu.Unlock()
			json.NewEncoder(w).Encode(set)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	ri.url = srv.URL
	return ri
}

func (ri *rotatingIssuer) rotate(t *testing.T, kid string) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ri.mu.Lock()
	ri.key, ri.kid = key, kid
	ri.mu.Unlock()
}

func (ri *rotatingIssuer) token(t *testing.T, user string) string {
	ri.mu.Lock()
	defer ri.mu.Unlock()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: ri.key}, (&jose.SignerOptions{}).WithHeader("kid", ri.kid))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(map[string]any{"iss": ri.url, "aud": "gw", "sub": user, "preferred_username": user,
		"exp": time.Now().Add(time.Minute).Unix()})
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := jws.CompactSerialize()
	return raw
}

// When the provider rotates its signing key, a token signed with the new key verifies: the
// key set is fetched again for a key id it has not seen. A key the provider never published
// does not verify.
func TestBearerVerificationFollowsKeyRotation(t *testing.T) {
	ri := newRotatingIssuer(t)
	p, err := oidc.New(oidc.Config{Name: "r", Issuer: ri.url, ClientID: "gw"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, ok, err := p.VerifyBearer(ctx, ri.token(t, "ann")); !ok || err != nil {
		t.Fatalf("first key: %v %v", ok, err)
	}
	ri.rotate(t, "k2")
	if ident, ok, err := p.VerifyBearer(ctx, ri.token(t, "bob")); !ok || err != nil || ident.UserName != "bob" {
		t.Fatalf("after the rotation: %+v %v %v", ident, ok, err)
	}
	forged := &rotatingIssuer{url: ri.url}
	forged.rotate(t, "k3")
	if _, ok, err := p.VerifyBearer(ctx, forged.token(t, "eve")); !ok || err == nil {
		t.Fatalf("a key the provider never published: ok=%v err=%v", ok, err)
	}
}
