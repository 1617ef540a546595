package scim_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/api/httpkit"
	"github.com/llmgate/llmgate/api/scim"
	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/audit"
	"github.com/llmgate/llmgate/internal/e2e"
	"github.com/llmgate/llmgate/pipeline/pipelinetest"
	"github.com/llmgate/llmgate/provider/registry"
	ratememory "github.com/llmgate/llmgate/ratelimit/memory"
	"github.com/llmgate/llmgate/secrets/local"
	"github.com/llmgate/llmgate/store/postgres"
)

// Whatever an IdP (or anyone holding a SCIM token) sends to any route, the answer is never a
// 5xx and always SCIM's content type.
func FuzzSCIMSurfaceNeverAnswers5xx(f *testing.F) {
	fuzzSurface(f, pipelinetest.New(f, pipelinetest.Options{}).App)
}

// The same on PostgreSQL, whose text columns refuse what SQLite stores (NUL characters).
func FuzzSCIMSurfaceOnPostgresNeverAnswers5xx(f *testing.F) {
	ctx := context.Background()
	store, err := postgres.Open(ctx, e2e.PostgresURL(f))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { store.Close() })
	keys, err := local.LoadKeyring(f.TempDir(), "")
	if err != nil {
		f.Fatal(err)
	}
	writer := audit.NewWriter(store, slog.New(slog.DiscardHandler))
	f.Cleanup(writer.Close)
	a, err := app.New(ctx, app.Options{Store: store, Secrets: local.New(store, keys), Providers: registry.Default(),
		Limiter: ratememory.New(), Audit: writer, AuditKeys: audit.NewDerivedKeyring(keys), Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		f.Fatal(err)
	}
	fuzzSurface(f, a)
}

func fuzzSurface(f *testing.F, a *app.App) {
	ctx := context.Background()
	token, _, err := a.CreateSCIMToken(ctx, app.CLIActor, "fuzz")
	if err != nil {
		f.Fatal(err)
	}
	u, err := a.CreateUser(ctx, app.CLIActor, app.NewUser{UserName: "target"})
	if err != nil {
		f.Fatal(err)
	}
	o, err := a.CreateOrg(ctx, app.CLIActor, "team", nil)
	if err != nil {
		f.Fatal(err)
	}
	mux := http.NewServeMux()
	scim.Register(mux, a, scim.Options{MaxBodyBytes: 16 << 10})
	h := httpkit.Middleware(slog.New(slog.DiscardHandler), mux)
	seeds := []struct{ method, path, body string }{
		{"PATCH", "/Users/{u}", `{"Operations":[{"op":"Replace","path":"active","value":"False"}]}`},
		{"PATCH", "/Users/{u}", `{"Operations":[{"op":"replace","value":{"userName":"x y","name":{"givenName":"\u0000"}}}]}`},
		{"PUT", "/Users/{u}", `{"userName":"target","emails":[{"value":"t@x"}],"active":true}`},
		{"POST", "/Users", `{"userName":"new","externalId":"e"}`},
		{"POST", "/Groups", `{"displayName":"g","members":[{"value":"{u}"}]}`},
		{"PATCH", "/Groups/{o}", `{"Operations":[{"op":"add","path":"members","value":[{"value":"{u}"}]},{"op":"remove","path":"members[value eq \"{u}\"]"}]}`},
		{"PUT", "/Groups/{o}", `{"displayName":"team","members":[]}`},
		{"GET", "/Users?filter=userName eq \"target\"&startIndex=0&count=99999", ""},
		{"GET", "/Groups?filter=externalId eq \"x\"&excludedAttributes=members", ""},
		{"DELETE", "/Users/{u}", ""},
		{"GET", "/Users?filter=externalId eq \"\\u0000\"", ""},
		{"PATCH", "/Groups/{o}", `{"Operations":[{"op":"replace","path":"externalId","value":"\u0000"}]}`},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.body)
	}
	f.Fuzz(func(t *testing.T, method, path, body string) {
		path = strings.NewReplacer("{u}", u.ID, "{o}", o.ID).Replace(path)
		body = strings.NewReplacer("{u}", u.ID, "{o}", o.ID).Replace(body)
		req, err := http.NewRequest(method, "http://gw/scim/v2"+path, strings.NewReader(body))
		if err != nil || !strings.HasPrefix(req.URL.Path, "/scim/v2/") {
			return
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/scim+json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: HTTP %d %s", method, path, body, rec.Code, rec.Body)
		}
		if rec.Body.Len() > 0 && rec.Code != http.StatusMovedPermanently && rec.Header().Get("Content-Type") != scim.ContentType {
			t.Fatalf("%s %s: Content-Type %q", method, path, rec.Header().Get("Content-Type"))
		}
	})
}
