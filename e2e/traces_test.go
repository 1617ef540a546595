package e2e

import (
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/llmgate/llmgate/fakeupstream"
	"github.com/llmgate/llmgate/internal/e2e"
)

// otlpReceiver is an OTLP/HTTP trace receiver built on the official OTLP protobuf messages.
type otlpReceiver struct {
	mu    sync.Mutex
	spans []*tracepb.Span
}

func (o *otlpReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req collectortrace.ExportTraceServiceRequest
	if r.URL.Path != "/v1/traces" || proto.Unmarshal(body, &req) != nil {
		http.Error(w, "not an OTLP trace export", http.StatusBadRequest)
		return
	}
	o.mu.Lock()
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			o.spans = append(o.spans, ss.Spans...)
		}
	}
	o.mu.Unlock()
	out, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(out)
}

func (o *otlpReceiver) byName(prefix string) []*tracepb.Span {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []*tracepb.Span
	for _, s := range o.spans {
		if strings.HasPrefix(s.Name, prefix) {
			out = append(out, s)
		}
	}
	return out
}

func attrs(s *tracepb.Span) map[string]string {
	out := map[string]string{}
	for _, kv := range s.Attributes {
		v := kv.Value
		switch {
		case v.GetStringValue() != "":
			out[kv.Key] = v.GetStringValue()
		default:
			out[kv.Key] = strings.TrimSpace(strings.TrimPrefix(v.String(), "int_value:"))
		}
	}
	return out
}

// A query is one span named by the GenAI conventions, child of the caller's traceparent, with
// the GenAI attributes and children for authentication, limits, the upstream call (whose
// traceparent reaches the provider) and the audit write; no prompt text in any span.
func TestQueriesAreTracedWithGenAIAttributes(t *testing.T) {
	recv := &otlpReceiver{}
	collector := httptest.NewServer(recv)
	defer collector.Close()
	fake := e2e.StartFake(t, fakeupstream.Options{})
	g := e2e.Start(t, e2e.Options{Env: []string{"OTEL_EXPORTER_OTLP_ENDPOINT=" + collector.URL,
		"OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf", "OTEL_BSP_SCHEDULE_DELAY=50", "OTEL_SERVICE_NAME=llmgate-e2e"}})
	_, key := g.CreateUser(t, "tracy", false)
	g.CreateEndpoint(t, e2e.OpenAIEndpoint("chat", fake.URL+"/v1", fakeupstream.DefaultKey("openai")))

	const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	r := e2e.Do(t, g.URL, "POST", "/v1/chat/completions", map[string]string{"Authorization": "Bearer " + key,
		"traceparent": "00-" + traceID + "-" + parentID + "-01"}, e2e.ChatBody("chat", "secret prompt words", false))
	if r.Status != 200 {
		t.Fatalf("chat: %d %s", r.Status, r.Body)
	}
	waitFor(t, "the query's spans at the collector", func() bool { return len(recv.byName("chat gpt-4o-mini")) == 1 && len(recv.byName("audit write")) == 1 }, nil)
	query := recv.byName("chat gpt-4o-mini")[0]
	if hex.EncodeToString(query.TraceId) != traceID || hex.EncodeToString(query.ParentSpanId) != parentID || query.Kind != tracepb.Span_SPAN_KIND_SERVER {
		t.Fatalf("query span trace %x parent %x kind %v: want the caller's trace and parent", query.TraceId, query.ParentSpanId, query.Kind)
	}
	a := attrs(query)
	for k, want := range map[string]string{"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
		"gen_ai.request.model": "gpt-4o-mini", "gen_ai.response.model": "gpt-4o-mini", "gen_ai.usage.input_tokens": "3",
		"gen_ai.usage.output_tokens": "4", "http.response.status_code": "200", "llmgate.endpoint": "chat"} {
		if a[k] != want {
			t.Errorf("query span %s = %q, want %q (all: %v)", k, a[k], want, a)
		}
	}
	for _, name := range []string{"authenticate", "limits and budgets", "upstream openai", "audit write"} {
		spans := recv.byName(name)
		if len(spans) != 1 || string(spans[0].ParentSpanId) != string(query.SpanId) || string(spans[0].TraceId) != string(query.TraceId) {
			t.Fatalf("span %q: %d found, or not a child of the query span", name, len(spans))
		}
	}
	upstream := recv.byName("upstream openai")[0]
	sent := fake.Requests()[len(fake.Requests())-1].Traceparent
	if !strings.Contains(sent, traceID) || !strings.Contains(sent, hex.EncodeToString(upstream.SpanId)) {
		t.Fatalf("the provider got traceparent %q; want trace %s from span %x", sent, traceID, upstream.SpanId)
	}
	recv.mu.Lock()
	defer recv.mu.Unlock()
	for _, s := range recv.spans {
		for _, kv := range s.Attributes {
			if strings.Contains(kv.Value.String(), "secret prompt") {
				t.Fatalf("span %s carries the prompt in %s", s.Name, kv.Key)
			}
		}
	}
}
