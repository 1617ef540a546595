package console

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/llmgate/llmgate/api/httpkit"
	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed assets
var assetFiles embed.FS

// view is what every page template receives.
type view struct {
	Title     string
	Nav       string // the highlighted navigation entry
	User      *gateway.User
	Principal *gateway.Principal
	CSRF      string
	Flash     string            // a message above the content
	Errors    map[string]string // field name → message next to that field
	Data      any
	RequestID string
	r         *http.Request
}

func (c *Console) newView(r *http.Request, p *gateway.Principal, s *gateway.Session) *view {
	v := &view{Principal: p, RequestID: httpkit.RequestID(r.Context()), r: r, Errors: map[string]string{}}
	if p != nil {
		v.User = p.User
	}
	if s != nil {
		v.CSRF = s.CSRF
	}
	return v
}

// Admin reports whether the signed-in user is an administrator (for the navigation).
func (v *view) Admin() bool { return v.Principal.IsAdmin() }

// actor is the signed-in user acting through the console, for app operations.
func (v *view) actor() app.Actor { return caller(v.r).Actor(v.Principal, "console") }

// pages holds one parsed template set per page, each with the shared layout.
type pages struct{ sets map[string]*template.Template }

var funcs = template.FuncMap{
	"ts": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"tsp": func(t *time.Time) string {
		if t == nil {
			return "never"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"query": func(kv ...any) template.URL { return template.URL(pageQuery(kv...)) },
	"add":   func(a, b int) int { return a + b },
	"sortColumns": func() []struct{ Key, Label string } {
		return []struct{ Key, Label string }{{"endpointName", "Name"}, {"endpointType", "Type"}, {"modelProvider", "Provider"},
			{"modelName", "Model"}, {"creationDate", "Created"}}
	},
	"limitRow": func(kind string) []string { return []string{kind + "_endpoint", kind + "_user", kind + "_org"} },
	"pct": func(c gateway.UsageCounts, q float64) string {
		ms, ok := c.LatencyPercentile(q)
		switch {
		case !ok:
			return "—"
		case ms < 0:
			return "> 60 s"
		case ms >= 1000:
			return "≤ " + strconv.FormatFloat(float64(ms)/1000, 'g', -1, 64) + " s"
		}
		return "≤ " + strconv.FormatInt(ms, 10) + " ms"
	},
	"avgms": func(sum, n int64) string {
		if n == 0 {
			return "—"
		}
		return strconv.FormatInt(sum/n, 10) + " ms"
	},
}

func loadPages() *pages {
	p := &pages{sets: map[string]*template.Template{}}
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, f := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(f, "templates/"), ".html")
		if name == "layout" || name == "partials" {
			continue
		}
		p.sets[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(templateFiles, "templates/layout.html",
			"templates/partials.html", f))
	}
	return p
}

// render writes page name inside the layout. It renders into a buffer first, so a template
// failure is a clean error page and never half a page.
func (c *Console) render(w http.ResponseWriter, status int, name string, v *view) {
	var buf bytes.Buffer
	if err := c.pages.sets[name].ExecuteTemplate(&buf, "layout", v); err != nil {
		slog.Error("rendering console page", "page", name, "err", err, "requestId", v.RequestID)
		http.Error(w, "internal error rendering the page (request "+v.RequestID+")", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// fail renders err as an error page inside the layout with the status its code maps to.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, v *view, err error) {
	ge := gateway.AsError(err)
	status := statusOf(ge)
	msg := ge.Message
	if status >= 500 {
		slog.Error("console request failed", "path", r.URL.Path, "err", err, "requestId", v.RequestID)
		if ge.Code == gateway.CodeInternal || ge.Code == "" {
			msg = "internal error"
		}
	}
	httpkit.SetRetryAfter(w, status, ge.RetryAfter)
	v.Title, v.Flash, v.Data = http.StatusText(status), msg, status
	c.render(w, status, "error", v)
}

// statusOf maps an error to the console's status; a name conflict is a 409 here (the Domino
// API answers 400 for compatibility).
func statusOf(ge *gateway.Error) int {
	return httpkit.Status(ge, map[gateway.Code]int{gateway.CodeConflict: http.StatusConflict})
}

// pageQuery builds "?k=v&…" from key/value pairs, skipping empty values.
func pageQuery(kv ...any) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		k, _ := kv[i].(string)
		var s string
		switch x := kv[i+1].(type) {
		case string:
			s = x
		case int:
			s = strconv.Itoa(x)
		case bool:
			if x {
				s = "true"
			}
		}
		if s != "" {
			q.Set(k, s)
		}
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

func assets() http.Handler {
	sub, err := fs.Sub(assetFiles, "assets")
	if err != nil {
		panic(err)
	}
	files := http.StripPrefix(Prefix+"/assets/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "public, max-age=300")
		files.ServeHTTP(w, r)
	})
}

func asErr(err error) *gateway.Error { return gateway.AsError(err) }

// errText is the message to show next to a field for err.
func errText(err error) string { return gateway.AsError(err).Message }
