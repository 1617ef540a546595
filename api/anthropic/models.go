package anthropic

import (
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/llmgate/llmgate/api/httpkit"
	"github.com/llmgate/llmgate/gateway"
)

// Anthropic's GET /v1/models: the chat endpoints the caller may use (the Messages surface
// serves nothing else), newest first, paged by after_id / before_id / limit as the SDK's
// auto-pagination expects.

// modelObject is Anthropic's model object; the display name is the endpoint's name.
type modelObject struct {
	Type        string `json:"type"`
	ID          string `json:"id"`
	DisplayName string `json:"display_name"`
	CreatedAt   string `json:"created_at"`
}

func toModel(e *gateway.Endpoint) modelObject {
	return modelObject{Type: "model", ID: e.Name, DisplayName: e.Name, CreatedAt: e.CreatedAt.UTC().Format(time.RFC3339)}
}

// IsAnthropicRequest reports a request from an Anthropic client (the SDKs always send
// anthropic-version), so a route both APIs share (/v1/models) can answer in its shape.
func IsAnthropicRequest(r *http.Request) bool { return r.Header.Get("Anthropic-Version") != "" }

// ListModels answers GET /v1/models in Anthropic's shape.
func (h *handler) ListModels(w http.ResponseWriter, r *http.Request) {
	p, err := httpkit.Authenticate(h.app, r)
	if err != nil {
		writeError(w, status(gateway.AsError(err)), gateway.AsError(err))
		return
	}
	limit := 20
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			writeError(w, http.StatusBadRequest, invalid("limit", "Input should be an integer between 1 and 1000"))
			return
		}
		limit = n
	}
	var models []*gateway.Endpoint
	for _, e := range h.app.Snapshot().Endpoints() {
		if e.Type == gateway.TypeChat && gateway.Permit(p, e) {
			models = append(models, e)
		}
	}
	sort.Slice(models, func(i, j int) bool {
		if !models[i].CreatedAt.Equal(models[j].CreatedAt) {
			return models[i].CreatedAt.After(models[j].CreatedAt)
		}
		return models[i].Name < models[j].Name
	})
	page, more := pageOf(models, r.URL.Query().Get("after_id"), r.URL.Query().Get("before_id"), limit)
	data := make([]modelObject, len(page))
	for i, e := range page {
		data[i] = toModel(e)
	}
	body := map[string]any{"data": data, "has_more": more, "first_id": nil, "last_id": nil}
	if len(data) > 0 {
		body["first_id"], body["last_id"] = data[0].ID, data[len(data)-1].ID
	}
	httpkit.WriteJSON(w, http.StatusOK, body)
}

// pageOf cuts the page after afterID (or before beforeID); an id not in the list (or not
// permitted) gives an empty page rather than revealing anything.
func pageOf(models []*gateway.Endpoint, afterID, beforeID string, limit int) ([]*gateway.Endpoint, bool) {
	index := func(id string) int {
		for i, e := range models {
			if e.Name == id {
				return i
			}
		}
		return -1
	}
	switch {
	case afterID != "":
		i := index(afterID)
		if i < 0 {
			return nil, false
		}
		rest := models[i+1:]
		if len(rest) > limit {
			return rest[:limit], true
		}
		return rest, false
	case beforeID != "":
		i := index(beforeID)
		if i < 0 {
			return nil, false
		}
		head := models[:i]
		if len(head) > limit {
			return head[len(head)-limit:], true
		}
		return head, false
	}
	if len(models) > limit {
		return models[:limit], true
	}
	return models, false
}

// GetModel answers GET /v1/models/{model}: 404 for an endpoint the caller may not use, so
// its existence is not revealed.
func (h *handler) GetModel(w http.ResponseWriter, r *http.Request) {
	p, err := httpkit.Authenticate(h.app, r)
	if err != nil {
		writeError(w, status(gateway.AsError(err)), gateway.AsError(err))
		return
	}
	e := h.app.EndpointFresh(r.Context(), r.PathValue("model"))
	if e == nil || e.Type != gateway.TypeChat || !gateway.Permit(p, e) {
		writeError(w, http.StatusNotFound, gateway.Errorf(gateway.CodeNotFound, "model: %s", r.PathValue("model")))
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, toModel(e))
}
