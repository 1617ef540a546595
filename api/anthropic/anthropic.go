// Package anthropic serves Anthropic's Messages API (/v1/messages, also under /anthropic for
// clients whose base URL carries that prefix) so the Anthropic SDKs and Claude Code reach
// every chat endpoint, whatever its provider, through the same pipeline (permissions, limits,
// audit with api "anthropic") as every other query. `model` names the endpoint.
//
// For an endpoint whose provider is anthropic the request passes through as the caller wrote
// it (only the model is replaced by the endpoint's) and the answer and stream events come back
// as Anthropic wrote them: thinking blocks and signatures, cache_control, metadata, is_error,
// stop_sequence and cache token counts all survive (llm.Request.Native). The canonical decoding
// still runs, for limits, metering and credential scrubbing (stream text is re-rendered from
// the scrubbed canonical text; every other event is relayed verbatim after scrubbing).
// Client headers are not forwarded, so anthropic-beta features stay off.
//
// Every other provider gets the canonical (OpenAI-shaped) chat request, and its answers are
// rendered back as Anthropic messages and stream events. That walk loses what the canonical
// form has no place for: thinking (and thinking blocks, dropped from assistant turns),
// metadata, cache_control, service_tier and other unnamed fields (ignored, not forwarded);
// is_error on tool results; and on answers, stop_sequence (a stop sequence reports end_turn)
// and cache token counts. On every provider, document, search-result and other block types and
// server tools are refused with 400 (the canonical decoding, which every query needs, has no
// place for them). top_k is forwarded as an extra field (providers that do not know it may
// refuse it). Temperature is the caller's on Anthropic's 0–1 scale, doubled onto the
// canonical 0–2 scale (which the anthropic provider halves back).
//
// POST /v1/messages/count_tokens is forwarded to Anthropic's own count_tokens for endpoints
// of provider anthropic, after the same authentication and permission check as a query; other
// providers have no counting API, so it answers 400. It is neither rate-limited nor audited:
// it generates nothing and spends no tokens.
package anthropic

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/llmgate/llmgate/api/httpkit"
	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/pipeline"
	"github.com/llmgate/llmgate/provider"
	anthropicprovider "github.com/llmgate/llmgate/provider/anthropic"
	"github.com/llmgate/llmgate/provider/kit"
	"github.com/llmgate/llmgate/redact"
	"github.com/llmgate/llmgate/transport"
)

// Prefix is the second mount point, for clients configured with base URL <gateway>/anthropic.
const Prefix = "/anthropic"

// Options configure the surface.
type Options struct {
	// Transport sends count_tokens upstream (default transport.Do).
	Transport pipeline.Transport
	// MaxBodyBytes bounds count_tokens bodies (default httpkit.DefaultMaxBody).
	MaxBodyBytes int64
}

type handler struct {
	app  *app.App
	pipe *pipeline.Pipeline
	opts Options
}

// Register mounts the Messages routes on mux, unprefixed and under Prefix, and Anthropic's
// models listing under Prefix. The unprefixed GET /v1/models belongs to the OpenAI surface,
// which hands Anthropic clients to the returned Models.
func Register(mux httpkit.Mux, a *app.App, p *pipeline.Pipeline, opts Options) *Models {
	if opts.Transport == nil {
		opts.Transport = transport.Do
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = httpkit.DefaultMaxBody
	}
	h := &handler{app: a, pipe: p, opts: opts}
	for _, base := range []string{"", Prefix} {
		mux.HandleFunc("POST "+base+"/v1/messages", h.messages)
		mux.HandleFunc("POST "+base+"/v1/messages/count_tokens", h.countTokens)
	}
	mux.HandleFunc("GET "+Prefix+"/v1/models", h.ListModels)
	mux.HandleFunc("GET "+Prefix+"/v1/models/{model}", h.GetModel)
	return &Models{h: h}
}

// Models answers the models routes Anthropic shares with OpenAI.
type Models struct{ h *handler }

// Serve answers GET /v1/models and /v1/models/{model} when an Anthropic client asks (see
// IsAnthropicRequest); false leaves the request to the caller.
func (m *Models) Serve(w http.ResponseWriter, r *http.Request) bool {
	if !IsAnthropicRequest(r) {
		return false
	}
	if r.PathValue("model") != "" {
		m.h.GetModel(w, r)
	} else {
		m.h.ListModels(w, r)
	}
	return true
}

func (h *handler) messages(w http.ResponseWriter, r *http.Request) {
	httpkit.ServeQuery(w, r, h.pipe, Surface{}, pipeline.Query{Type: gateway.TypeChat, Caller: httpkit.CallerOf(r)})
}

// Surface renders the query path in Anthropic's shapes. It implements httpkit.QuerySurface and
// pipeline.StreamSurface.
type Surface struct{}

var (
	_ httpkit.QuerySurface   = Surface{}
	_ pipeline.StreamSurface = Surface{}
)

// API names the surface in audit events and metrics.
func (Surface) API() string { return "anthropic" }

// Decode reads a Messages request (chat endpoints only: the route requires them).
func (Surface) Decode(t gateway.EndpointType, body []byte) (*llm.Request, *gateway.Error) {
	if t != gateway.TypeChat {
		return nil, gateway.Errorf(gateway.CodeInvalid, "the Messages API serves chat endpoints only")
	}
	return decodeRequest(body)
}

// ErrorStatus follows Anthropic's status codes.
func (Surface) ErrorStatus(err *gateway.Error) int { return status(err) }

// WriteError writes {"type":"error","error":{"type","message"}}; 429 carries Retry-After.
func (Surface) WriteError(w http.ResponseWriter, code int, err *gateway.Error) {
	writeError(w, code, err)
}

// WriteResponse writes the answer as a Messages API message.
func (Surface) WriteResponse(w http.ResponseWriter, resp *llm.Response) {
	if resp.Chat == nil {
		writeError(w, http.StatusInternalServerError, gateway.Errorf(gateway.CodeInternal, "no chat answer"))
		return
	}
	if resp.Native != nil && resp.Native.API == llm.NativeAnthropic {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(resp.Native.Body)
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, toMessage(resp.Chat))
}

// NewStreamEncoder gives each stream its own block numbering.
func (Surface) NewStreamEncoder(*llm.Request) pipeline.StreamEncoder { return newStreamEncoder() }

// AppendChunk, AppendStreamError and AppendEnd serve a stream without per-stream state; the
// pipeline always asks NewStreamEncoder instead, so these only satisfy pipeline.Surface.
func (Surface) AppendChunk(dst []byte, t gateway.EndpointType, c *llm.Chunk, u bool) []byte {
	return newStreamEncoder().AppendChunk(dst, t, c, u)
}

// AppendStreamError is Anthropic's error event.
func (Surface) AppendStreamError(dst []byte, err *gateway.Error) []byte {
	return newStreamEncoder().AppendStreamError(dst, err)
}

// AppendEnd closes a message that sent nothing.
func (Surface) AppendEnd(dst []byte) []byte { return newStreamEncoder().AppendEnd(dst) }

// countTokens forwards to the provider's count_tokens for anthropic endpoints.
func (h *handler) countTokens(w http.ResponseWriter, r *http.Request) {
	ep, cfg, err := h.countTarget(r)
	if err != nil {
		writeError(w, status(err), err)
		return
	}
	n, err := h.forwardCount(r.Context(), ep, cfg)
	if err != nil {
		if sc := redact.New(secretValues(ep, cfg)...); sc != nil {
			err = &gateway.Error{Code: err.Code, Status: err.Status, RetryAfter: err.RetryAfter, Message: sc.String(err.Message)}
		}
		writeError(w, status(err), err)
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]int64{"input_tokens": n})
}

// countTarget authenticates, finds and authorizes the endpoint, validates the body and
// resolves the endpoint's credentials. The body, with model set to the endpoint's model, is
// returned in cfg["body"].
func (h *handler) countTarget(r *http.Request) (*gateway.Endpoint, map[string]string, *gateway.Error) {
	p, err := httpkit.Authenticate(h.app, r)
	if err != nil {
		return nil, nil, gateway.AsError(err)
	}
	body, err := httpkit.ReadBody(r, h.opts.MaxBodyBytes)
	if err != nil {
		return nil, nil, gateway.AsError(err)
	}
	w, gerr := decodeBody(body)
	if gerr != nil {
		return nil, nil, gerr
	}
	if w.Model == "" {
		return nil, nil, invalid("model", "Field required")
	}
	ep := h.app.EndpointFresh(r.Context(), w.Model)
	switch {
	case ep == nil:
		return nil, nil, gateway.Errorf(gateway.CodeNotFound, "The endpoint '%s' is not present or active on the server. Please verify the endpoint name.", w.Model)
	case !gateway.Permit(p, ep):
		return nil, nil, gateway.Errorf(gateway.CodeForbidden, "You do not have permission to query endpoint '%s'.", w.Model)
	case ep.Type != gateway.TypeChat:
		return nil, nil, gateway.Errorf(gateway.CodeInvalid, "Endpoint '%s' is not a chat endpoint.", ep.Name)
	case !anthropicprovider.Spec.Named(ep.Provider):
		return nil, nil, gateway.Errorf(gateway.CodeInvalid, "count_tokens is answered only for endpoints of provider anthropic; endpoint '%s' uses provider %q, which offers no token counting", ep.Name, ep.Provider)
	}
	if _, gerr := decodeMessages(w.Messages); gerr != nil {
		return nil, nil, gerr
	}
	cfg, gerr := h.config(r.Context(), ep)
	if gerr != nil {
		return nil, nil, gerr
	}
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(body, &fields) // decodeBody accepted it as an object
	fields["model"], _ = json.Marshal(ep.Model)
	delete(fields, "max_tokens")
	delete(fields, "stream")
	out, _ := json.Marshal(fields)
	cfg["body"] = string(out)
	return ep, cfg, nil
}

// config merges the endpoint's plain config with its resolved credentials.
func (h *handler) config(ctx context.Context, ep *gateway.Endpoint) (map[string]string, *gateway.Error) {
	cfg := make(map[string]string, len(ep.Config)+len(ep.Secrets)+1)
	for k, v := range ep.Config {
		cfg[k] = v
	}
	for k, ref := range ep.Secrets {
		v, err := h.app.Secrets.Resolve(ctx, ref.Ref)
		if err != nil {
			return nil, gateway.Wrap(gateway.CodeUnavailable, err, "the endpoint's credentials could not be resolved")
		}
		cfg[k] = v
	}
	return cfg, nil
}

func secretValues(ep *gateway.Endpoint, cfg map[string]string) []string {
	var out []string
	for k := range ep.Secrets {
		out = append(out, cfg[k])
	}
	return append(out, cfg[anthropicprovider.KeyAPIKey])
}

// forwardCount calls {anthropic_api_base}/messages/count_tokens and reads input_tokens.
func (h *handler) forwardCount(ctx context.Context, ep *gateway.Endpoint, cfg map[string]string) (int64, *gateway.Error) {
	base := strings.TrimSpace(cfg[anthropicprovider.KeyAPIBase])
	if base == "" {
		base = anthropicprovider.DefaultBase
	}
	version := strings.TrimSpace(cfg[anthropicprovider.KeyVersion])
	if version == "" {
		version = anthropicprovider.DefaultVersion
	}
	req := &provider.HTTPRequest{Method: http.MethodPost, URL: kit.JoinURL(base, "/messages/count_tokens"),
		Header: http.Header{"Content-Type": {"application/json"}, "X-Api-Key": {cfg[anthropicprovider.KeyAPIKey]}, "Anthropic-Version": {version}},
		Body:   []byte(cfg["body"])}
	timeout := 60 * time.Second
	if ep.TimeoutSeconds > 0 {
		timeout = time.Duration(ep.TimeoutSeconds) * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp, err := h.opts.Transport(ctx, req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, gateway.Wrap(gateway.CodeTimeout, err, "the provider did not answer in time")
		}
		return 0, gateway.Wrap(gateway.CodeUpstream, err, "could not reach the provider")
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		return 0, anthropicprovider.Spec.Translator.Error(nil, resp.StatusCode, resp.Header, raw)
	}
	var out struct {
		InputTokens *int64 `json:"input_tokens"`
	}
	if json.Unmarshal(raw, &out) != nil || out.InputTokens == nil {
		return 0, gateway.Errorf(gateway.CodeUpstream, "malformed upstream count_tokens answer")
	}
	return *out.InputTokens, nil
}
