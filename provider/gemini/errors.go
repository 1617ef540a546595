package gemini

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/provider"
	"github.com/llmgate/llmgate/provider/kit"
)

// apiError is Google's error envelope: {"error":{"code","message","status","details"}}.
type apiError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Status  string `json:"status"`
	Details []struct {
		Type       string `json:"@type"`
		Reason     string `json:"reason"`
		RetryDelay string `json:"retryDelay"`
	} `json:"details"`
}

// credentialRejected reports a bad or unauthorised key. Google answers an invalid API key
// with 400 INVALID_ARGUMENT and reason API_KEY_INVALID, not 401, so the reason decides.
func (e *apiError) credentialRejected() bool {
	if e.Status == "UNAUTHENTICATED" || e.Status == "PERMISSION_DENIED" {
		return true
	}
	for _, d := range e.Details {
		if strings.HasPrefix(d.Reason, "API_KEY_") {
			return true
		}
	}
	return false
}

// retryDelay reads google.rpc.RetryInfo ("37s"), which Gemini sends on quota errors.
func (e *apiError) retryDelay() time.Duration {
	for _, d := range e.Details {
		if strings.HasSuffix(d.Type, "google.rpc.RetryInfo") {
			if v, err := time.ParseDuration(d.RetryDelay); err == nil && v > 0 {
				return v
			}
		}
	}
	return 0
}

func (e *apiError) gatewayError(providerName string, status int) *gateway.Error {
	switch {
	case e.credentialRejected() || status == http.StatusUnauthorized || status == http.StatusForbidden:
		return gateway.Errorf(gateway.CodeUpstream, "provider %q rejected the gateway's credentials", providerName)
	case status == http.StatusTooManyRequests || e.Status == "RESOURCE_EXHAUSTED":
		return &gateway.Error{Code: gateway.CodeRateLimited, Message: "provider " + strconv.Quote(providerName) + " rate limit: " + safe(e.Message, "too many requests"), RetryAfter: e.retryDelay()}
	case status >= 500 || status == 0:
		return gateway.Errorf(gateway.CodeUpstream, "provider %q failed: %s", providerName, safe(e.Message, "upstream error"))
	}
	return gateway.Errorf(gateway.CodeInvalid, "provider %q rejected the request: %s", providerName, safe(e.Message, http.StatusText(status)))
}

func (t *Translator) Error(c *provider.Call, status int, header http.Header, body []byte) *gateway.Error {
	var env struct {
		Error *apiError `json:"error"`
	}
	// Streaming errors arrive as a one-element array when alt=sse was not honoured.
	trimmed := strings.TrimSpace(string(body))
	if strings.HasPrefix(trimmed, "[") {
		trimmed = strings.TrimSuffix(strings.TrimPrefix(trimmed, "["), "]")
	}
	if json.Unmarshal([]byte(trimmed), &env) != nil || env.Error == nil {
		env.Error = &apiError{}
	}
	e := env.Error.gatewayError(t.Provider, status)
	if e.Code == gateway.CodeRateLimited {
		if d := kit.RetryAfter(header); d > 0 {
			e.RetryAfter = d
		}
	}
	return e
}

// safe relays msg when kit.SafeMessage finds no credential in it, else fallback.
func safe(msg, fallback string) string {
	if m, ok := kit.SafeMessage(msg); ok {
		return m
	}
	return fallback
}
