package openai

import (
	"bytes"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/api/httpkit"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
)

// tenMBChat is an OpenAI chat body of about 10 MB: two long messages and a few parameters.
func tenMBChat() []byte {
	half := strings.Repeat(`lorem ipsum dolor sit amet, \"quoted\" and <tagged> `, 5<<20/50)
	return []byte(`{"model":"m","temperature":0.5,"user":"u1","messages":[{"role":"system","content":"` + half +
		`"},{"role":"user","content":"` + half + `"}]}`)
}

// queryPath is what the gateway does with a query body before the upstream call: read it,
// find the endpoint name, decode and validate it, and build the provider's body.
func queryPath(tb testing.TB, body []byte) *provider.HTTPRequest {
	r := httptest.NewRequest("POST", "/v1/chat/completions", bytes.NewReader(body))
	raw, err := httpkit.ReadBody(r, 16<<20)
	if err != nil {
		tb.Fatal(err)
	}
	if _, gerr := llm.ModelName(raw); gerr != nil {
		tb.Fatal(gerr)
	}
	req, gerr := llm.DecodeOpenAI(gateway.TypeChat, raw)
	if gerr != nil {
		tb.Fatal(gerr)
	}
	hr, err := Spec.Translator.Request(&provider.Call{Type: gateway.TypeChat, Model: "gpt-4o-mini",
		Config: map[string]string{KeyAPIKey: "sk-x"}, Req: req})
	if err != nil {
		tb.Fatal(err)
	}
	return hr
}

// BenchmarkQueryPathTenMB reports the bytes allocated per query as a multiple of the body
// (issue 10 finding 17: it was ~9×).
func BenchmarkQueryPathTenMB(b *testing.B) {
	body := tenMBChat()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	n := 0
	for b.Loop() {
		queryPath(b, body)
		n++
	}
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(n)/float64(len(body)), "alloc/body")
}
