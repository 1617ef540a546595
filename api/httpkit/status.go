package httpkit

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

// statuses is the one table from error code to HTTP status. Every surface starts from it and
// names only the codes its clients read differently (Status's overrides), so a new code or a
// changed meaning is decided once.
var statuses = map[gateway.Code]int{
	gateway.CodeInvalid:         http.StatusBadRequest,
	gateway.CodeConflict:        http.StatusBadRequest, // no Domino or MLflow operation declares 409
	gateway.CodeUnprocessable:   http.StatusUnprocessableEntity,
	gateway.CodeUnauthenticated: http.StatusUnauthorized,
	gateway.CodeForbidden:       http.StatusForbidden,
	gateway.CodeNotFound:        http.StatusNotFound,
	gateway.CodeTooLarge:        http.StatusRequestEntityTooLarge,
	gateway.CodeRateLimited:     http.StatusTooManyRequests,
	gateway.CodeUpstream:        http.StatusBadGateway,
	gateway.CodeTimeout:         http.StatusGatewayTimeout,
	gateway.CodeUnavailable:     http.StatusServiceUnavailable,
}

// Status is err's HTTP status: the status the error carries if any, else the surface's override
// for its code, else the shared table; an unknown code is 500.
func Status(err *gateway.Error, overrides map[gateway.Code]int) int {
	if err.Status != 0 {
		return err.Status
	}
	if s, ok := overrides[err.Code]; ok {
		return s
	}
	if s, ok := statuses[err.Code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// SetRetryAfter is the one Retry-After rule: written when the error carries a wait or the status
// is 429, in whole seconds rounded up and never below 1 (a client reading 0 would retry at once).
func SetRetryAfter(w http.ResponseWriter, status int, wait time.Duration) {
	if wait <= 0 && status != http.StatusTooManyRequests {
		return
	}
	secs := int64(math.Ceil(wait.Seconds()))
	w.Header().Set("Retry-After", strconv.FormatInt(max(secs, 1), 10))
}
