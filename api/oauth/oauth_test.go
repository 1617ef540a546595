package oauth_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/api/oauth"
	"github.com/llmgate/llmgate/pipeline/pipelinetest"
)

// Every malformed exchange is a 400 in OAuth's envelope naming what is wrong, before any token
// is looked at; a gateway without an identity provider says so. Answers are never cached.
func TestTokenExchangeRefusesMalformedRequests(t *testing.T) {
	e := pipelinetest.New(t, pipelinetest.Options{})
	mux := http.NewServeMux()
	oauth.Register(mux, e.App)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	jwt := "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln"
	ok := url.Values{"grant_type": {oauth.GrantTokenExchange}, "subject_token": {jwt}, "subject_token_type": {oauth.TypeJWT}}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for key, vals := range ok {
			f[key] = vals
		}
		if v == "" {
			f.Del(k)
		} else {
			f.Set(k, v)
		}
		return f
	}
	for name, c := range map[string]struct {
		form url.Values
		code string
		says string
	}{
		"wrong grant":              {with("grant_type", "password"), "unsupported_grant_type", "grant_type"},
		"no subject token":         {with("subject_token", ""), "invalid_request", "subject_token"},
		"unknown token type":       {with("subject_token_type", "urn:x:saml"), "invalid_request", "subject_token_type"},
		"refresh token requested":  {with("requested_token_type", "urn:ietf:params:oauth:token-type:refresh_token"), "invalid_request", "requested_token_type"},
		"too short a lifetime":     {with("expires_in", "5"), "invalid_request", "expires_in"},
		"lifetime not a number":    {with("expires_in", "soon"), "invalid_request", "expires_in"},
		"no identity provider set": {ok, "invalid_request", "identity provider"},
	} {
		resp, err := http.PostForm(srv.URL+"/oauth2/token", c.form)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]string
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || body["error"] != c.code || !strings.Contains(body["error_description"], c.says) ||
			resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: %d %v, want 400 %s naming %q", name, resp.StatusCode, body, c.code, c.says)
		}
	}
}
