package domino

import (
	_ "embed"
	"net/http"

	"github.com/llmgate/llmgate/gateway"
)

// openapiJSON describes the Domino-compatible routes with Domino's schema names and
// operationIds, so a client generated from it is the client generated from Domino's document.
//
//go:embed openapi.json
var openapiJSON []byte

func serveOpenAPI(w http.ResponseWriter, _ *http.Request, _ *gateway.Principal) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(openapiJSON) // the client may be gone; nothing useful to do
}
