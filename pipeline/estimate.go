package pipeline

import (
	"strings"

	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/usage"
)

// A stream that ends before the provider reports its usage (the client left, the upstream
// broke) is still metered: the prompt and the text already sent are counted with a tokenizer
// (usage.EstimateTokens) and the access event says usageEstimated. Cost per streamed request:
// appending the streamed text to one bounded buffer; the count itself runs only for the
// streams that need it.

// maxEstimatedText bounds the streamed text kept for an estimate; beyond it the count is
// scaled by the bytes sent.
const maxEstimatedText = 1 << 20

// keepSent records streamed text for a possible estimate.
func (x *exchange) keepSent(text string) {
	x.sentBytes += int64(len(text))
	if room := maxEstimatedText - x.sentText.Len(); room > 0 {
		x.sentText.WriteString(text[:min(len(text), room)])
	}
}

// estimateUsage fills the token counts a stream's provider did not report and says whether it
// did.
func (x *exchange) estimateUsage() bool {
	u := &x.usage
	if x.req == nil || !x.req.Stream() || !x.calledUpstream || u.PromptTokens != nil && u.CompletionTokens != nil {
		return false
	}
	model := x.ep.Model
	if u.PromptTokens == nil {
		n := usage.EstimateTokens(model, promptText(x.req))
		u.PromptTokens = &n
	}
	if u.CompletionTokens == nil {
		n := usage.EstimateTokens(model, x.sentText.String())
		if kept := int64(x.sentText.Len()); kept > 0 && x.sentBytes > kept {
			n = n * x.sentBytes / kept
		}
		u.CompletionTokens = &n
	}
	t := *u.PromptTokens + *u.CompletionTokens
	u.TotalTokens = &t
	return true
}

// promptText is the text a request sends the model: every message's text, or the prompt.
func promptText(r *llm.Request) string {
	switch {
	case r.Chat != nil:
		var b strings.Builder
		for i := range r.Chat.Messages {
			text, _ := r.Chat.Messages[i].Text()
			b.WriteString(text)
			b.WriteByte('\n')
		}
		return b.String()
	case r.Completion != nil:
		return r.Completion.Prompt
	}
	return ""
}
