package kit

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

func TestError(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		header   http.Header
		body     string
		code     gateway.Code
		contains string
		excludes string
		retry    time.Duration
	}{
		{
			name: "invalid key (platform.openai.com/docs/guides/error-codes) is the gateway's fault", status: 401,
			body: `{"error":{"message":"Incorrect API key provided: sk-abc***xyz. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`,
			code: gateway.CodeUpstream, contains: MsgCredentials, excludes: "sk-",
		},
		{
			name: "context too long relays the provider's message", status: 400,
			body: `{"error":{"message":"This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens. Please reduce the length of the messages.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}`,
			code: gateway.CodeInvalid, contains: "maximum context length is 8192 tokens",
		},
		{
			name: "message echoing a key is not relayed", status: 400,
			body: `{"error":{"message":"bad header Authorization: Bearer sk-live-0123456789abcdef"}}`,
			code: gateway.CodeInvalid, contains: "HTTP 400", excludes: "sk-live",
		},
		{
			name: "Azure-style 32-hex key in message is not relayed", status: 404,
			body: `{"error":{"code":"DeploymentNotFound","message":"key 0123456789abcdef0123456789abcdef not valid"}}`,
			code: gateway.CodeInvalid, excludes: "0123456789abcdef",
		},
		{
			name: "rate limit (platform.openai.com/docs/guides/rate-limits) with retry-after-ms", status: 429,
			header: http.Header{"Retry-After": {"2"}, "Retry-After-Ms": {"1500"}},
			body:   `{"error":{"message":"Rate limit reached for gpt-4o in organization org-xyz on tokens per min (TPM): Limit 30000, Used 29000, Requested 2000. Please try again in 2s.","type":"tokens","param":null,"code":"rate_limit_exceeded"}}`,
			code:   gateway.CodeRateLimited, retry: 1500 * time.Millisecond,
		},
		{
			name: "rate limit with Retry-After seconds", status: 429, header: http.Header{"Retry-After": {"20"}},
			body: `{"error":{"message":"slow down"}}`, code: gateway.CodeRateLimited, retry: 20 * time.Second,
		},
		{name: "server error", status: 500, body: `{"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error"}}`, code: gateway.CodeUpstream, contains: "HTTP 500"},
		{name: "overloaded 503 non-JSON body", status: 503, body: `<html>unavailable</html>`, code: gateway.CodeUpstream, contains: "overloaded"},
		{name: "unprocessable with FastAPI detail (MLflow / vLLM servers)", status: 422, body: `{"detail":"n must be 1"}`, code: gateway.CodeInvalid, contains: "n must be 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Error("openai", tt.status, tt.header, []byte(tt.body))
			if e.Code != tt.code || !strings.Contains(e.Message, tt.contains) || (tt.excludes != "" && strings.Contains(e.Message, tt.excludes)) || e.RetryAfter != tt.retry {
				t.Errorf("got code=%s msg=%q retry=%v", e.Code, e.Message, e.RetryAfter)
			}
		})
	}
}

func TestRetryAfterHTTPDate(t *testing.T) {
	when := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	if d := RetryAfter(http.Header{"Retry-After": {when}}); d < 80*time.Second || d > 91*time.Second {
		t.Errorf("RetryAfter(date) = %v, want about 90s", d)
	}
}
