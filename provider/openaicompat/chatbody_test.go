package openaicompat

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/llmgate/llmgate/llm"
)

// chatBodyMarshalled is ChatBody with the request's members all through json.Marshal, as
// before chatParams.
func chatBodyMarshalled(model string, r *llm.ChatRequest) ([]byte, error) {
	msgs, err := messagePieces(r.Messages)
	if err != nil {
		return nil, err
	}
	shell := *r
	shell.Messages = nil
	named, err := members(&shell)
	if err != nil {
		return nil, err
	}
	return assemble(model, named, r.Extra, r.Stream, map[string][][]byte{"messages": msgs})
}

// FuzzChatBodyMatchesMarshal: ChatBody writes the same bytes, and fails alike, whether its
// parameters take chatParams or json.Marshal.
func FuzzChatBodyMatchesMarshal(f *testing.F) {
	f.Add(0.5, 1.0, 2, 100, "END", "\n<x>", uint8(0xff), true, `{"x":1}`)
	f.Add(1e-7, 1e21, -1, 0, "", "é", uint8(0x0f), false, `nul`)
	f.Add(math.Copysign(0, -1), 0.1+0.2, 1<<40, 1, "a\"b", "\\", uint8(0x1f), true, `"u"`)
	f.Fuzz(func(t *testing.T, temp, topP float64, n, maxTokens int, stop1, stop2 string, set uint8, stream bool, extra string) {
		r := &llm.ChatRequest{Messages: []llm.Message{{Role: "user", Content: llm.StringContent("hi")}}}
		if set&1 != 0 {
			r.Temperature = &temp
		}
		if set&2 != 0 {
			r.TopP = &topP
		}
		if set&4 != 0 {
			r.N = &n
		}
		if set&8 != 0 {
			r.MaxTokens = &maxTokens
		}
		if set&16 != 0 {
			r.Stop = []string{stop1, stop2}
		}
		if set&32 != 0 {
			r.Extra = map[string]json.RawMessage{"user": json.RawMessage(extra), "top_p": json.RawMessage(`3`)}
		}
		r.Stream = stream
		got, err := ChatBody("gpt", r)
		want, werr := chatBodyMarshalled("gpt", r)
		if string(got) != string(want) || (err == nil) != (werr == nil) || err != nil && err.Error() != werr.Error() {
			t.Fatalf("%+v: ChatBody %s (%v), marshalled %s (%v)", r.Params, got, err, want, werr)
		}
	})
}
