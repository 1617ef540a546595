package httpkit

import "context"

// RequestNote is what handlers learn about a request that its log line should carry: the
// caller, the endpoint and how the request ended. Middleware puts an empty note in the
// request's context; handlers fill it in.
type RequestNote struct {
	User     string
	Endpoint string
	Outcome  string
}

const noteKey ctxKey = 2

// Note returns the request's note, or a throwaway one outside Middleware, so handlers can
// always write to it.
func Note(ctx context.Context) *RequestNote {
	if n, ok := ctx.Value(noteKey).(*RequestNote); ok {
		return n
	}
	return &RequestNote{}
}

func withNote(ctx context.Context, n *RequestNote) context.Context {
	return context.WithValue(ctx, noteKey, n)
}
