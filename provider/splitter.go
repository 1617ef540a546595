package provider

import "github.com/llmgate/llmgate/llm"

// Splitter is implemented by translators whose provider cannot serve some requests in one
// upstream call (e.g. Bedrock Titan embeddings take one input per call). The pipeline asks
// Split for the calls to make (one call means "as is"), sends each with Request/Response, and
// combines the answers with Merge, in the order Split returned them.
type Splitter interface {
	Split(c *Call) []*Call
	Merge(c *Call, parts []*llm.Response) (*llm.Response, error)
}
