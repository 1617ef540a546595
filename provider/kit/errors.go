package kit

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/llmgate/llmgate/gateway"
)

// MsgCredentials is the message for an upstream 401/403: the gateway's configured key is at
// fault, not the caller, so the caller sees a 502 with this text.
const MsgCredentials = "provider rejected the gateway's credentials"

// maxMessage caps a relayed provider message; long messages are usually echoed input.
const maxMessage = 400

// Error maps an OpenAI-style error answer ({"error": {"message", "type", "code"}}) to a gateway
// error following the common rules (see StatusError).
func Error(providerName string, status int, header http.Header, body []byte) *gateway.Error {
	return StatusError(providerName, status, header, ProviderMessage(body))
}

// StatusError applies the common upstream error rules to any provider:
// 400/404/422 and other 4xx → CodeInvalid carrying the provider's message when SafeMessage
// accepts it; 401/403 → CodeUpstream MsgCredentials; 408 → CodeTimeout; 429 → CodeRateLimited
// with RetryAfter from the headers; 5xx (incl. Anthropic's 529 overloaded) → CodeUpstream.
func StatusError(providerName string, status int, header http.Header, message string) *gateway.Error {
	// The cause (log and audit event only, after credential scrubbing) keeps the provider's
	// own message even where the caller gets a fixed text.
	cause := fmt.Errorf("%s answered HTTP %d", providerName, status)
	if m := strings.TrimSpace(message); m != "" {
		if len(m) > maxMessage {
			m = m[:maxMessage] + "…"
		}
		cause = fmt.Errorf("%s answered HTTP %d: %s", providerName, status, strings.ToValidUTF8(m, ""))
	}
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return gateway.Wrap(gateway.CodeUpstream, cause, MsgCredentials)
	case status == http.StatusTooManyRequests:
		e := gateway.Wrap(gateway.CodeRateLimited, cause, providerName+" rate limit exceeded, retry later")
		e.RetryAfter = RetryAfter(header)
		return e
	case status == http.StatusRequestTimeout:
		return gateway.Wrap(gateway.CodeTimeout, cause, providerName+" timed out")
	case status >= 400 && status < 500:
		if msg, ok := SafeMessage(message); ok {
			return gateway.Wrap(gateway.CodeInvalid, cause, providerName+" rejected the request: "+msg)
		}
		return gateway.Wrap(gateway.CodeInvalid, cause, fmt.Sprintf("%s rejected the request (HTTP %d)", providerName, status))
	case status == 529 || status == http.StatusServiceUnavailable:
		return gateway.Wrap(gateway.CodeUpstream, cause, fmt.Sprintf("%s is overloaded or unavailable (HTTP %d)", providerName, status))
	}
	return gateway.Wrap(gateway.CodeUpstream, cause, fmt.Sprintf("%s failed (HTTP %d)", providerName, status))
}

// Malformed is the error for a 2xx answer the gateway cannot parse.
func Malformed(err error) *gateway.Error {
	return gateway.Wrap(gateway.CodeUpstream, err, "malformed upstream response")
}

// ProviderMessage extracts the human message from the error envelopes OpenAI-like servers
// use: {"error": {"message"}}, {"error": "text"}, {"message"} and {"detail"}. It returns ""
// when there is none; the result is not yet vetted (see SafeMessage).
func ProviderMessage(body []byte) string {
	var env struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
		Detail  json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(body, &env) != nil {
		return ""
	}
	var nested struct {
		Message string `json:"message"`
	}
	var s string
	switch {
	case json.Unmarshal(env.Error, &nested) == nil && nested.Message != "":
		return nested.Message
	case json.Unmarshal(env.Error, &s) == nil && s != "":
		return s
	case env.Message != "":
		return env.Message
	case json.Unmarshal(env.Detail, &s) == nil:
		return s
	}
	return ""
}

// secretPatterns match substrings that look like credentials. A provider message containing
// one is never relayed: some providers echo (part of) the key or a header they received.
var secretPatterns = []*regexp.Regexp{
	regexp.MustCompile(`(?i)\bsk-[a-z0-9_*-]{4,}`),     // OpenAI / Anthropic keys, incl. masked "sk-abc***"
	regexp.MustCompile(`\b(?:AKIA|ASIA)[A-Z0-9]{12,}`), // AWS access key ids
	regexp.MustCompile(`(?i)\bbearer\s+\S+`),           // Authorization values
	regexp.MustCompile(`(?i)\bapi[-_ ]?key\b\s*[:=]`),  // "api-key: ...", "api_key=..."
	regexp.MustCompile(`(?i)\bapi[-_ ]?key provided`),  // OpenAI's "Incorrect API key provided: ..."
	regexp.MustCompile(`\bAIza[0-9A-Za-z_-]{10,}`),     // Google API keys
}

// longToken matches an unbroken run of 32+ key-ish characters (hex or base64 secrets).
var longToken = regexp.MustCompile(`[A-Za-z0-9_\-+/=]{32,}`)

// SafeMessage vets a provider message for relaying to the caller: control characters are
// removed, it is cut to a bounded length, and it is rejected (ok=false) when empty or when
// anything in it looks like a credential.
func SafeMessage(msg string) (string, bool) {
	msg = strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, msg))
	if msg == "" || looksSecret(msg) {
		return "", false
	}
	if r := []rune(msg); len(r) > maxMessage {
		msg = string(r[:maxMessage]) + "…"
	}
	return msg, true
}

func looksSecret(msg string) bool {
	for _, re := range secretPatterns {
		if re.MatchString(msg) {
			return true
		}
	}
	for _, tok := range longToken.FindAllString(msg, -1) {
		if strings.ContainsAny(tok, "0123456789") {
			return true
		}
	}
	return false
}

// RetryAfter reads the wait a provider asks for: OpenAI's "retry-after-ms" (milliseconds) when
// present, else "Retry-After" as seconds or an HTTP date. Zero means none was given.
func RetryAfter(h http.Header) time.Duration {
	if ms, err := strconv.ParseFloat(strings.TrimSpace(h.Get("retry-after-ms")), 64); err == nil && ms > 0 {
		return time.Duration(ms * float64(time.Millisecond))
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s > 0 {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}
