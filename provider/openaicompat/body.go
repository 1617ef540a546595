// Package openaicompat holds the OpenAI wire format every OpenAI-compatible provider shares:
// request bodies built from the canonical llm request, response and SSE stream parsing, and
// the mapping of OpenAI-style error answers to safe gateway errors. The openai provider and
// every provider that speaks the same wire (Mistral, Together, Databricks, LiteLLM, TGI's
// Messages API, ...) configure a Translator here instead of re-implementing it.
package openaicompat

import (
	"encoding/json"
	"sort"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/internal/jsonobj"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
)

// Path returns the path OpenAI serves endpoint type t on, relative to the API base.
func Path(t gateway.EndpointType) string {
	switch t {
	case gateway.TypeCompletions:
		return "/completions"
	case gateway.TypeEmbeddings:
		return "/embeddings"
	}
	return "/chat/completions"
}

// Body builds the JSON body for c: the typed fields of the canonical request with its Extra
// fields merged at the top level, "model" set to the endpoint's model (omitted when empty, as
// for Azure where the deployment decides), and for streams "stream": true plus
// "stream_options": {"include_usage": true} so the final chunk carries token counts.
func Body(c *provider.Call) ([]byte, error) {
	r := c.Req
	switch {
	case c.Type == gateway.TypeChat && r.Chat != nil:
		return ChatBody(c.Model, r.Chat)
	case c.Type == gateway.TypeCompletions && r.Completion != nil:
		return CompletionBody(c.Model, r.Completion)
	case c.Type == gateway.TypeEmbeddings && r.Embeddings != nil:
		return EmbeddingsBody(c.Model, r.Embeddings)
	}
	return nil, gateway.Errorf(gateway.CodeInvalid, "request does not match endpoint type %s", c.Type)
}

// ChatBody builds a /chat/completions body. The messages, which hold nearly all of a large
// request, are spliced in as they are instead of passing through json.Marshal.
func ChatBody(model string, r *llm.ChatRequest) ([]byte, error) {
	msgs, err := messagePieces(r.Messages)
	if err != nil {
		return nil, err
	}
	named, ok := chatParams(r)
	if !ok {
		shell := *r
		shell.Messages = nil
		if named, err = members(&shell); err != nil {
			return nil, err
		}
	}
	return assemble(model, named, r.Extra, r.Stream, map[string][][]byte{"messages": msgs})
}

// messagePieces renders messages as a JSON array in pieces: each message's small fields are
// marshalled, its content is appended as the raw JSON it arrived as.
func messagePieces(msgs []llm.Message) ([][]byte, error) {
	pieces := make([][]byte, 0, 3*len(msgs)+2)
	pieces = append(pieces, []byte("["))
	for i, m := range msgs {
		content := m.Content
		m.Content = nil
		head, err := messageHead(&m)
		if err != nil {
			return nil, gateway.Wrap(gateway.CodeInvalid, err, "request cannot be encoded")
		}
		if i > 0 {
			pieces = append(pieces, []byte(","))
		}
		if len(content) == 0 {
			pieces = append(pieces, head)
			continue
		}
		if !jsonobj.Valid(content) {
			return nil, gateway.Errorf(gateway.CodeInvalid, "request cannot be encoded: message %d content is not valid JSON", i)
		}
		head = append(head[:len(head)-1], `,"content":`...)
		pieces = append(pieces, head, content, []byte("}"))
	}
	return append(pieces, []byte("]")), nil
}

// messageHead is json.Marshal of a message without content; one without tool calls (a role,
// maybe a name or a tool call id) is written directly.
func messageHead(m *llm.Message) ([]byte, error) {
	if len(m.ToolCalls) > 0 {
		return json.Marshal(m)
	}
	out := make([]byte, 0, 16+len(m.Role)+len(m.Name)+len(m.ToolCallID)+32)
	out = jsonobj.AppendString(append(out, `{"role":`...), m.Role, true)
	if m.Name != "" {
		out = jsonobj.AppendString(append(out, `,"name":`...), m.Name, true)
	}
	if m.ToolCallID != "" {
		out = jsonobj.AppendString(append(out, `,"tool_call_id":`...), m.ToolCallID, true)
	}
	return append(out, '}'), nil
}

// CompletionBody builds a legacy /completions body.
func CompletionBody(model string, r *llm.CompletionRequest) ([]byte, error) {
	return merge(model, r, r.Extra, r.Stream)
}

// EmbeddingsBody builds an /embeddings body; input is always sent as a list.
func EmbeddingsBody(model string, r *llm.EmbeddingsRequest) ([]byte, error) {
	typed := struct {
		Input []string `json:"input"`
	}{Input: r.Input}
	if typed.Input == nil {
		typed.Input = []string{}
	}
	return merge(model, typed, r.Extra, false)
}

// merge builds the upstream body: typed's members over extra's, with model and stream set as
// Body says. It writes the object once, into a buffer of the final size: going through a map
// of json.RawMessage and json.Marshal copied a large request three more times.
func merge(model string, typed any, extra map[string]json.RawMessage, stream bool) ([]byte, error) {
	named, err := members(typed)
	if err != nil {
		return nil, err
	}
	return assemble(model, named, extra, stream, nil)
}

// members is typed's JSON members.
func members(typed any) (map[string]json.RawMessage, error) {
	raw, err := json.Marshal(typed)
	if err != nil {
		return nil, gateway.Wrap(gateway.CodeInvalid, err, "request cannot be encoded")
	}
	named, err := jsonobj.Split(raw)
	if err != nil {
		return nil, gateway.Wrap(gateway.CodeInternal, err, "internal error")
	}
	return named, nil
}

// assemble is merge with typed's members given (named), and members given in pieces
// (spliced) that replace those.
func assemble(model string, named, extra map[string]json.RawMessage, stream bool, spliced map[string][][]byte) ([]byte, error) {
	fields := make(map[string][][]byte, len(extra)+len(named)+3)
	for k, v := range extra {
		if !jsonobj.Valid(v) {
			return nil, gateway.Errorf(gateway.CodeInvalid, "request cannot be encoded: field %q is not valid JSON", k)
		}
		fields[k] = [][]byte{v}
	}
	for k, v := range named {
		fields[k] = [][]byte{v}
	}
	for k, v := range spliced {
		fields[k] = v
	}
	delete(fields, "model")
	if model != "" {
		fields["model"] = [][]byte{jsonobj.AppendString(nil, model, true)}
	}
	delete(fields, "stream")
	delete(fields, "stream_options")
	if stream {
		fields["stream"] = [][]byte{[]byte("true")}
		fields["stream_options"] = [][]byte{[]byte(`{"include_usage":true}`)}
	}
	return writeObject(fields), nil
}

// writeObject renders members as one JSON object into a buffer of its final size, keys sorted
// as json.Marshal would; each member's value is the concatenation of its pieces.
func writeObject(members map[string][][]byte) []byte {
	keys := make([]string, 0, len(members))
	size := 2
	for k, v := range members {
		keys = append(keys, k)
		size += len(k) + 8 // quotes, colon, comma and some escaping
		for _, p := range v {
			size += len(p)
		}
	}
	sort.Strings(keys)
	out := make([]byte, 0, size)
	out = append(out, '{')
	for i, k := range keys {
		if i > 0 {
			out = append(out, ',')
		}
		out = jsonobj.AppendString(out, k, true)
		out = append(out, ':')
		for _, p := range members[k] {
			out = append(out, p...)
		}
	}
	return append(out, '}')
}
