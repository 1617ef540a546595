package gemini

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/provider"
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
		return &gateway.Error{Code: gateway.CodeRateLimited, Message: "provider " + strconv.Quote(providerName) + " rate limit: " + SafeMessage(e.Message, "too many requests"), RetryAfter: e.retryDelay()}
	case status >= 500 || status == 0:
		return gateway.Errorf(gateway.CodeUpstream, "provider %q failed: %s", providerName, SafeMessage(e.Message, "upstream error"))
	}
	return gateway.Errorf(gateway.CodeInvalid, "provider %q rejected the request: %s", providerName, SafeMessage(e.Message, http.StatusText(status)))
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
		if d := RetryAfter(header); d > 0 {
			e.RetryAfter = d
		}
	}
	return e
}

// RetryAfter reads a Retry-After header in seconds or as an HTTP date (relative to the
// header's own Date so the function stays pure); zero when absent.
func RetryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s > 0 {
		return time.Duration(s * float64(time.Second))
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	now, err := http.ParseTime(h.Get("Date"))
	if err != nil || !at.After(now) {
		return 0
	}
	return at.Sub(now)
}

// keyLike matches things that may be credentials: long unbroken runs of token characters
// (API keys, bearer tokens, JWT pieces) and Google API key prefixes.
var keyLike = regexp.MustCompile(`(?i)(AIza[0-9A-Za-z_\-]{10,}|bearer\s+\S+|[A-Za-z0-9_\-+/=.]{32,})`)

// SafeMessage returns the provider's message for the client when it cannot carry a secret,
// else fallback. Upstream messages help callers fix their request (e.g. "input token count
// exceeds the maximum"), but some providers echo the key they were given.
func SafeMessage(msg, fallback string) string {
	msg = strings.TrimSpace(msg)
	if msg == "" || keyLike.MatchString(msg) {
		return fallback
	}
	if r := []rune(msg); len(r) > 500 {
		msg = string(r[:500]) + "…"
	}
	return msg
}
