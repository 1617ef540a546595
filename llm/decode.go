package llm

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/internal/jsonobj"
)

// Decode parses and validates an invocation body for an endpoint of type t the way MLflow's
// deployments server does (docs/contract/mlflow-deployments.md §3, §3.5): required fields and their
// JSON types, temperature in [0, 2], top_p in [0, 1], n, max_tokens and max_completion_tokens
// at least 1, stop a non-empty list of strings, messages a non-empty list, prompt a string,
// input a string or a non-empty list of strings. Fields it does not name are kept in Extra and
// forwarded; `model` is dropped because the endpoint decides the upstream model.
//
// Beyond MLflow, sizes are capped (see the Max constants) and a message's role must be one the
// providers know, so a request cannot make the gateway fan out or forward nonsense upstream.
//
// Every error is CodeUnprocessable with Field naming the offending field (MLflow's 422 `loc`),
// or an empty Field when the body itself is not a JSON object.
//
// Choices where MLflow's own versions differ: an omitted temperature stays omitted (3.x; 2.x
// sent 0.0), so the provider's default applies; `stream` on an embeddings endpoint is ignored
// and not forwarded, since no provider streams embeddings.
func Decode(t gateway.EndpointType, body []byte) (*Request, *gateway.Error) {
	return decode(t, body, false)
}

// DecodeOpenAI is Decode with the leniency OpenAI's API grants and its SDKs rely on: `stop`
// may be a bare string (it becomes a one-element list). Everything else is validated alike.
func DecodeOpenAI(t gateway.EndpointType, body []byte) (*Request, *gateway.Error) {
	return decode(t, body, true)
}

// Input caps. Each bounds what one request can make the gateway and the provider do; they
// match or exceed what OpenAI's own API accepts, so no client that works against OpenAI is
// refused (docs/security.md lists them).
const (
	MaxN               = 128       // choices per request (n)
	MaxEmbeddingInputs = 2048      // inputs per embeddings request
	MaxMessages        = 2048      // messages per chat request
	MaxTools           = 128       // tools per chat request
	MaxToolCalls       = 2048      // tool calls per assistant message
	MaxTokens          = 1_000_000 // max_tokens and max_completion_tokens
)

// roles are the message roles providers understand.
var roles = map[string]bool{"system": true, "user": true, "assistant": true, "tool": true, "developer": true}

func decode(t gateway.EndpointType, body []byte, lenientStop bool) (*Request, *gateway.Error) {
	fields, err := objectFields(body)
	if err != nil {
		return nil, err
	}
	delete(fields, "model")
	d := decoder{fields: fields, lenientStop: lenientStop}
	switch t {
	case gateway.TypeChat:
		return d.chat()
	case gateway.TypeCompletions:
		return d.completion()
	case gateway.TypeEmbeddings:
		return d.embeddings()
	}
	return nil, gateway.Errorf(gateway.CodeInvalid, "unsupported endpoint type %q", t)
}

// objectFields splits a JSON object into its raw members (see jsonobj.Split).
func objectFields(body []byte) (map[string]json.RawMessage, *gateway.Error) {
	fields, err := jsonobj.Split(body)
	if errors.Is(err, jsonobj.ErrNotObject) {
		return nil, unprocessable("", "Input should be a valid JSON object")
	}
	if err != nil {
		return nil, &gateway.Error{Code: gateway.CodeUnprocessable, Message: jsonobj.ErrorText(err, jsonobj.Lead(body)), Err: err}
	}
	return fields, nil
}

// ModelName reads the OpenAI-style "model" member that names the endpoint, with the same
// precise errors as Decode (the surface maps them to its status). It reads the body the way
// encoding/json decodes it into a struct with one field "model" (a key matching it in any
// case, the last such member winning), in one pass without reflection; whatever its scanner
// declines, encoding/json reads, so the errors of a malformed body are encoding/json's.
func ModelName(body []byte) (string, *gateway.Error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return "", unprocessable("", "Request body must be a JSON object")
	}
	raw, ok := modelMember(trimmed)
	if !ok {
		var m struct {
			Model json.RawMessage `json:"model"`
		}
		if err := json.Unmarshal(trimmed, &m); err != nil {
			return "", &gateway.Error{Code: gateway.CodeUnprocessable, Message: jsonobj.ErrorText(err, jsonobj.Lead(body)), Err: err}
		}
		raw = m.Model
	}
	var name string
	s := jsonobj.NewScanner(raw)
	if !s.Str(&name) || !s.AtEnd() || name == "" {
		return "", unprocessable("model", "model is required and must be a string naming an endpoint")
	}
	return name, nil
}

// modelMember is ModelName's scan: the value of the last member named "model" in any case
// (bytes.EqualFold: no non-ASCII letter folds to one of m, o, d, e, l, so this is also
// encoding/json's folding), nil when there is none; ok is false when the scanner declines.
func modelMember(body []byte) (raw []byte, ok bool) {
	s := jsonobj.NewScanner(body)
	ok = s.Object(func(key []byte) bool {
		if !bytes.EqualFold(key, []byte("model")) {
			return s.Skip()
		}
		var ok bool
		raw, ok = s.Value()
		return ok
	})
	return raw, ok && s.AtEnd()
}

func unprocessable(field, msg string) *gateway.Error {
	return &gateway.Error{Code: gateway.CodeUnprocessable, Field: field, Message: msg}
}

// decoder takes named fields out of the member map; whatever is left becomes Extra.
type decoder struct {
	fields      map[string]json.RawMessage
	lenientStop bool
}

// take removes and returns a field; absent and JSON null both report ok=false.
func (d *decoder) take(name string) (json.RawMessage, bool) {
	raw, ok := d.fields[name]
	if !ok {
		return nil, false
	}
	delete(d.fields, name)
	if jsonobj.Null(raw) {
		return nil, false
	}
	return raw, true
}

// value takes a field as a T; absent and JSON null both report ok=false, a value of another
// type an error for the caller to word.
func value[T any](d *decoder, name string) (v T, ok bool, err error) {
	v, ok, err = jsonobj.Value[T](d.fields, name)
	delete(d.fields, name)
	return v, ok, err
}

// extra returns the remaining fields, nil when there are none.
func (d *decoder) extra() map[string]json.RawMessage {
	if len(d.fields) == 0 {
		return nil
	}
	return d.fields
}

func (d *decoder) chat() (*Request, *gateway.Error) {
	c := &ChatRequest{}
	raw, ok := d.take("messages")
	if !ok {
		return nil, unprocessable("messages", "Field required")
	}
	var err *gateway.Error
	if c.Messages, err = decodeMessages(raw); err != nil {
		return nil, err
	}
	if raw, ok := d.take("tools"); ok {
		if c.Tools, err = decodeList[Tool](raw, "tools", 1, MaxTools); err != nil {
			return nil, err
		}
	}
	if raw, ok := d.take("tool_choice"); ok {
		c.ToolChoice = &ToolChoice{}
		if err := decodeValue(raw, "tool_choice", c.ToolChoice); err != nil {
			return nil, err
		}
	}
	if err := d.params(&c.Params); err != nil {
		return nil, err
	}
	c.Extra = d.extra()
	return &Request{Type: gateway.TypeChat, Chat: c}, nil
}

func (d *decoder) completion() (*Request, *gateway.Error) {
	c := &CompletionRequest{}
	prompt, ok, err := value[string](d, "prompt")
	if err != nil {
		return nil, unprocessable("prompt", "Input should be a valid string")
	}
	if !ok {
		return nil, unprocessable("prompt", "Field required")
	}
	c.Prompt = prompt
	if err := d.params(&c.Params); err != nil {
		return nil, err
	}
	c.Extra = d.extra()
	return &Request{Type: gateway.TypeCompletions, Completion: c}, nil
}

func (d *decoder) embeddings() (*Request, *gateway.Error) {
	e := &EmbeddingsRequest{}
	raw, ok := d.take("input")
	if !ok {
		return nil, unprocessable("input", "Field required")
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		e.Input, e.InputIsString = []string{one}, true
	} else if json.Unmarshal(raw, &e.Input) != nil || len(e.Input) == 0 {
		return nil, unprocessable("input", "Input should be a valid string or a non-empty list of strings")
	} else if len(e.Input) > MaxEmbeddingInputs {
		return nil, unprocessable("input", "List should have at most "+strconv.Itoa(MaxEmbeddingInputs)+" items, not "+strconv.Itoa(len(e.Input)))
	}
	d.take("stream")
	d.take("stream_options")
	e.Extra = d.extra()
	return &Request{Type: gateway.TypeEmbeddings, Embeddings: e}, nil
}

// wireMessage mirrors Message with content kept raw so its type can be checked.
type wireMessage struct {
	Role       *string        `json:"role"`
	Content    jsonobj.RawRef `json:"content"`
	Name       *string        `json:"name"`
	ToolCalls  jsonobj.RawRef `json:"tool_calls"`
	ToolCallID *string        `json:"tool_call_id"`
}

func decodeMessages(raw json.RawMessage) ([]Message, *gateway.Error) {
	wire, ok := jsonobj.Items(raw)
	if !ok {
		return nil, unprocessable("messages", "Input should be a valid list")
	}
	if len(wire) == 0 {
		return nil, unprocessable("messages", "List should have at least 1 item after validation, not 0")
	}
	if len(wire) > MaxMessages {
		return nil, unprocessable("messages", "List should have at most "+strconv.Itoa(MaxMessages)+" items, not "+strconv.Itoa(len(wire)))
	}
	out := make([]Message, len(wire))
	for i, w := range wire {
		field := func() string { return "messages." + strconv.Itoa(i) }
		m, ok := readMessage(w)
		if !ok {
			return nil, unprocessable(field(), "Input should be a valid message object")
		}
		if m.Role == nil {
			return nil, unprocessable(field()+".role", "Field required")
		}
		if !roles[*m.Role] {
			return nil, unprocessable(field()+".role", "Input should be 'system', 'user', 'assistant', 'tool' or 'developer'")
		}
		if len(m.Content) > 0 && !isContent(json.RawMessage(m.Content)) {
			return nil, unprocessable(field()+".content", "Input should be a string, a list of content parts or null")
		}
		out[i] = Message{Role: *m.Role, Content: json.RawMessage(m.Content)}
		if !Absent(json.RawMessage(m.ToolCalls)) {
			var err *gateway.Error
			if out[i].ToolCalls, err = decodeList[ToolCall](json.RawMessage(m.ToolCalls), field()+".tool_calls", 0, MaxToolCalls); err != nil {
				return nil, err
			}
		}
		if m.Name != nil {
			out[i].Name = *m.Name
		}
		if m.ToolCallID != nil {
			out[i].ToolCallID = *m.ToolCallID
		}
	}
	return out, nil
}

// readMessage reads one item of messages, which must be an object.
func readMessage(raw []byte) (m wireMessage, ok bool) {
	if m.decode(raw) {
		return m, true
	}
	return unmarshalMessage(raw)
}

// unmarshalMessage is readMessage through encoding/json, apart (and not inlined) so that
// readMessage's message stays on the stack.
//
//go:noinline
func unmarshalMessage(raw []byte) (m wireMessage, ok bool) {
	ok = firstByte(raw) == '{' && json.Unmarshal(raw, &m) == nil
	return m, ok
}

// decode is json.Unmarshal of one message object without reflection; false leaves it to
// encoding/json (FuzzWireMessageFastPathMatchesEncodingJSON).
func (m *wireMessage) decode(raw []byte) bool {
	s := jsonobj.NewScanner(raw)
	ok := s.ObjectOnce(func(key []byte) bool {
		var ok bool
		switch string(key) {
		case "role":
			return s.StrPtr(&m.Role)
		case "content":
			m.Content, ok = s.Value()
			return ok
		case "name":
			return s.StrPtr(&m.Name)
		case "tool_calls":
			m.ToolCalls, ok = s.Value()
			return ok
		case "tool_call_id":
			return s.StrPtr(&m.ToolCallID)
		}
		return s.Unknown(key, "role", "content", "name", "tool_calls", "tool_call_id")
	})
	return ok && s.AtEnd()
}

func firstByte(raw json.RawMessage) byte {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return 0
	}
	return t[0]
}

func isContent(raw json.RawMessage) bool {
	switch firstByte(raw) {
	case '"', '[', 'n':
		return true
	}
	return false
}

// decodeList reads a JSON list of at least lo and at most hi items, each decoded by its
// UnmarshalJSON; an item's error names it by index (field.N). An empty list gives nil.
func decodeList[T any, P interface {
	*T
	json.Unmarshaler
}](raw json.RawMessage, field string, lo, hi int) ([]T, *gateway.Error) {
	var items []jsonobj.RawRef
	if firstByte(raw) != '[' || json.Unmarshal(raw, &items) != nil {
		return nil, unprocessable(field, "Input should be a valid list")
	}
	if len(items) < lo {
		return nil, unprocessable(field, "List should have at least "+strconv.Itoa(lo)+" item after validation, not "+strconv.Itoa(len(items)))
	}
	if len(items) > hi {
		return nil, unprocessable(field, "List should have at most "+strconv.Itoa(hi)+" items, not "+strconv.Itoa(len(items)))
	}
	if len(items) == 0 {
		return nil, nil
	}
	out := make([]T, len(items))
	for i, item := range items {
		if err := decodeValue(json.RawMessage(item), field+"."+strconv.Itoa(i), P(&out[i])); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// decodeValue reads raw with v's own UnmarshalJSON, its error naming field.
func decodeValue(raw json.RawMessage, field string, v json.Unmarshaler) *gateway.Error {
	if err := v.UnmarshalJSON(raw); err != nil {
		return unprocessable(field, err.Error())
	}
	return nil
}

// params takes the generation parameters shared by chat and completions.
func (d *decoder) params(p *Params) *gateway.Error {
	var err *gateway.Error
	if p.Temperature, err = d.number("temperature", 0, 2); err != nil {
		return err
	}
	if p.TopP, err = d.number("top_p", 0, 1); err != nil {
		return err
	}
	if p.N, err = d.positiveInt("n", MaxN); err != nil {
		return err
	}
	if p.MaxTokens, err = d.positiveInt("max_tokens", MaxTokens); err != nil {
		return err
	}
	if err = d.checkPositiveIntExtra("max_completion_tokens", MaxTokens); err != nil {
		return err
	}
	if p.Stop, err = d.stop(); err != nil {
		return err
	}
	var bad error
	if p.Stream, _, bad = value[bool](d, "stream"); bad != nil {
		return unprocessable("stream", "Input should be a valid boolean")
	}
	if raw, ok := d.take("response_format"); ok {
		p.ResponseFormat = &ResponseFormat{}
		if err := decodeValue(raw, "response_format", p.ResponseFormat); err != nil {
			return err
		}
	}
	if raw, ok := d.take("stream_options"); ok {
		p.StreamOptions = &StreamOptions{}
		if firstByte(raw) != '{' || json.Unmarshal(raw, p.StreamOptions) != nil {
			return unprocessable("stream_options", "Input should be a valid object with boolean include_usage")
		}
	}
	return nil
}

// number takes a float field bounded to [lo, hi].
func (d *decoder) number(name string, lo, hi float64) (*float64, *gateway.Error) {
	v, ok, err := value[float64](d, name)
	if err != nil {
		return nil, unprocessable(name, "Input should be a valid number")
	}
	if !ok {
		return nil, nil
	}
	if v < lo || v > hi {
		return nil, unprocessable(name, "Input should be between "+fmtFloat(lo)+" and "+fmtFloat(hi))
	}
	out := v // a copy, so that v is not on the heap when absent
	return &out, nil
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// positiveInt takes an integer field that must be in [1, hi]. Integral floats (1.0) pass, as
// in pydantic's lax mode.
func (d *decoder) positiveInt(name string, hi int) (*int, *gateway.Error) {
	f, ok, err := value[float64](d, name)
	if !ok && err == nil {
		return nil, nil
	}
	if err != nil || f != math.Trunc(f) || f > math.MaxInt32 {
		return nil, unprocessable(name, "Input should be a valid integer")
	}
	if f < 1 {
		return nil, unprocessable(name, "Input should be greater than or equal to 1")
	}
	if f > float64(hi) {
		return nil, unprocessable(name, "Input should be less than or equal to "+strconv.Itoa(hi))
	}
	v := int(f)
	return &v, nil
}

// checkPositiveIntExtra validates a field that is forwarded as is (kept in Extra).
func (d *decoder) checkPositiveIntExtra(name string, hi int) *gateway.Error {
	raw := d.fields[name]
	if !jsonobj.Present(d.fields, name) {
		return nil
	}
	if _, err := d.positiveInt(name, hi); err != nil {
		return err
	}
	d.fields[name] = raw
	return nil
}

func (d *decoder) stop() ([]string, *gateway.Error) {
	raw, ok := d.take("stop")
	if !ok {
		return nil, nil
	}
	var one string
	if d.lenientStop && json.Unmarshal(raw, &one) == nil {
		return []string{one}, nil
	}
	var list []string
	if json.Unmarshal(raw, &list) != nil || firstByte(raw) != '[' {
		return nil, unprocessable("stop", "Input should be a valid list of strings")
	}
	if len(list) == 0 {
		return nil, unprocessable("stop", "List should have at least 1 item after validation, not 0")
	}
	return list, nil
}
