// Package responses serves OpenAI's Responses API (POST /v1/responses) for every chat
// endpoint, whatever its provider, through the same pipeline as every query (audit api
// "responses"). `model` names the endpoint. Requests become the canonical chat request
// (instructions a system turn, input items messages, function_call / function_call_output
// items assistant tool calls and tool results, max_output_tokens max_tokens, text.format
// response_format); answers come back as a response object with message and function_call
// output items, and streams as the typed events with sequence numbers. Errors use OpenAI's
// envelope, as on /v1/chat/completions.
//
// Not supported, and why: previous_response_id and conversation are refused with 400, since
// llmgate stores no responses (answers may carry personal data and a gateway should keep
// none; callers send the whole conversation as input, as with chat completions), so store is
// always false and background is refused; built-in tools (web_search, file_search, computer
// use, code interpreter, MCP…) run inside OpenAI, not at an endpoint's provider, and are
// refused with 400, as are input files and image file_ids; reasoning items are dropped and
// reasoning, metadata, user, truncation, include and other unnamed fields are ignored; the
// response echoes none of the request's settings (instructions, temperature, tools).
package responses

import (
	"net/http"

	"github.com/llmgate/llmgate/api/httpkit"
	"github.com/llmgate/llmgate/api/openai"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/pipeline"
)

// Register mounts POST /v1/responses.
func Register(mux httpkit.Mux, p *pipeline.Pipeline) {
	mux.HandleFunc("POST /v1/responses", func(w http.ResponseWriter, r *http.Request) {
		httpkit.ServeQuery(w, r, p, Surface{}, pipeline.Query{Type: gateway.TypeChat, Caller: httpkit.CallerOf(r)})
	})
}

// Surface renders the query path in the Responses API's shapes; errors are OpenAI's
// (embedded openai.Surface).
type Surface struct{ openai.Surface }

var (
	_ httpkit.QuerySurface   = Surface{}
	_ pipeline.StreamSurface = Surface{}
)

// API names the surface in audit events and metrics.
func (Surface) API() string { return "responses" }

// Decode reads a Responses request (the route requires chat endpoints).
func (Surface) Decode(t gateway.EndpointType, body []byte) (*llm.Request, *gateway.Error) {
	if t != gateway.TypeChat {
		return nil, gateway.Errorf(gateway.CodeInvalid, "the Responses API serves chat endpoints only")
	}
	return decodeRequest(body)
}

// WriteResponse writes the response object.
func (s Surface) WriteResponse(w http.ResponseWriter, resp *llm.Response) {
	if resp.Chat == nil {
		s.WriteError(w, http.StatusInternalServerError, gateway.Errorf(gateway.CodeInternal, "no chat answer"))
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, toResponse(resp.Chat))
}

// NewStreamEncoder numbers each stream's events from 0.
func (Surface) NewStreamEncoder(*llm.Request) pipeline.StreamEncoder { return newStreamEncoder() }

// AppendChunk, AppendStreamError and AppendEnd satisfy pipeline.Surface; the pipeline uses
// NewStreamEncoder's encoder instead.
func (Surface) AppendChunk(dst []byte, t gateway.EndpointType, c *llm.Chunk, u bool) []byte {
	return newStreamEncoder().AppendChunk(dst, t, c, u)
}

// AppendStreamError is the error event and response.failed.
func (Surface) AppendStreamError(dst []byte, err *gateway.Error) []byte {
	return newStreamEncoder().AppendStreamError(dst, err)
}

// AppendEnd completes a response that sent nothing.
func (Surface) AppendEnd(dst []byte) []byte { return newStreamEncoder().AppendEnd(dst) }
