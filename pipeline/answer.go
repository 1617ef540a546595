package pipeline

import (
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
)

// The pipeline decides what a query's answer is and when each part of it goes out; how it
// is written is the surface side's (for HTTP, httpkit.ServeQuery). So the core takes plain
// values in — a context, the Query with its Caller and Body — and speaks through a Sink.

// Body is a query's request body as the surface holds it. The pipeline reads it only once
// the caller may query the endpoint and the body has its share of the budget (admission.go).
type Body interface {
	// Size is the declared length in bytes, -1 when unknown.
	Size() int64
	// Read reads the whole body; past the surface's limit (MaxBodyBytes) it fails with
	// gateway.CodeTooLarge.
	Read() ([]byte, error)
}

// Sink is where a query's answer goes, implemented by the surface side. Exactly one of Error,
// Answer or StartStream is called per query, Receipt before it when the access event was
// written (and again at a stream's end).
type Sink interface {
	// Receipt carries the committed access event's receipt (Receipt) with the answer; after
	// StartStream it goes out after the last frame (HTTP: a trailer).
	Receipt(value string)
	// Error answers err with status in the surface's envelope (Retry-After when due).
	Error(status int, err *gateway.Error)
	// Answer writes a complete answer (status 200) in the surface's shape.
	Answer(resp *llm.Response)
	// StartStream begins a streamed answer (status 200, an event stream).
	StartStream()
	// Frame writes frames of the stream and flushes them at once; an error means the client
	// is gone.
	Frame(p []byte) error
	// Abort marks the answer broken after the stream started, on a surface with no in-band
	// error frame: the client must not read what it got as complete (HTTP: the connection is
	// aborted once Serve returns).
	Abort()
}

// Result is what Serve tells the surface side about a query for its access log line.
type Result struct {
	// Endpoint is the endpoint's name, "" unless it exists (made-up names stay out of logs
	// and metrics); User the caller's user name once authenticated.
	Endpoint, User string
	// Outcome is how the query ended (gateway.Outcome… or unauthenticated / not_found).
	Outcome string
	// Status is the answer's HTTP status (499: the client left).
	Status int
}

// noBody is the Body of a query whose surface passed none.
type noBody struct{}

func (noBody) Size() int64           { return 0 }
func (noBody) Read() ([]byte, error) { return nil, nil }
