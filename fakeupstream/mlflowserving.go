package fakeupstream

import (
	"encoding/json"
	"net/http"
	"strings"
)

// MLflow scoring server wire ("mlflow models serve"): POST /invocations with {"inputs": [...],
// "params": {...}} answered by {"predictions": [...]}; errors are {"error_code", "message"}.
// The request names no model, so behaviours are chosen by the server URL: point
// model_server_url at {fake}/serving/<model> (e.g. /serving/fake-error-500). The server has
// no auth. The wire does not say whether a model embeds, so a model name containing "embed"
// (e.g. /serving/my-embedder) answers vectors and any other answers texts.
func init() {
	Register(&Provider{
		Name:   "mlflow-model-serving",
		Routes: []string{"POST /invocations", "POST /serving/{model}/invocations"},
		Model: func(r *http.Request, _ []byte) string {
			if m := r.PathValue("model"); m != "" {
				return m
			}
			return "mlflow-model"
		},
		Credential: func(*http.Request) string { return "" },
		Verify:     func(*Server, *http.Request, []byte) bool { return true },
		WriteError: func(w http.ResponseWriter, status int, message string) {
			code := "INTERNAL_ERROR"
			if status < 500 {
				code = "BAD_REQUEST"
			}
			writeJSON(w, status, map[string]any{"error_code": code, "message": message})
		},
		Serve: serveMLflowServing,
	})
}

func serveMLflowServing(x *Exchange) {
	var req struct {
		Inputs []string `json:"inputs"`
	}
	if err := json.Unmarshal(x.Body, &req); err != nil || len(req.Inputs) == 0 {
		x.Error(http.StatusBadRequest, "Failed to parse input. Expected a JSON object with a non-empty list 'inputs'.")
		return
	}
	var predictions any
	if strings.Contains(x.Model, "embed") {
		vectors := make([][]float64, len(req.Inputs))
		for i, in := range req.Inputs {
			vectors[i] = Embedding(in)
		}
		predictions = vectors
	} else {
		texts := make([]string, len(req.Inputs))
		for i, in := range req.Inputs {
			texts[i] = x.Reply(in)
		}
		predictions = texts
	}
	body, _ := json.Marshal(map[string]any{"predictions": predictions})
	x.Write(http.StatusOK, "application/json", body)
}
