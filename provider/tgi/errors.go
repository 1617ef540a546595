package tgi

import (
	"encoding/json"
	"net/http"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/provider"
	"github.com/llmgate/llmgate/provider/gemini"
)

// Error maps TGI's {"error", "error_type"} bodies, which both /generate and the Messages API
// use: 422 validation (e.g. input too long), 424 generation, 429 overloaded (TGI's queue is
// full; worth a retry), 500 incomplete_generation.
func (Translator) Error(c *provider.Call, status int, header http.Header, body []byte) *gateway.Error {
	var r struct {
		Error     json.RawMessage `json:"error"`
		ErrorType string          `json:"error_type"`
	}
	_ = json.Unmarshal(body, &r) // non-JSON bodies just have no message
	return errorFor(status, header, errorMessage(r.Error), r.ErrorType)
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

// errorFor maps a status (0 for in-band stream errors, classified by error_type) to a
// gateway error.
func errorFor(status int, header http.Header, msg, errorType string) *gateway.Error {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return gateway.Errorf(gateway.CodeUpstream, "provider %q rejected the gateway's credentials", name)
	case status == http.StatusTooManyRequests || errorType == "overloaded":
		return &gateway.Error{Code: gateway.CodeRateLimited, Message: `provider "` + name + `" is overloaded: ` + gemini.SafeMessage(msg, "too many requests"), RetryAfter: gemini.RetryAfter(header)}
	case status == http.StatusUnprocessableEntity || status == http.StatusBadRequest || status == http.StatusNotFound || errorType == "validation":
		return gateway.Errorf(gateway.CodeInvalid, "provider %q rejected the request: %s", name, gemini.SafeMessage(msg, "validation error"))
	}
	return gateway.Errorf(gateway.CodeUpstream, "provider %q failed: %s", name, gemini.SafeMessage(msg, "generation error"))
}
