package httpkit

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel/propagation"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/pipeline"
	"github.com/llmgate/llmgate/telemetry"
)

// Renderer is how a query surface writes its error envelope and its complete answers.
type Renderer interface {
	// WriteError writes the surface's error envelope with status (and Retry-After when due).
	WriteError(w http.ResponseWriter, status int, err *gateway.Error)
	// WriteResponse writes a complete answer with status 200.
	WriteResponse(w http.ResponseWriter, resp *llm.Response)
}

// QuerySurface is a query API served over HTTP: what it tells the pipeline and how it writes.
type QuerySurface interface {
	pipeline.Surface
	Renderer
}

// ReceiptHeader carries the durable access event's receipt (pipeline.Receipt). A stream's
// headers are out before its event is written, so streams declare it as a trailer.
const ReceiptHeader = "X-Llmgate-Audit-Receipt"

// ServeQuery answers r with q through p, in s's shapes. The pipeline gets plain values: the
// request's context (with the caller's trace), the body read within p.MaxBodyBytes() once the
// pipeline asks for it, the cache directives; it answers through the one HTTP Sink below. The
// outcome goes on the request's note for the access log, and a stream that broke with no
// error frame to say so has its connection aborted (http.ErrAbortHandler: HTTP/1.1 ends
// without the final chunk, HTTP/2 resets the stream), so the client reports an error instead
// of reading a complete answer.
func ServeQuery(w http.ResponseWriter, r *http.Request, p *pipeline.Pipeline, s QuerySurface, q pipeline.Query) {
	a := &answer{w: w, r: r, render: s, max: p.MaxBodyBytes()}
	q.Surface, q.Body, q.CacheControl = s, a, r.Header.Get("Cache-Control")
	res := p.Serve(traceContext(r), q, a)
	note := Note(r.Context())
	note.Endpoint, note.Outcome, note.User = res.Endpoint, res.Outcome, res.User
	if a.aborted {
		panic(http.ErrAbortHandler)
	}
}

// traceContext is r's context, a child of the caller's traceparent when tracing is on.
func traceContext(r *http.Request) context.Context {
	if !telemetry.Active() {
		return r.Context()
	}
	return telemetry.Propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
}

// answer is the HTTP side of one query: its body (pipeline.Body) and where its answer goes
// (pipeline.Sink).
type answer struct {
	w       http.ResponseWriter
	r       *http.Request
	render  Renderer
	max     int64
	rc      *http.ResponseController // once the stream started
	aborted bool
}

func (a *answer) Size() int64           { return a.r.ContentLength }
func (a *answer) Read() ([]byte, error) { return ReadBody(a.r, a.max) }

func (a *answer) Receipt(value string) { a.w.Header().Set(ReceiptHeader, value) }

func (a *answer) Error(status int, err *gateway.Error) { a.render.WriteError(a.w, status, err) }

func (a *answer) Answer(resp *llm.Response) { a.render.WriteResponse(a.w, resp) }

// StartStream sends the headers of an event stream that proxies must not buffer, with the
// receipt declared as a trailer.
func (a *answer) StartStream() {
	h := a.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // tell nginx-style proxies not to buffer the stream
	h.Set("Trailer", ReceiptHeader)
	a.w.WriteHeader(http.StatusOK)
	a.rc = http.NewResponseController(a.w)
}

// Frame writes p and flushes it, so each event reaches the client as it happens.
func (a *answer) Frame(p []byte) error {
	if _, err := a.w.Write(p); err != nil {
		return err
	}
	return a.rc.Flush()
}

func (a *answer) Abort() { a.aborted = true }

// WriteAnswer writes a complete answer as 200 JSON in the llm/v1 shapes, which MLflow's and
// OpenAI's clients both read.
func WriteAnswer(w http.ResponseWriter, resp *llm.Response) {
	if resp.Chat != nil { // the usual answer, written without reflection (same bytes as WriteJSON)
		if body, ok := resp.Chat.AppendJSON(make([]byte, 0, 512)); ok {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(append(body, '\n')) // the client may be gone; nothing useful to do
			return
		}
	}
	var body any = resp.Embeddings
	switch {
	case resp.Chat != nil:
		body = resp.Chat
	case resp.Completion != nil:
		body = resp.Completion
	}
	WriteJSON(w, http.StatusOK, body)
}
