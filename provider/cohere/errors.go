package cohere

import (
	"encoding/json"
	"net/http"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/provider"
	"github.com/llmgate/llmgate/provider/gemini"
)

// statusInvalidToken is Cohere's own status for a revoked or malformed key.
const statusInvalidToken = 498

// Error maps Cohere's {"message": "..."} error bodies. Cohere answers bad keys with 401 or its
// own 498 "invalid token"; both mean the gateway's credentials, not the caller's.
func (Translator) Error(c *provider.Call, status int, header http.Header, body []byte) *gateway.Error {
	var r struct {
		Message string `json:"message"`
	}
	_ = json.Unmarshal(body, &r) // a non-JSON body (proxy HTML) just has no message
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden || status == statusInvalidToken:
		return gateway.Errorf(gateway.CodeUpstream, "provider %q rejected the gateway's credentials", name)
	case status == http.StatusTooManyRequests:
		return &gateway.Error{Code: gateway.CodeRateLimited, Message: `provider "cohere" rate limit: ` + gemini.SafeMessage(r.Message, "too many requests"), RetryAfter: gemini.RetryAfter(header)}
	case status >= 500:
		return gateway.Errorf(gateway.CodeUpstream, "provider %q failed: %s", name, gemini.SafeMessage(r.Message, http.StatusText(status)))
	}
	return gateway.Errorf(gateway.CodeInvalid, "provider %q rejected the request: %s", name, gemini.SafeMessage(r.Message, http.StatusText(status)))
}
