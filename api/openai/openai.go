// Package openai serves the OpenAI-compatible surface: /v1/chat/completions, /v1/completions,
// /v1/embeddings and /v1/models, where `model` names an llmgate endpoint (and is never
// forwarded: the endpoint decides the provider's model). Errors use OpenAI's envelope
// {"error": {"message", "type", "param", "code"}} and streams OpenAI's framing ending in
// `data: [DONE]`, with the usage chunk only when the caller set stream_options.include_usage.
package openai

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/llmgate/llmgate/api/httpkit"
	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/pipeline"
)

// Options configure the surface.
type Options struct {
	// BasePath, e.g. "/openai", additionally serves every route under that prefix.
	BasePath string
	// Models, when set, may answer GET /v1/models[/{model}] first (returning true): another
	// API sharing the route answers its own clients (Anthropic's, by their anthropic-version).
	Models func(w http.ResponseWriter, r *http.Request) bool
}

type handler struct {
	app    *app.App
	pipe   *pipeline.Pipeline
	models func(w http.ResponseWriter, r *http.Request) bool
}

// Register mounts the OpenAI-compatible routes on mux.
func Register(mux httpkit.Mux, a *app.App, p *pipeline.Pipeline, opts Options) {
	h := &handler{app: a, pipe: p, models: opts.Models}
	routes := map[string]http.HandlerFunc{
		"POST /v1/chat/completions": h.query(gateway.TypeChat),
		"POST /v1/completions":      h.query(gateway.TypeCompletions),
		"POST /v1/embeddings":       h.query(gateway.TypeEmbeddings),
		"GET /v1/models":            h.listModels,
		"GET /v1/models/{model}":    h.getModel,
	}
	base := strings.TrimRight(opts.BasePath, "/")
	for pattern, fn := range routes {
		mux.HandleFunc(pattern, fn)
		if base != "" {
			method, path, _ := strings.Cut(pattern, " ")
			mux.HandleFunc(method+" "+base+path, fn)
		}
	}
}

func (h *handler) query(t gateway.EndpointType) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		httpkit.ServeQuery(w, r, h.pipe, Surface{}, pipeline.Query{Type: t, Caller: httpkit.CallerOf(r)})
	}
}

// modelObject is OpenAI's model object; owned_by carries the provider name.
type modelObject struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

func toModel(e *gateway.Endpoint) modelObject {
	return modelObject{ID: e.Name, Object: "model", Created: e.CreatedAt.Unix(), OwnedBy: e.Provider}
}

func (h *handler) listModels(w http.ResponseWriter, r *http.Request) {
	if h.models != nil && h.models(w, r) {
		return
	}
	p, err := httpkit.Authenticate(h.app, r)
	if err != nil {
		writeError(w, gateway.AsError(err))
		return
	}
	data := []modelObject{}
	for _, e := range h.app.Snapshot().Endpoints() {
		if gateway.Permit(p, e) {
			data = append(data, toModel(e))
		}
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data})
}

func (h *handler) getModel(w http.ResponseWriter, r *http.Request) {
	if h.models != nil && h.models(w, r) {
		return
	}
	p, err := httpkit.Authenticate(h.app, r)
	if err != nil {
		writeError(w, gateway.AsError(err))
		return
	}
	e := h.app.EndpointFresh(r.Context(), r.PathValue("model"))
	if e == nil || !gateway.Permit(p, e) {
		writeErrorStatus(w, http.StatusNotFound, &gateway.Error{Code: gateway.CodeNotFound, Field: "model",
			Message: "The model '" + r.PathValue("model") + "' does not exist or you do not have access to it."})
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, toModel(e))
}

// Surface renders the query path in OpenAI's shapes. It implements httpkit.QuerySurface.
type Surface struct{}

var _ httpkit.QuerySurface = Surface{}

// API names the surface in audit events and metrics.
func (Surface) API() string { return "openai" }

// Decode validates with OpenAI's leniency (a bare-string stop is accepted). The message names
// the offending field, as OpenAI's do, since clients often show only the message.
func (Surface) Decode(t gateway.EndpointType, body []byte) (*llm.Request, *gateway.Error) {
	req, err := llm.DecodeOpenAI(t, body)
	if err != nil && err.Field != "" {
		err.Message = "Invalid '" + err.Field + "': " + err.Message
	}
	return req, err
}

// ErrorStatus follows OpenAI: validation failures are 400 (not 422); an unknown model is 400
// as on MLflow's own /v1 routes.
func (Surface) ErrorStatus(err *gateway.Error) int { return status(err) }

func status(err *gateway.Error) int { return httpkit.Status(err, statusOverrides) }

var statusOverrides = map[gateway.Code]int{
	gateway.CodeUnprocessable: http.StatusBadRequest,
	gateway.CodeNotFound:      http.StatusBadRequest,
}

// errorBody is OpenAI's error object.
type errorBody struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

func newErrorBody(code int, err *gateway.Error) errorBody {
	b := errorBody{Message: err.Message, Type: errorType(code)}
	if err.Field != "" {
		b.Param = &err.Field
	}
	if c := errorCode(err); c != "" {
		b.Code = &c
	}
	return b
}

func errorType(code int) string {
	switch {
	case code == http.StatusUnauthorized:
		return "authentication_error"
	case code == http.StatusForbidden:
		return "permission_error"
	case code == http.StatusNotFound:
		return "not_found_error"
	case code == http.StatusTooManyRequests:
		return "rate_limit_error"
	case code >= 500:
		return "api_error"
	}
	return "invalid_request_error"
}

func errorCode(err *gateway.Error) string {
	switch err.Code {
	case gateway.CodeNotFound:
		return "model_not_found"
	case gateway.CodeUnauthenticated:
		return "invalid_api_key"
	case gateway.CodeRateLimited:
		return "rate_limit_exceeded"
	case gateway.CodeTimeout:
		return "timeout"
	}
	return ""
}

// WriteError writes OpenAI's envelope; 429 and relayed upstream throttling carry Retry-After.
func (Surface) WriteError(w http.ResponseWriter, code int, err *gateway.Error) {
	writeErrorStatus(w, code, err)
}

func writeError(w http.ResponseWriter, err *gateway.Error) { writeErrorStatus(w, status(err), err) }

func writeErrorStatus(w http.ResponseWriter, code int, err *gateway.Error) {
	httpkit.SetRetryAfter(w, code, err.RetryAfter)
	httpkit.WriteJSON(w, code, map[string]errorBody{"error": newErrorBody(code, err)})
}

// WriteResponse writes the answer as JSON; llm/v1 shapes are OpenAI's. A chat answer is
// written by ChatResponse.AppendJSON, the same bytes httpkit.WriteAnswer writes without its
// reflection.
func (Surface) WriteResponse(w http.ResponseWriter, resp *llm.Response) {
	httpkit.WriteAnswer(w, resp)
}

type chatChunk struct {
	ID      string       `json:"id"`
	Object  string       `json:"object"`
	Created int64        `json:"created"`
	Model   string       `json:"model"`
	Choices []chatChoice `json:"choices"`
	Usage   *llm.Usage   `json:"usage,omitempty"`
}

type chatChoice struct {
	Index        int       `json:"index"`
	Delta        chatDelta `json:"delta"`
	FinishReason *string   `json:"finish_reason"`
	Logprobs     *struct{} `json:"logprobs"`
}

type chatDelta struct {
	Role      string          `json:"role,omitempty"`
	Content   *string         `json:"content,omitempty"`
	ToolCalls json.RawMessage `json:"tool_calls,omitempty"`
}

// completionChunk is OpenAI's legacy completions stream object: text in choices[].text.
type completionChunk struct {
	ID      string             `json:"id"`
	Object  string             `json:"object"`
	Created int64              `json:"created"`
	Model   string             `json:"model"`
	Choices []completionChoice `json:"choices"`
	Usage   *llm.Usage         `json:"usage,omitempty"`
}

type completionChoice struct {
	Index        int       `json:"index"`
	Text         string    `json:"text"`
	FinishReason *string   `json:"finish_reason"`
	Logprobs     *struct{} `json:"logprobs"`
}

// AppendChunk renders a chunk the way OpenAI streams it: choices in one frame, then, only when
// the caller asked with include_usage, the usage in a final frame whose choices are empty.
func (Surface) AppendChunk(dst []byte, t gateway.EndpointType, c *llm.Chunk, includeUsage bool) []byte {
	created := c.Created
	if created == 0 {
		created = time.Now().Unix()
	}
	switch {
	case len(c.Choices) == 0:
	case t == gateway.TypeChat && !hasToolCalls(c):
		dst = appendChatChoices(dst, c, created)
	default:
		dst = appendFrame(dst, choicesFrame(t, c, created))
	}
	if includeUsage && c.Usage != nil {
		dst = appendFrame(dst, usageFrame(t, c, created))
	}
	return dst
}

func hasToolCalls(c *llm.Chunk) bool {
	for _, ch := range c.Choices {
		if len(ch.ToolCalls) > 0 {
			return true
		}
	}
	return false
}

func choicesFrame(t gateway.EndpointType, c *llm.Chunk, created int64) any {
	if t == gateway.TypeCompletions {
		out := completionChunk{ID: c.ID, Object: "text_completion", Created: created, Model: c.Model,
			Choices: make([]completionChoice, len(c.Choices))}
		for i, ch := range c.Choices {
			out.Choices[i] = completionChoice{Index: ch.Index, Text: ch.Content, FinishReason: nonEmpty(ch.FinishReason)}
		}
		return out
	}
	out := chatChunk{ID: c.ID, Object: "chat.completion.chunk", Created: created, Model: c.Model,
		Choices: make([]chatChoice, len(c.Choices))}
	for i, ch := range c.Choices {
		out.Choices[i] = chatChoice{Index: ch.Index, FinishReason: nonEmpty(ch.FinishReason),
			Delta: chatDelta{Role: ch.Role, Content: nonEmpty(ch.Content), ToolCalls: ch.ToolCalls}}
		if ch.Role != "" && ch.Content == "" && len(ch.ToolCalls) == 0 {
			empty := ""
			out.Choices[i].Delta.Content = &empty // OpenAI's first chunk: role with empty content
		}
	}
	return out
}

func usageFrame(t gateway.EndpointType, c *llm.Chunk, created int64) any {
	if t == gateway.TypeCompletions {
		return completionChunk{ID: c.ID, Object: "text_completion", Created: created, Model: c.Model,
			Choices: []completionChoice{}, Usage: c.Usage}
	}
	return chatChunk{ID: c.ID, Object: "chat.completion.chunk", Created: created, Model: c.Model,
		Choices: []chatChoice{}, Usage: c.Usage}
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func appendFrame(dst []byte, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return dst // only plain structs are rendered; they always encode
	}
	dst = append(dst, "data: "...)
	dst = append(dst, b...)
	return append(dst, "\n\n"...)
}

// AppendStreamError sends OpenAI's in-stream error object; the SDKs raise it as an APIError.
func (Surface) AppendStreamError(dst []byte, err *gateway.Error) []byte {
	return appendFrame(dst, map[string]errorBody{"error": newErrorBody(status(err), err)})
}

// AppendEnd is OpenAI's terminator.
func (Surface) AppendEnd(dst []byte) []byte { return append(dst, "data: [DONE]\n\n"...) }
