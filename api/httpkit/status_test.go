package httpkit

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

func TestStatusPrefersCarriedStatusThenOverrideThenTable(t *testing.T) {
	over := map[gateway.Code]int{gateway.CodeNotFound: http.StatusBadRequest}
	cases := []struct {
		err  *gateway.Error
		want int
	}{
		{&gateway.Error{Code: gateway.CodeNotFound}, http.StatusBadRequest},
		{&gateway.Error{Code: gateway.CodeNotFound, Status: http.StatusTeapot}, http.StatusTeapot},
		{&gateway.Error{Code: gateway.CodeUnprocessable}, http.StatusUnprocessableEntity},
		{&gateway.Error{Code: gateway.CodeTimeout}, http.StatusGatewayTimeout},
		{&gateway.Error{Code: gateway.CodeInternal}, http.StatusInternalServerError},
		{&gateway.Error{Code: "made-up"}, http.StatusInternalServerError},
	}
	for _, c := range cases {
		if got := Status(c.err, over); got != c.want {
			t.Errorf("Status(%s, status %d) = %d, want %d", c.err.Code, c.err.Status, got, c.want)
		}
	}
}

func TestRetryAfterRoundsUpWithAOneSecondFloor(t *testing.T) {
	cases := []struct {
		status int
		wait   time.Duration
		want   string
	}{
		{http.StatusTooManyRequests, 0, "1"},
		{http.StatusTooManyRequests, 200 * time.Millisecond, "1"},
		{http.StatusTooManyRequests, 1500 * time.Millisecond, "2"},
		{http.StatusServiceUnavailable, 3 * time.Second, "3"},
		{http.StatusServiceUnavailable, 0, ""},
	}
	for _, c := range cases {
		w := httptest.NewRecorder()
		SetRetryAfter(w, c.status, c.wait)
		if got := w.Header().Get("Retry-After"); got != c.want {
			t.Errorf("SetRetryAfter(%d, %v) = %q, want %q", c.status, c.wait, got, c.want)
		}
	}
}
