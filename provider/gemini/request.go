package gemini

import (
	"encoding/json"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
)

// Translator speaks the Gemini wire. Provider names the provider in client-facing errors;
// Locate decides URL and auth (Google AI key or Vertex OAuth).
type Translator struct {
	Provider   string
	Locate     Locator
	Embeddings EmbeddingsWire
}

// EmbeddingsWire picks the embeddings API: Google AI batches with batchEmbedContents, Vertex
// AI serves embedding models through predict.
type EmbeddingsWire int

const (
	BatchEmbedContents EmbeddingsWire = iota
	VertexPredict
)

// part is one member of Gemini's Part oneof; MarshalJSON (tools.go) writes only the member set.
type part struct {
	Text             string            `json:"text"`
	Thought          bool              `json:"thought,omitempty"`
	FunctionCall     *functionCall     `json:"functionCall,omitempty"`
	FunctionResponse *functionResponse `json:"functionResponse,omitempty"`
}

type content struct {
	Role  string `json:"role,omitempty"`
	Parts []part `json:"parts"`
}

// generationConfig holds the knobs Gemini accepts under generationConfig; the OpenAI-style
// names MLflow callers send are mapped here (MLflow's GENERATION_CONFIG_KEY_MAPPING).
type generationConfig struct {
	Temperature      *float64        `json:"temperature,omitempty"`
	TopP             *float64        `json:"topP,omitempty"`
	TopK             json.RawMessage `json:"topK,omitempty"`
	CandidateCount   *int            `json:"candidateCount,omitempty"`
	MaxOutputTokens  *int            `json:"maxOutputTokens,omitempty"`
	StopSequences    []string        `json:"stopSequences,omitempty"`
	PresencePenalty  json.RawMessage `json:"presencePenalty,omitempty"`
	FrequencyPenalty json.RawMessage `json:"frequencyPenalty,omitempty"`
	Seed             json.RawMessage `json:"seed,omitempty"`
	ResponseMimeType string          `json:"responseMimeType,omitempty"`
	ResponseSchema   json.RawMessage `json:"responseJsonSchema,omitempty"`
}

func (g *generationConfig) empty() bool {
	b, _ := json.Marshal(g)
	return string(b) == "{}"
}

// nativeFields are top-level Gemini request fields a caller may send as extras; they pass
// through untouched. Other unknown extras are dropped, as MLflow's Gemini provider does,
// because Gemini rejects unknown fields with a 400.
var nativeFields = []string{"safetySettings", "cachedContent", "toolConfig", "labels"}

func (t *Translator) Request(c *provider.Call) (*provider.HTTPRequest, error) {
	switch c.Type {
	case gateway.TypeChat, gateway.TypeCompletions:
		return t.generateRequest(c)
	case gateway.TypeEmbeddings:
		return t.embedRequest(c)
	}
	return nil, t.unsupported(c.Type)
}

func (t *Translator) unsupported(typ gateway.EndpointType) *gateway.Error {
	return gateway.Errorf(gateway.CodeInvalid, "provider %q does not support endpoint type %q", t.Provider, typ)
}

func (t *Translator) generateRequest(c *provider.Call) (*provider.HTTPRequest, error) {
	body, err := t.generateBody(c)
	if err != nil {
		return nil, err
	}
	method := MethodGenerate
	if c.Req.Stream() {
		method = MethodStream
	}
	return t.post(c, method, body)
}

func (t *Translator) post(c *provider.Call, method string, body any) (*provider.HTTPRequest, error) {
	loc, err := t.Locate(c, method)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, gateway.Wrap(gateway.CodeInternal, err, "encoding the upstream request failed")
	}
	loc.Header.Set("Content-Type", "application/json")
	return &provider.HTTPRequest{Method: "POST", URL: loc.URL, Header: loc.Header, Body: b, Sign: loc.Sign}, nil
}

// generateBody builds a GenerateContentRequest. Completions are one user turn, as in MLflow.
func (t *Translator) generateBody(c *provider.Call) (map[string]any, error) {
	messages, err := t.messages(c.Req)
	if err != nil {
		return nil, err
	}
	system, contents, err := t.contents(messages)
	if err != nil {
		return nil, err
	}
	body := map[string]any{"contents": contents}
	if system != nil {
		body["systemInstruction"] = system
	}
	if c.Req.Chat != nil {
		addTools(body, c.Req.Chat)
	}
	extra := c.Req.ExtraFields()
	gc, err := t.generationConfig(c.Req.Params(), extra)
	if err != nil {
		return nil, err
	}
	if !gc.empty() {
		body["generationConfig"] = gc
	}
	for _, k := range nativeFields {
		if v, ok := extra[k]; ok {
			body[k] = v
		}
	}
	return body, nil
}

func (t *Translator) messages(r *llm.Request) ([]llm.Message, error) {
	if r.Completion != nil {
		return []llm.Message{{Role: "user", Content: llm.StringContent(r.Completion.Prompt)}}, nil
	}
	if r.Chat == nil {
		return nil, gateway.Errorf(gateway.CodeInvalid, "provider %q needs a chat or completions request", t.Provider)
	}
	return r.Chat.Messages, nil
}

// contents maps OpenAI roles onto Gemini's: system turns are hoisted into systemInstruction
// (in order), assistant becomes model, tool results become functionResponse parts of a user
// turn, and consecutive turns of one role are merged into one content with several parts so
// the history alternates as Gemini expects. Empty text is skipped: Gemini rejects empty text
// parts.
func (t *Translator) contents(messages []llm.Message) (*content, []content, error) {
	var system *content
	var out []content
	names := map[string]string{} // tool call id → function name, from earlier assistant turns
	for i := range messages {
		role, parts, err := t.turn(i, &messages[i], names)
		if err != nil {
			return nil, nil, err
		}
		switch {
		case len(parts) == 0:
		case role == "system":
			if system == nil {
				system = &content{}
			}
			system.Parts = append(system.Parts, parts...)
		case len(out) > 0 && out[len(out)-1].Role == role:
			out[len(out)-1].Parts = append(out[len(out)-1].Parts, parts...)
		default:
			out = append(out, content{Role: role, Parts: parts})
		}
	}
	if len(out) == 0 {
		return nil, nil, gateway.Errorf(gateway.CodeInvalid, "provider %q: the request has no user or assistant message with text", t.Provider)
	}
	return system, out, nil
}

// turn translates one message into its Gemini role and parts.
func (t *Translator) turn(i int, m *llm.Message, names map[string]string) (string, []part, error) {
	if m.Role == "tool" {
		p, err := t.resultPart(i, m, names)
		return "user", []part{p}, err
	}
	text, ok := m.Text()
	if !ok {
		return "", nil, gateway.Errorf(gateway.CodeInvalid, "provider %q: messages[%d] has content parts other than text", t.Provider, i)
	}
	role, err := t.role(m.Role, i)
	if err != nil {
		return "", nil, err
	}
	var parts []part
	if text != "" {
		parts = append(parts, part{Text: text})
	}
	if len(m.ToolCalls) == 0 {
		return role, parts, nil
	}
	if role != "model" {
		return "", nil, gateway.Errorf(gateway.CodeInvalid, "provider %q: messages[%d] has tool_calls but is not an assistant message", t.Provider, i)
	}
	return role, append(parts, callParts(m.ToolCalls, names)...), nil
}

func (t *Translator) role(role string, i int) (string, error) {
	switch role {
	case "user":
		return "user", nil
	case "assistant", "model":
		return "model", nil
	case "system", "developer":
		return "system", nil
	}
	return "", gateway.Errorf(gateway.CodeInvalid, "provider %q: messages[%d] has unsupported role %q", t.Provider, i, role)
}

func (t *Translator) generationConfig(p *llm.Params, extra map[string]json.RawMessage) (*generationConfig, error) {
	gc := &generationConfig{
		Temperature:      p.Temperature,
		TopP:             p.TopP,
		CandidateCount:   p.N,
		MaxOutputTokens:  p.MaxTokens,
		StopSequences:    p.Stop,
		TopK:             extra["top_k"],
		PresencePenalty:  extra["presence_penalty"],
		FrequencyPenalty: extra["frequency_penalty"],
		Seed:             extra["seed"],
	}
	if gc.MaxOutputTokens == nil {
		if err := decodeExtra(extra, "max_completion_tokens", &gc.MaxOutputTokens); err != nil {
			return nil, err
		}
	}
	if f := p.ResponseFormat; f != nil && f.Type != llm.FormatText {
		gc.ResponseMimeType = "application/json" // Gemini's JSON mode
		if f.Schema != nil {
			gc.ResponseSchema = f.Schema.Schema
		}
	}
	return gc, nil
}

func decodeExtra(extra map[string]json.RawMessage, key string, into any) error {
	v, ok := extra[key]
	if !ok {
		return nil
	}
	if err := json.Unmarshal(v, into); err != nil {
		e := gateway.Wrap(gateway.CodeInvalid, err, "invalid "+key)
		e.Field = key
		return e
	}
	return nil
}
