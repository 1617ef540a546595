// Package telemetry sets up OpenTelemetry tracing from the standard OTEL_* environment
// variables and names llmgate's spans and their GenAI attributes. Tracing is off — a no-op
// tracer, no exporter, nothing sent — unless an OTLP endpoint is configured
// (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), and off when
// OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none. The protocol follows
// OTEL_EXPORTER_OTLP_TRACES_PROTOCOL / OTEL_EXPORTER_OTLP_PROTOCOL (grpc, or http/protobuf by
// default); service name and resource attributes come from OTEL_SERVICE_NAME and
// OTEL_RESOURCE_ATTRIBUTES, sampling from OTEL_TRACES_SAMPLER. W3C traceparent is read from
// callers and sent upstream.
package telemetry

import (
	"context"
	"os"
	"strings"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
	"go.opentelemetry.io/otel/trace"
)

// Tracer is llmgate's tracer (a no-op until Setup installs a provider).
func Tracer() trace.Tracer { return otel.Tracer("github.com/llmgate/llmgate") }

// Propagator reads and writes W3C trace context (traceparent, tracestate).
var Propagator = propagation.TraceContext{}

// Enabled reports whether the environment asks for traces.
func Enabled() bool {
	if strings.EqualFold(os.Getenv("OTEL_SDK_DISABLED"), "true") || os.Getenv("OTEL_TRACES_EXPORTER") == "none" {
		return false
	}
	return os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// Setup installs the tracer provider the environment describes and returns its shutdown
// (which flushes what is buffered). Without configuration it installs nothing.
func Setup(ctx context.Context, version string) (shutdown func(context.Context) error, err error) {
	if !Enabled() {
		return func(context.Context) error { return nil }, nil
	}
	protocol := os.Getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if protocol == "" {
		protocol = os.Getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	var exp sdktrace.SpanExporter
	if protocol == "grpc" {
		exp, err = otlptracegrpc.New(ctx)
	} else {
		exp, err = otlptracehttp.New(ctx)
	}
	if err != nil {
		return nil, err
	}
	res, err := resource.New(ctx, resource.WithFromEnv(), resource.WithTelemetrySDK(),
		resource.WithAttributes(semconv.ServiceName(serviceName()), semconv.ServiceVersion(version)))
	if err != nil {
		return nil, err
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	active.Store(true)
	return tp.Shutdown, nil
}

var active atomic.Bool

// Active reports whether Setup installed a tracer provider: callers skip all tracing work
// (context extraction, span starts) when it did not.
func Active() bool { return active.Load() }

func serviceName() string {
	if n := os.Getenv("OTEL_SERVICE_NAME"); n != "" {
		return n
	}
	return "llmgate"
}

// Operation is the GenAI operation name of an endpoint type.
func Operation(endpointType string) string {
	switch endpointType {
	case "llm/v1/completions":
		return semconv.GenAIOperationNameTextCompletion.Value.AsString()
	case "llm/v1/embeddings":
		return semconv.GenAIOperationNameEmbeddings.Value.AsString()
	}
	return semconv.GenAIOperationNameChat.Value.AsString()
}

// providerNames maps llmgate's provider names onto the GenAI convention's.
var providerNames = map[string]attribute.KeyValue{
	"openai": semconv.GenAIProviderNameOpenAI, "anthropic": semconv.GenAIProviderNameAnthropic,
	"cohere": semconv.GenAIProviderNameCohere, "bedrock": semconv.GenAIProviderNameAWSBedrock,
	"amazon-bedrock": semconv.GenAIProviderNameAWSBedrock, "vertex_ai": semconv.GenAIProviderNameGCPVertexAI,
	"gemini": semconv.GenAIProviderNameGCPGemini, "mistral": semconv.GenAIProviderNameMistralAI,
	"xai": semconv.GenAIProviderNameXAI, "deepseek": semconv.GenAIProviderNameDeepseek, "groq": semconv.GenAIProviderNameGroq,
}

// Provider is the gen_ai.provider.name attribute of an llmgate provider name.
func Provider(name string) attribute.KeyValue {
	if kv, ok := providerNames[name]; ok {
		return kv
	}
	return semconv.GenAIProviderNameKey.String(name)
}

// Attribute keys llmgate sets.
var (
	OperationName      = semconv.GenAIOperationNameKey
	RequestModel       = semconv.GenAIRequestModelKey
	ResponseModel      = semconv.GenAIResponseModelKey
	RequestMaxTokens   = semconv.GenAIRequestMaxTokensKey
	RequestTemperature = semconv.GenAIRequestTemperatureKey
	InputTokens        = semconv.GenAIUsageInputTokensKey
	OutputTokens       = semconv.GenAIUsageOutputTokensKey
	ErrorType          = semconv.ErrorTypeKey
	HTTPStatus         = semconv.HTTPResponseStatusCodeKey
)
