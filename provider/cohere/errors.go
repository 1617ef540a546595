package cohere

import (
	"encoding/json"
	"net/http"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/provider"
	"github.com/llmgate/llmgate/provider/kit"
)

// statusInvalidToken is Cohere's own status for a revoked or malformed key.
const statusInvalidToken = 498

// Error maps Cohere's {"message": "..."} error bodies with the common rules. Cohere answers
// bad keys with 401 or its own 498 "invalid token"; both mean the gateway's credentials.
func (Translator) Error(c *provider.Call, status int, header http.Header, body []byte) *gateway.Error {
	if status == statusInvalidToken {
		status = http.StatusUnauthorized
	}
	var r struct {
		Message string `json:"message"`
	}
	_ = json.Unmarshal(body, &r) // a non-JSON body (proxy HTML) just has no message
	return kit.StatusError(name, status, header, r.Message)
}
