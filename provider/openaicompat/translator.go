package openaicompat

import (
	"net/http"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
	"github.com/llmgate/llmgate/provider/kit"
)

// Translator is a provider.Translator for a server speaking OpenAI's wire. A provider supplies
// only where requests go and how they authenticate.
type Translator struct {
	// Provider names the provider in error messages, e.g. "mistral".
	Provider string
	// URL returns the full URL for the call; path is Path() of the effective endpoint type
	// (e.g. "/chat/completions"), to append to the provider's base.
	URL func(c *provider.Call, path string) (string, error)
	// Header sets authentication and other provider headers from c.Config. Optional.
	Header func(c *provider.Call, h http.Header) error
	// CompletionsViaChat serves llm/v1/completions through the chat API as one user message,
	// for providers without a legacy completions API.
	CompletionsViaChat bool
}

var _ provider.Translator = (*Translator)(nil)

// viaChat reports whether c is a completions call carried over chat.
func (t *Translator) viaChat(c *provider.Call) bool {
	return t.CompletionsViaChat && c.Type == gateway.TypeCompletions
}

// Request builds the upstream POST.
func (t *Translator) Request(c *provider.Call) (*provider.HTTPRequest, error) {
	body, path, err := t.body(c)
	if err != nil {
		return nil, err
	}
	url, err := t.URL(c, path)
	if err != nil {
		return nil, err
	}
	h := http.Header{"Content-Type": {"application/json"}}
	if c.Req.Stream() {
		h.Set("Accept", "text/event-stream")
	}
	if t.Header != nil {
		if err := t.Header(c, h); err != nil {
			return nil, err
		}
	}
	return &provider.HTTPRequest{Method: http.MethodPost, URL: url, Header: h, Body: body}, nil
}

func (t *Translator) body(c *provider.Call) ([]byte, string, error) {
	if t.viaChat(c) {
		if c.Req.Completion == nil {
			return nil, "", gateway.Errorf(gateway.CodeInvalid, "request does not match endpoint type %s", c.Type)
		}
		body, err := ChatBody(c.Model, kit.ChatFromPrompt(c.Req.Completion))
		return body, Path(gateway.TypeChat), err
	}
	body, err := Body(c)
	return body, Path(c.Type), err
}

// Response parses a complete 2xx body.
func (t *Translator) Response(c *provider.Call, body []byte) (*llm.Response, error) {
	if t.viaChat(c) {
		chat, err := ParseChat(c.Model, body)
		if err != nil {
			return nil, err
		}
		return &llm.Response{Completion: kit.CompletionFromChat(chat)}, nil
	}
	return ParseResponse(c.Type, c.Model, body)
}

// Stream decodes OpenAI SSE; chat deltas and legacy completion text both become Content.
func (t *Translator) Stream(*provider.Call) provider.StreamDecoder {
	return NewStreamDecoder(t.Provider)
}

// Error maps a non-2xx answer.
func (t *Translator) Error(_ *provider.Call, status int, header http.Header, body []byte) *gateway.Error {
	return kit.Error(t.Provider, status, header, body)
}
