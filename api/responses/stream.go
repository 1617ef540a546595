package responses

import (
	"encoding/json"
	"strings"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
)

// streamEncoder renders canonical chunks as the Responses API's typed events, each numbered
// by sequence_number. It keeps the response being built (its items and their text), so the
// done events and the final response.completed carry the whole answer.
type streamEncoder struct {
	seq     int
	started bool
	resp    *response
	text    int // output index of the open message item, -1 when none
	texts   map[int]*strings.Builder
	calls   map[int]int // OpenAI tool_calls index → output index
	args    map[int]*strings.Builder
	finish  string
	usage   llm.Usage
}

func newStreamEncoder() *streamEncoder {
	return &streamEncoder{text: -1, texts: map[int]*strings.Builder{}, calls: map[int]int{}, args: map[int]*strings.Builder{}}
}

// event appends one typed event; fields are merged with type and sequence_number.
func (e *streamEncoder) event(dst []byte, typ string, fields map[string]any) []byte {
	fields["type"] = typ
	fields["sequence_number"] = e.seq
	e.seq++
	b, err := json.Marshal(fields)
	if err != nil {
		return dst // plain values only; they always encode
	}
	dst = append(dst, "event: "...)
	dst = append(dst, typ...)
	dst = append(dst, "\ndata: "...)
	dst = append(dst, b...)
	return append(dst, "\n\n"...)
}

func (e *streamEncoder) start(dst []byte, model string) []byte {
	e.started = true
	e.resp = newResponse(model)
	dst = e.event(dst, "response.created", map[string]any{"response": e.resp})
	return e.event(dst, "response.in_progress", map[string]any{"response": e.resp})
}

// AppendChunk renders choice 0 (the surface never asks for more): text into one message
// item, tool calls into function_call items.
func (e *streamEncoder) AppendChunk(dst []byte, _ gateway.EndpointType, c *llm.Chunk, _ bool) []byte {
	if c.Usage != nil {
		if c.Usage.PromptTokens != nil {
			e.usage.PromptTokens = c.Usage.PromptTokens
		}
		if c.Usage.CompletionTokens != nil {
			e.usage.CompletionTokens = c.Usage.CompletionTokens
		}
		e.usage.TotalTokens = c.Usage.TotalTokens
	}
	if !e.started {
		dst = e.start(dst, c.Model)
	}
	for _, ch := range c.Choices {
		if ch.Index != 0 {
			continue
		}
		if ch.Content != "" {
			dst = e.appendText(dst, ch.Content)
		}
		if len(ch.ToolCalls) > 0 {
			dst = e.appendCalls(dst, ch.ToolCalls)
		}
		if ch.FinishReason != "" {
			e.finish = ch.FinishReason
		}
	}
	return dst
}

func (e *streamEncoder) appendText(dst []byte, text string) []byte {
	if e.text < 0 {
		e.text = len(e.resp.Output)
		item := messageItem{Type: "message", ID: itemID("msg"), Status: "in_progress", Role: "assistant", Content: []outputText{}}
		e.resp.Output = append(e.resp.Output, item)
		e.texts[e.text] = &strings.Builder{}
		dst = e.event(dst, "response.output_item.added", map[string]any{"output_index": e.text, "item": item})
		dst = e.event(dst, "response.content_part.added", map[string]any{"item_id": item.ID, "output_index": e.text,
			"content_index": 0, "part": newOutputText("")})
	}
	e.texts[e.text].WriteString(text)
	return e.event(dst, "response.output_text.delta", map[string]any{"item_id": e.itemID(e.text), "output_index": e.text,
		"content_index": 0, "delta": text, "logprobs": []any{}})
}

func (e *streamEncoder) itemID(index int) string {
	switch it := e.resp.Output[index].(type) {
	case messageItem:
		return it.ID
	case callItem:
		return it.ID
	}
	return ""
}

func (e *streamEncoder) appendCalls(dst []byte, raw json.RawMessage) []byte {
	var deltas []struct {
		Index    int    `json:"index"`
		ID       string `json:"id"`
		Function struct {
			Name      string `json:"name"`
			Arguments string `json:"arguments"`
		} `json:"function"`
	}
	if json.Unmarshal(raw, &deltas) != nil {
		return dst
	}
	for _, d := range deltas {
		if d.ID != "" {
			dst = e.closeText(dst) // a message item ends where the calls begin
			index := len(e.resp.Output)
			item := callItem{Type: "function_call", ID: "fc_" + strings.TrimPrefix(d.ID, "call_"), CallID: d.ID, Name: d.Function.Name, Status: "in_progress"}
			e.resp.Output = append(e.resp.Output, item)
			e.calls[d.Index], e.args[index] = index, &strings.Builder{}
			dst = e.event(dst, "response.output_item.added", map[string]any{"output_index": index, "item": item})
		}
		index, ok := e.calls[d.Index]
		if !ok || d.Function.Arguments == "" {
			continue
		}
		e.args[index].WriteString(d.Function.Arguments)
		dst = e.event(dst, "response.function_call_arguments.delta", map[string]any{"item_id": e.itemID(index),
			"output_index": index, "delta": d.Function.Arguments})
	}
	return dst
}

// closeText ends the open message item: text done, part done, item done.
func (e *streamEncoder) closeText(dst []byte) []byte {
	if e.text < 0 {
		return dst
	}
	index, text := e.text, e.texts[e.text].String()
	e.text = -1
	item := e.resp.Output[index].(messageItem)
	item.Status, item.Content = "completed", []outputText{newOutputText(text)}
	e.resp.Output[index] = item
	dst = e.event(dst, "response.output_text.done", map[string]any{"item_id": item.ID, "output_index": index,
		"content_index": 0, "text": text, "logprobs": []any{}})
	dst = e.event(dst, "response.content_part.done", map[string]any{"item_id": item.ID, "output_index": index,
		"content_index": 0, "part": newOutputText(text)})
	return e.event(dst, "response.output_item.done", map[string]any{"output_index": index, "item": item})
}

// closeCalls ends every function_call item, in output order.
func (e *streamEncoder) closeCalls(dst []byte) []byte {
	for index := range e.resp.Output {
		b, ok := e.args[index]
		if !ok {
			continue
		}
		item := e.resp.Output[index].(callItem)
		item.Status, item.Arguments = "completed", b.String()
		e.resp.Output[index] = item
		dst = e.event(dst, "response.function_call_arguments.done", map[string]any{"item_id": item.ID,
			"output_index": index, "name": item.Name, "arguments": item.Arguments})
		dst = e.event(dst, "response.output_item.done", map[string]any{"output_index": index, "item": item})
	}
	return dst
}

// AppendEnd closes the items and sends response.completed (response.incomplete when the
// answer was cut) with the whole response and its usage.
func (e *streamEncoder) AppendEnd(dst []byte) []byte {
	if !e.started {
		dst = e.start(dst, "")
	}
	dst = e.closeText(dst)
	dst = e.closeCalls(dst)
	e.resp.finish(e.finish, e.usage)
	typ := "response.completed"
	if e.resp.Status == "incomplete" {
		typ = "response.incomplete"
	}
	return e.event(dst, typ, map[string]any{"response": e.resp})
}

// AppendStreamError sends an error event, then response.failed carrying the error.
func (e *streamEncoder) AppendStreamError(dst []byte, err *gateway.Error) []byte {
	if !e.started {
		dst = e.start(dst, "")
	}
	code := "server_error"
	if err.Code == gateway.CodeRateLimited {
		code = "rate_limit_exceeded"
	}
	dst = e.event(dst, "error", map[string]any{"code": code, "message": err.Message, "param": nil})
	e.resp.Status, e.resp.Error = "failed", &errorObject{Code: code, Message: err.Message}
	return e.event(dst, "response.failed", map[string]any{"response": e.resp})
}
