package tgi

import (
	"encoding/json"
	"net/http"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/provider"
	"github.com/llmgate/llmgate/provider/kit"
)

// statusGenerationFailed is TGI's 424: the model failed while generating (e.g. out of
// memory), a server-side failure despite the 4xx.
const statusGenerationFailed = 424

// Error maps TGI's {"error", "error_type"} bodies, which both /generate and the Messages API
// use: 422 validation (e.g. input too long), 424 generation, 429 overloaded (TGI's queue is
// full; worth a retry), 500 incomplete_generation.
func (Translator) Error(c *provider.Call, status int, header http.Header, body []byte) *gateway.Error {
	var r struct {
		Error json.RawMessage `json:"error"`
	}
	_ = json.Unmarshal(body, &r) // non-JSON bodies just have no message
	if status == statusGenerationFailed {
		status = http.StatusInternalServerError
	}
	return kit.StatusError(name, status, header, errorMessage(r.Error))
}

// errorMessage reads TGI's string error or an OpenAI-style {"message"} object.
func errorMessage(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o struct {
		Message string `json:"message"`
	}
	_ = json.Unmarshal(raw, &o)
	return o.Message
}

// streamError maps an in-band stream error, which has no status, by its error_type.
func streamError(msg, errorType string) *gateway.Error {
	status := http.StatusInternalServerError
	switch errorType {
	case "overloaded":
		status = http.StatusTooManyRequests
	case "validation":
		status = http.StatusUnprocessableEntity
	}
	return kit.StatusError(name, status, nil, msg)
}
