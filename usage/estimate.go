package usage

import (
	"strings"
	"sync"

	"github.com/tiktoken-go/tokenizer/codec"
)

// Estimates count tokens the provider did not report — a stream the client cancelled or that
// broke before the provider's usage arrived — so the prompt and the completion already sent
// are still metered and charged. OpenAI-family models are counted with their own BPE encoding
// (o200k_base for the GPT-4o, GPT-4.1, GPT-5 and o-series models, cl100k_base for the rest);
// every other model is counted with cl100k_base as an approximation. Either way the access
// event marks the counts as estimated. The vocabularies load on first use (a few MB), never at
// start-up.

var (
	o200k = sync.OnceValue(func() *codec.Codec { return codec.NewO200kBase() })
	cl100 = sync.OnceValue(func() *codec.Codec { return codec.NewCl100kBase() })
)

// EstimateTokens counts text's tokens for model.
func EstimateTokens(model, text string) int64 {
	if text == "" {
		return 0
	}
	c := cl100()
	if o200kModel(model) {
		c = o200k()
	}
	n, err := c.Count(text)
	if err != nil {
		return int64(len(text)+3) / 4 // the common rule of thumb: four bytes a token
	}
	return int64(n)
}

func o200kModel(model string) bool {
	m := strings.ToLower(model)
	for _, p := range []string{"gpt-4o", "gpt-4.1", "gpt-5", "o1", "o3", "o4", "chatgpt-4o"} {
		if strings.HasPrefix(m, p) || strings.Contains(m, "/"+p) {
			return true
		}
	}
	return false
}
