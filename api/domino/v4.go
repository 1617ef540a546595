package domino

import (
	"net/http"

	"github.com/llmgate/llmgate/api/httpkit"
	"github.com/llmgate/llmgate/gateway"
)

// providerConfigs lists a provider's required modelConfig keys for the UI's create modal.
// The provider registry is the one source of truth, so the UI and create validation agree.
func (h *api) providerConfigs(w http.ResponseWriter, r *http.Request, _ *gateway.Principal) {
	name := r.URL.Query().Get("modelProvider")
	if name == "" {
		h.fail(w, r, missing("modelProvider"))
		return
	}
	spec := h.app.Providers.Lookup(name)
	if spec == nil {
		h.fail(w, r, gateway.Errorf(gateway.CodeInvalid, "modelProvider %q is not a supported provider", truncate(name, 64)))
		return
	}
	keys := append([]string{}, spec.RequiredKeys...)
	httpkit.WriteJSON(w, http.StatusOK, keys)
}

// providerModels suggests model names per provider and endpoint type for the UI's pickers.
// They are suggestions only: model names are never validated.
func (h *api) providerModels(w http.ResponseWriter, r *http.Request, _ *gateway.Principal) {
	models := map[string]map[string][]string{}
	for _, spec := range h.app.Providers.Specs() {
		byType := map[string][]string{}
		for _, t := range spec.Types {
			byType[string(t)] = append([]string{}, spec.Models[t]...)
		}
		models[spec.Name] = byType
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"modelsMap": models})
}
