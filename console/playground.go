package console

import (
	"net/http"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
)

type playgroundData struct {
	Endpoints []*gateway.Endpoint
	Selected  string
}

// playground lets a user try any endpoint they may use; the page's script sends the input to
// playgroundQuery and shows the answer as it streams.
func (c *Console) playground(w http.ResponseWriter, r *http.Request, v *view) error {
	eps, _ := c.app.ListEndpoints(v.Principal, app.EndpointQuery{SortBy: "endpointName", Ascending: true, Limit: 2000})
	v.Title, v.Nav, v.Data = "Playground", "playground", playgroundData{Endpoints: eps, Selected: r.URL.Query().Get("endpoint")}
	c.render(w, http.StatusOK, "playground", v)
	return nil
}

var playgroundTypes = map[string]gateway.EndpointType{
	"chat": gateway.TypeChat, "completions": gateway.TypeCompletions, "embeddings": gateway.TypeEmbeddings,
}

// playgroundQuery runs the page's request (an OpenAI-shaped body naming the endpoint as its
// model) through the gateway's query path as the signed-in user: the same permissions,
// limits, budgets and audit as any client, with the session standing in for a key.
func (c *Console) playgroundQuery(w http.ResponseWriter, r *http.Request, v *view) error {
	t, ok := playgroundTypes[r.PathValue("type")]
	if !ok {
		return gateway.Errorf(gateway.CodeNotFound, "no playground for %q", truncate(r.PathValue("type"), 40))
	}
	cl := caller(r)
	cl.Principal = v.Principal
	c.opts.Query(w, r, t, cl)
	return nil
}
