package mlflow

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/llmgate/llmgate/api/httpkit"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
)

// Surface renders the query path in MLflow's shapes. It implements httpkit.QuerySurface.
type Surface struct{}

var _ httpkit.QuerySurface = Surface{}

// API names the surface in audit events and metrics.
func (Surface) API() string { return "mlflow" }

// Decode validates like MLflow's deployments server (422 on schema violations).
func (Surface) Decode(t gateway.EndpointType, body []byte) (*llm.Request, *gateway.Error) {
	return llm.Decode(t, body)
}

// ErrorStatus maps error codes to the statuses MLflow's server uses.
func (Surface) ErrorStatus(err *gateway.Error) int { return status(err) }

func status(err *gateway.Error) int { return httpkit.Status(err, nil) }

// WriteError writes FastAPI's shapes: {"detail": "..."}; 422 as a list of {type, loc, msg};
// 429 with MLflow's "error" key (plus "detail") and Retry-After, which the client honours.
func (Surface) WriteError(w http.ResponseWriter, code int, err *gateway.Error) {
	writeErrorStatus(w, code, err)
}

func writeError(w http.ResponseWriter, err *gateway.Error) { writeErrorStatus(w, status(err), err) }

func writeErrorStatus(w http.ResponseWriter, code int, err *gateway.Error) {
	switch {
	case code == http.StatusUnprocessableEntity:
		httpkit.WriteJSON(w, code, map[string]any{"detail": []validationItem{{
			Type: "value_error", Loc: location(err.Field), Msg: err.Message, Input: nil,
		}}})
	case code == http.StatusTooManyRequests:
		httpkit.SetRetryAfter(w, code, err.RetryAfter)
		httpkit.WriteJSON(w, code, map[string]string{"error": err.Message, "detail": err.Message})
	default:
		httpkit.SetRetryAfter(w, code, err.RetryAfter)
		httpkit.WriteJSON(w, code, map[string]string{"detail": err.Message})
	}
}

// validationItem is one pydantic v2 error as FastAPI renders it.
type validationItem struct {
	Type  string `json:"type"`
	Loc   []any  `json:"loc"`
	Msg   string `json:"msg"`
	Input any    `json:"input"`
}

// location turns "messages.0.role" into ["body", "messages", 0, "role"].
func location(field string) []any {
	loc := []any{"body"}
	if field == "" {
		return loc
	}
	for _, part := range strings.Split(field, ".") {
		if n, err := strconv.Atoi(part); err == nil {
			loc = append(loc, n)
		} else {
			loc = append(loc, part)
		}
	}
	return loc
}

// WriteResponse writes the llm/v1 answer as JSON.
func (Surface) WriteResponse(w http.ResponseWriter, resp *llm.Response) {
	httpkit.WriteAnswer(w, resp)
}

// chunk is MLflow's chat.completion.chunk / text_completion_chunk; both carry text in
// delta.content (not choices[].text as OpenAI's legacy completions stream does).
type chunk struct {
	ID      string        `json:"id"`
	Object  string        `json:"object"`
	Created int64         `json:"created"`
	Model   string        `json:"model"`
	Choices []chunkChoice `json:"choices"`
	Usage   *llm.Usage    `json:"usage,omitempty"`
}

type chunkChoice struct {
	Index        int     `json:"index"`
	FinishReason *string `json:"finish_reason"`
	Delta        delta   `json:"delta"`
}

type delta struct {
	Role      *string         `json:"role"`
	Content   *string         `json:"content"`
	ToolCalls json.RawMessage `json:"tool_calls,omitempty"`
}

// AppendChunk renders one data-only frame. The final usage-only chunk (no choices) gets one
// empty choice, because MLflow-side parsers index choices[0]; the usage itself rides on it, as
// MLflow 3.x chunks allow, so callers see token counts at the end of the stream.
func (Surface) AppendChunk(dst []byte, t gateway.EndpointType, c *llm.Chunk, _ bool) []byte {
	if len(c.Choices) == 0 {
		if c.Usage == nil {
			return dst
		}
		c.Choices = []llm.ChunkChoice{{Index: 0}}
	}
	out := chunk{ID: c.ID, Object: "chat.completion.chunk", Created: c.Created, Model: c.Model,
		Choices: make([]chunkChoice, len(c.Choices)), Usage: c.Usage}
	if t == gateway.TypeCompletions {
		out.Object = "text_completion_chunk"
	}
	if out.Created == 0 {
		out.Created = time.Now().Unix()
	}
	for i := range c.Choices {
		ch := &c.Choices[i]
		out.Choices[i] = chunkChoice{Index: ch.Index, FinishReason: nonEmpty(ch.FinishReason),
			Delta: delta{Role: nonEmpty(ch.Role), Content: nonEmpty(ch.Content), ToolCalls: ch.ToolCalls}}
	}
	return appendFrame(dst, out)
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

// AppendStreamError adds nothing: MLflow's server drops the connection of a broken stream
// (the pipeline aborts it the same way), and its Databricks-style parsers reject anything but
// data frames of chunks.
func (Surface) AppendStreamError(dst []byte, _ *gateway.Error) []byte { return dst }

// AppendEnd adds nothing: MLflow streams end without [DONE].
func (Surface) AppendEnd(dst []byte) []byte { return dst }
