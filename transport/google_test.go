package transport

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/provider"
)

// serviceAccount returns a service-account JSON whose token_uri is tokenURL.
func serviceAccount(t *testing.T, tokenURL string) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	b, _ := json.Marshal(map[string]string{
		"type": "service_account", "project_id": "p", "private_key_id": "k1",
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": "llmgate@p.iam.gserviceaccount.com", "token_uri": tokenURL,
	})
	return string(b)
}

func TestGoogleOAuthTokenCached(t *testing.T) {
	var tokenCalls atomic.Int32
	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tokenCalls.Add(1)
		if err := r.ParseForm(); err != nil || r.Form.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
			http.Error(w, "bad grant", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"ya29.fake","token_type":"Bearer","expires_in":3600}`))
	}))
	defer tokens.Close()
	var seen []string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Header.Get("Authorization"))
	}))
	defer api.Close()

	tr := New(Options{})
	sign := &provider.Signing{Google: &provider.GoogleOAuth{CredentialsJSON: serviceAccount(t, tokens.URL)}}
	hr := &provider.HTTPRequest{Method: http.MethodPost, URL: api.URL, Header: http.Header{}, Sign: sign}
	for range 2 {
		resp, err := tr.Do(context.Background(), hr)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if len(seen) != 2 || seen[0] != "Bearer ya29.fake" || seen[1] != seen[0] || tokenCalls.Load() != 1 {
		t.Fatalf("auth headers %v, token calls %d; want the token on both and one token call", seen, tokenCalls.Load())
	}
	if len(hr.Minted) == 0 || hr.Minted[0] != "ya29.fake" {
		t.Fatalf("Minted = %q; want the access token so the caller can scrub it", hr.Minted)
	}
}

func TestGoogleBadCredentialsDoNotLeak(t *testing.T) {
	sign := &provider.Signing{Google: &provider.GoogleOAuth{CredentialsJSON: `{"type":"service_account","private_key":"SECRETSECRET"`}}
	hr := &provider.HTTPRequest{Method: http.MethodPost, URL: "http://127.0.0.1:1", Header: http.Header{}, Sign: sign}
	_, err := New(Options{}).Do(context.Background(), hr)
	if gateway.ErrorCode(err) != gateway.CodeInvalid || strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("err = %v", err)
	}
}
