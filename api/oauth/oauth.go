// Package oauth is the OAuth 2.0 Token Exchange endpoint (RFC 8693) at POST /oauth2/token: a
// workload or a notebook presents a JWT from the configured identity provider and gets a
// short-lived llmgate key, which every client (MLflow, OpenAI, LangChain) accepts as its API
// key. Errors use RFC 6749's envelope ({"error", "error_description"}).
package oauth

import (
	"net/http"
	"strconv"
	"time"

	"github.com/llmgate/llmgate/api/httpkit"
	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
)

// Grant and token type URIs of RFC 8693.
const (
	GrantTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
	TypeJWT            = "urn:ietf:params:oauth:token-type:jwt"
	TypeIDToken        = "urn:ietf:params:oauth:token-type:id_token"
	TypeAccessToken    = "urn:ietf:params:oauth:token-type:access_token"
	maxFormBytes       = 32 << 10
)

// Register mounts POST /oauth2/token.
func Register(mux httpkit.Mux, a *app.App) {
	mux.HandleFunc("POST /oauth2/token", func(w http.ResponseWriter, r *http.Request) { exchange(a, w, r) })
}

type answer struct {
	AccessToken     string `json:"access_token"`
	IssuedTokenType string `json:"issued_token_type"`
	TokenType       string `json:"token_type"`
	ExpiresIn       int64  `json:"expires_in"`
}

func exchange(a *app.App, w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		fail(w, http.StatusBadRequest, "invalid_request", "the body must be an application/x-www-form-urlencoded form of at most 32 KiB")
		return
	}
	f := r.PostForm
	switch {
	case f.Get("grant_type") != GrantTokenExchange:
		fail(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be "+GrantTokenExchange)
		return
	case f.Get("subject_token") == "":
		fail(w, http.StatusBadRequest, "invalid_request", "subject_token is required")
		return
	case f.Get("subject_token_type") != TypeJWT && f.Get("subject_token_type") != TypeIDToken && f.Get("subject_token_type") != TypeAccessToken:
		fail(w, http.StatusBadRequest, "invalid_request", "subject_token_type must be "+TypeJWT+" (or id_token, access_token for a JWT)")
		return
	case f.Has("requested_token_type") && f.Get("requested_token_type") != TypeAccessToken:
		fail(w, http.StatusBadRequest, "invalid_request", "requested_token_type can only be "+TypeAccessToken)
		return
	}
	var lifetime time.Duration
	if s := f.Get("expires_in"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < int64(app.MinKeyLifetime/time.Second) {
			fail(w, http.StatusBadRequest, "invalid_request", "expires_in must be a whole number of seconds, at least 60")
			return
		}
		lifetime = time.Duration(min(n, int64(app.MaxExchangeLifetime/time.Second)+1)) * time.Second
	}
	key, k, err := a.ExchangeToken(r.Context(), httpkit.CallerOf(r), f.Get("subject_token"), f.Get("name"), lifetime)
	if err != nil {
		ge := gateway.AsError(err)
		switch ge.Code {
		case gateway.CodeUnauthenticated:
			fail(w, http.StatusBadRequest, "invalid_grant", ge.Message)
		case gateway.CodeInvalid:
			fail(w, http.StatusBadRequest, "invalid_request", ge.Message)
		default:
			httpkit.SetRetryAfter(w, httpkit.Status(ge, nil), ge.RetryAfter)
			fail(w, httpkit.Status(ge, nil), "temporarily_unavailable", ge.Message)
		}
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, answer{AccessToken: key, IssuedTokenType: TypeAccessToken, TokenType: "Bearer",
		ExpiresIn: int64(k.ExpiresAt.Sub(k.CreatedAt) / time.Second)})
}

func fail(w http.ResponseWriter, status int, code, description string) {
	httpkit.WriteJSON(w, status, map[string]string{"error": code, "error_description": description})
}
