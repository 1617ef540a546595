package httpkit

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
)

// The core sees only plain values: the caller and the actor carry what a surface read off the
// request — the credential, the client behind a trusted proxy, the user agent and request id.
func TestCallerAndActorCarryWhatTheRequestSaid(t *testing.T) {
	trusted, err := ParseTrustedProxies("10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	var caller app.Caller
	var actor app.Actor
	p := &gateway.Principal{User: &gateway.User{ID: "u1", UserName: "alice"}}
	h := ForwardedFor(trusted, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(WithRequestID(r.Context(), "req-1"))
		caller, actor = CallerOf(r), Actor(r, p, "domino")
	}))
	r := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", nil)
	r.RemoteAddr = "10.1.2.3:5555"
	r.Header.Set("X-Forwarded-For", "203.0.113.7")
	r.Header.Set("Authorization", "Bearer lgk_key")
	r.Header.Set("User-Agent", "openai-python/2.0")
	h.ServeHTTP(httptest.NewRecorder(), r)

	want := app.Caller{APIKey: "lgk_key", ClientIP: "203.0.113.7", UserAgent: "openai-python/2.0", RequestID: "req-1"}
	if caller != want {
		t.Fatalf("CallerOf = %+v, want %+v", caller, want)
	}
	if actor.Principal != p || actor.ClientIP != want.ClientIP || actor.UserAgent != want.UserAgent ||
		actor.RequestID != want.RequestID || actor.API != "domino" {
		t.Fatalf("Actor = %+v", actor)
	}
}
