package pipeline

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/llmgate/llmgate/telemetry"
)

// Tracing (package telemetry): when OTEL_* configures an exporter, each query is a server span
// named by the GenAI conventions ("chat gpt-4o-mini") — a child of the caller's traceparent —
// with child spans for authentication, limits and budgets, each upstream call (whose
// traceparent goes to the provider) and the audit write. Prompts and completions are never in
// spans. Cost per query when tracing is off: one atomic load.

// startTrace starts the query's span in the query's context, as a child of the caller's trace
// the surface side put there (httpkit.ServeQuery extracts its traceparent).
func (x *exchange) startTrace() {
	if !telemetry.Active() {
		return
	}
	x.ctx, x.span = telemetry.Tracer().Start(x.ctx, "llmgate query", trace.WithSpanKind(trace.SpanKindServer))
}

// endTrace names the span after the endpoint and records what the query did.
func (x *exchange) endTrace(status int) {
	if x.span == nil {
		return
	}
	span := x.span
	defer span.End()
	span.SetAttributes(telemetry.HTTPStatus.Int(status), attribute.String("llmgate.outcome", x.outcome),
		attribute.String("llmgate.api", x.q.Surface.API()))
	if x.ep == nil {
		return
	}
	op := telemetry.Operation(string(x.ep.Type))
	span.SetName(op + " " + x.ep.Model)
	span.SetAttributes(telemetry.OperationName.String(op), telemetry.Provider(x.ep.Provider),
		telemetry.RequestModel.String(x.ep.Model), attribute.String("llmgate.endpoint", x.ep.Name))
	if x.req != nil {
		if p := x.req.Params(); p != nil {
			if p.MaxTokens != nil {
				span.SetAttributes(telemetry.RequestMaxTokens.Int(*p.MaxTokens))
			}
			if p.Temperature != nil {
				span.SetAttributes(telemetry.RequestTemperature.Float64(*p.Temperature))
			}
		}
	}
	if x.responseModel != "" {
		span.SetAttributes(telemetry.ResponseModel.String(x.responseModel))
	}
	if x.usage.PromptTokens != nil {
		span.SetAttributes(telemetry.InputTokens.Int64(*x.usage.PromptTokens))
	}
	if x.usage.CompletionTokens != nil {
		span.SetAttributes(telemetry.OutputTokens.Int64(*x.usage.CompletionTokens))
	}
	if x.outcome != "" && x.outcome != "success" {
		span.SetAttributes(telemetry.ErrorType.String(x.outcome))
		span.SetStatus(codes.Error, x.outcome)
	}
}

// child starts a child span of the query's (a no-op when tracing is off).
func (x *exchange) child(ctx context.Context, name string, kind trace.SpanKind) (context.Context, func()) {
	if x.span == nil {
		return ctx, func() {}
	}
	ctx, span := telemetry.Tracer().Start(ctx, name, trace.WithSpanKind(kind))
	return ctx, func() { span.End() }
}

// injectTrace puts the current span's traceparent on an upstream request's headers.
func (x *exchange) injectTrace(ctx context.Context, h http.Header) {
	if x.span != nil && h != nil {
		telemetry.Propagator.Inject(ctx, propagation.HeaderCarrier(h))
	}
}
