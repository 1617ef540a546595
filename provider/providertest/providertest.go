// Package providertest holds helpers shared by the providers' table tests.
package providertest

import (
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
)

// Decode feeds transcript to d in pieces of step bytes (0 or less: all at once), then calls
// End, and returns every chunk produced. Decoders must give the same result for any step.
func Decode(d provider.StreamDecoder, transcript string, step int) ([]llm.Chunk, error) {
	if step <= 0 {
		step = max(len(transcript), 1)
	}
	var out []llm.Chunk
	for i := 0; i < len(transcript); i += step {
		chunks, err := d.Feed([]byte(transcript[i:min(i+step, len(transcript))]))
		out = append(out, chunks...)
		if err != nil {
			return out, err
		}
	}
	chunks, err := d.End()
	return append(out, chunks...), err
}
