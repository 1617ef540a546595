package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
)

// pageSize is how many rows a console list shows per page.
const pageSize = 50

// llmRow is one endpoint on the Gateway LLMs page with the code to call it.
type llmRow struct {
	Endpoint *gateway.Endpoint
	Limits   []string
	Snippets []snippet
}

type listPage struct {
	Search     string
	Sort       string
	Descending bool
	Offset     int
	Total      int
	Shown      int
	PrevOffset int // -1: no previous page
	NextOffset int // -1: no next page
}

type llmsData struct {
	List    listPage
	Rows    []llmRow
	BaseURL string
}

// llms lists exactly the endpoints the user may use (app.ListEndpoints applies gateway.Permit)
// with the limits that apply to them and ready-to-run code for each client.
func (c *Console) llms(w http.ResponseWriter, r *http.Request, v *view) error {
	lp := readListPage(r, "endpointName")
	eps, total := c.app.ListEndpoints(v.Principal, app.EndpointQuery{Search: lp.Search, SortBy: lp.Sort,
		Ascending: !lp.Descending, Offset: lp.Offset, Limit: pageSize})
	lp.paged(total, len(eps))
	base := c.baseURL(r)
	d := llmsData{List: lp, BaseURL: base}
	for _, e := range eps {
		d.Rows = append(d.Rows, llmRow{Endpoint: e, Limits: limitsText(e), Snippets: snippets(base, e)})
	}
	v.Title, v.Nav, v.Data = "Gateway LLMs", "llms", d
	c.render(w, http.StatusOK, "llms", v)
	return nil
}

// readListPage reads the search, sort and offset of a list page; bad values fall back to the
// defaults (a list is never an error page).
func readListPage(r *http.Request, defaultSort string) listPage {
	q := r.URL.Query()
	lp := listPage{Search: truncate(strings.TrimSpace(q.Get("q")), 200), Sort: q.Get("sort"), Descending: q.Get("desc") == "true"}
	if _, ok := app.EndpointSortKeys[lp.Sort]; !ok && lp.Sort != "creationDate" {
		lp.Sort = defaultSort
	}
	if n, err := strconv.Atoi(q.Get("offset")); err == nil && n > 0 {
		lp.Offset = n
	}
	return lp
}

func (lp *listPage) paged(total, shown int) {
	lp.Total, lp.Shown, lp.PrevOffset, lp.NextOffset = total, shown, -1, -1
	if lp.Offset > 0 {
		lp.PrevOffset = max(lp.Offset-pageSize, 0)
	}
	if lp.Offset+shown < total {
		lp.NextOffset = lp.Offset + pageSize
	}
}

// baseURL is the gateway's address for snippets: --public-url, else what the browser used.
func (c *Console) baseURL(r *http.Request) string {
	if c.opts.PublicURL != "" {
		return strings.TrimRight(c.opts.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil || c.opts.SecureCookies {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func limitsText(e *gateway.Endpoint) []string {
	var out []string
	add := func(what string, l gateway.LimitScopes) {
		var parts []string
		for _, s := range []struct {
			n     int64
			scope string
		}{{l.Endpoint, "in all"}, {l.PerUser, "per user"}, {l.PerOrganization, "per organization"}} {
			if s.n > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", s.n, s.scope))
			}
		}
		if len(parts) > 0 {
			out = append(out, what+" per minute: "+strings.Join(parts, ", "))
		}
	}
	add("Calls", e.RateLimits.CallsPerMinute)
	add("Tokens", e.RateLimits.TokensPerMinute)
	return out
}

// snippet is code that calls one endpoint with one client, runnable as shown once
// LLMGATE_API_KEY holds one of the user's keys.
type snippet struct {
	Client string
	Lang   string
	Code   string
}

// pyStr quotes s as a Python string literal (JSON's escapes are a subset Python reads the same).
func pyStr(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// shQuote quotes s for a POSIX shell.
func shQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func snippets(base string, e *gateway.Endpoint) []snippet {
	url, name := pyStr(base), pyStr(e.Name)
	call := map[gateway.EndpointType][4]string{
		gateway.TypeChat: {
			`{"messages": [{"role": "user", "content": "Hello"}]}`, `["choices"][0]["message"]["content"]`,
			`client.chat.completions.create(model=` + name + `, messages=[{"role": "user", "content": "Hello"}])` + "\nprint(reply.choices[0].message.content)",
			`{"model": ` + name + `, "messages": [{"role": "user", "content": "Hello"}]}`},
		gateway.TypeCompletions: {
			`{"prompt": "Hello"}`, `["choices"][0]["text"]`,
			`client.completions.create(model=` + name + `, prompt="Hello")` + "\nprint(reply.choices[0].text)",
			`{"model": ` + name + `, "prompt": "Hello"}`},
		gateway.TypeEmbeddings: {
			`{"input": ["Hello"]}`, `["data"][0]["embedding"][:4]`,
			`client.embeddings.create(model=` + name + `, input=["Hello"])` + "\nprint(reply.data[0].embedding[:4])",
			`{"model": ` + name + `, "input": ["Hello"]}`},
	}[e.Type]
	route := map[gateway.EndpointType]string{gateway.TypeChat: "chat/completions", gateway.TypeCompletions: "completions",
		gateway.TypeEmbeddings: "embeddings"}[e.Type]
	return []snippet{
		{"MLflow Deployments", "python", "import os\nfrom mlflow.deployments import get_deploy_client\n\n" +
			"os.environ[\"MLFLOW_TRACKING_TOKEN\"] = os.environ[\"LLMGATE_API_KEY\"]\n" +
			"client = get_deploy_client(" + url + ")\n" +
			"response = client.predict(endpoint=" + name + ", inputs=" + call[0] + ")\nprint(response" + call[1] + ")\n"},
		{"LangChain", "python", langchain(url, name, e.Type)},
		{"OpenAI Python SDK", "python", "import os\nfrom openai import OpenAI\n\n" +
			"client = OpenAI(base_url=" + pyStr(base+"/v1") + ", api_key=os.environ[\"LLMGATE_API_KEY\"])\n" +
			"reply = " + call[2] + "\n"},
		{"curl", "sh", "curl -sS " + shQuote(base+"/v1/"+route) + " \\\n  -H \"Authorization: Bearer $LLMGATE_API_KEY\" \\\n" +
			"  -H 'Content-Type: application/json' \\\n  -d " + shQuote(call[3]) + "\n"},
	}
}

func langchain(url, name string, t gateway.EndpointType) string {
	head := "import os\n"
	switch t {
	case gateway.TypeEmbeddings:
		return head + "from langchain_community.embeddings import MlflowEmbeddings\n\n" +
			"os.environ[\"MLFLOW_TRACKING_TOKEN\"] = os.environ[\"LLMGATE_API_KEY\"]\n" +
			"embeddings = MlflowEmbeddings(target_uri=" + url + ", endpoint=" + name + ")\n" +
			"print(embeddings.embed_query(\"Hello\")[:4])\n"
	case gateway.TypeCompletions:
		return head + "from langchain_community.llms import Mlflow\n\n" +
			"os.environ[\"MLFLOW_TRACKING_TOKEN\"] = os.environ[\"LLMGATE_API_KEY\"]\n" +
			"llm = Mlflow(target_uri=" + url + ", endpoint=" + name + ")\n" +
			"print(llm.invoke(\"Hello\"))\n"
	}
	return head + "from langchain_community.chat_models import ChatMlflow\n\n" +
		"os.environ[\"MLFLOW_TRACKING_TOKEN\"] = os.environ[\"LLMGATE_API_KEY\"]\n" +
		"chat = ChatMlflow(target_uri=" + url + ", endpoint=" + name + ")\n" +
		"print(chat.invoke(\"Hello\").content)\n"
}
