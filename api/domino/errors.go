package domino

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/llmgate/llmgate/api/httpkit"
	"github.com/llmgate/llmgate/gateway"
)

// errorBody is the one error envelope of the Domino routes (docs/contract/domino-aigateway.md §5.2): `error` satisfies the
// 400/404/500 schemas, `errors` + `requestId` satisfy FailureEnvelopeV1 (401/403), and v4
// routes add `message` (domino.api.ErrorResponse).
type errorBody struct {
	Error     string   `json:"error"`
	Errors    []string `json:"errors"`
	RequestID string   `json:"requestId"`
	Message   string   `json:"message,omitempty"`
}

// statusOf maps an error to the status Domino's clients expect: the shared table, except that
// failures of ours or of a dependency are 500, the only server error Domino declares.
func statusOf(e *gateway.Error) int { return httpkit.Status(e, statusOverrides) }

var statusOverrides = map[gateway.Code]int{
	gateway.CodeUpstream:    http.StatusInternalServerError,
	gateway.CodeTimeout:     http.StatusInternalServerError,
	gateway.CodeUnavailable: http.StatusInternalServerError,
}

type v4Key struct{}

// v4 marks a request as one of the internal v4 routes, whose error body carries `message`.
func (h *api) v4(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		next(w, r.WithContext(context.WithValue(r.Context(), v4Key{}, true)))
	}
}

// writeError renders err. Server-side failures get a generic message; their cause goes to
// the log (log may be nil for errors that are always the caller's).
func writeError(w http.ResponseWriter, r *http.Request, err error, log *slog.Logger) {
	e := gateway.AsError(err)
	status := statusOf(e)
	msg := e.Message
	if status == http.StatusInternalServerError {
		if log != nil {
			log.Error("domino API request failed", "requestId", requestID(w, r), "path", r.URL.Path, "err", err)
		}
		msg = "internal error"
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="llmgate"`)
	}
	httpkit.SetRetryAfter(w, status, e.RetryAfter)
	body := errorBody{Error: msg, Errors: []string{msg}, RequestID: requestID(w, r)}
	if v4, _ := r.Context().Value(v4Key{}).(bool); v4 {
		body.Message = msg
	}
	httpkit.WriteJSON(w, status, body)
}

// requestID returns the request's id, which httpkit.Middleware also put in X-Request-Id.
// Mounted without the middleware, a fresh id is made and set so body and header still agree.
func requestID(w http.ResponseWriter, r *http.Request) string {
	if id := w.Header().Get("X-Request-Id"); id != "" {
		return id
	}
	id := httpkit.RequestID(r.Context())
	if id == "" {
		id = gateway.NewRequestID()
	}
	w.Header().Set("X-Request-Id", id)
	return id
}

// metadata is MetadataV1.
type metadata struct {
	RequestID string   `json:"requestId"`
	Notices   []string `json:"notices"`
}

// pagination is PaginationV1, mirrored inside PaginatedMetadataV1 (docs/contract/domino-aigateway.md §8 U9).
type pagination struct {
	Offset     int `json:"offset"`
	Limit      int `json:"limit"`
	TotalCount int `json:"totalCount"`
}

// pagedMetadata is PaginatedMetadataV1: flat keys plus the mirror object.
type pagedMetadata struct {
	RequestID  string     `json:"requestId"`
	Notices    []string   `json:"notices"`
	Offset     int        `json:"offset"`
	Limit      int        `json:"limit"`
	TotalCount int        `json:"totalCount"`
	Pagination pagination `json:"pagination"`
}

func newMetadata(w http.ResponseWriter, r *http.Request) metadata {
	return metadata{RequestID: requestID(w, r), Notices: []string{}}
}

func newPagedMetadata(w http.ResponseWriter, r *http.Request, pg page, total int) pagedMetadata {
	return pagedMetadata{RequestID: requestID(w, r), Notices: []string{}, Offset: pg.offset, Limit: pg.limit,
		TotalCount: total, Pagination: pagination{Offset: pg.offset, Limit: pg.limit, TotalCount: total}}
}
