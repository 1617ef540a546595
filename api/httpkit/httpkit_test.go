package httpkit

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/gateway"
)

func TestAPIKeyAcceptsEveryCredentialForm(t *testing.T) {
	basic := func(s string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name   string
		header map[string]string
		want   string
	}{
		{"domino header", map[string]string{"X-Domino-Api-Key": " k1 "}, "k1"},
		{"bearer", map[string]string{"Authorization": "Bearer k2"}, "k2"},
		{"bearer scheme is case-insensitive", map[string]string{"Authorization": "bearer   k3"}, "k3"},
		{"basic password", map[string]string{"Authorization": basic("alice:k4")}, "k4"},
		{"basic user name when the password is empty", map[string]string{"Authorization": basic("k5:")}, "k5"},
		{"basic that is not base64", map[string]string{"Authorization": "Basic !!!"}, ""},
		{"anthropic sdk", map[string]string{"X-Api-Key": "k6"}, "k6"},
		{"azure sdk", map[string]string{"Api-Key": "k7"}, "k7"},
		{"domino header wins over bearer", map[string]string{"X-Domino-Api-Key": "d", "Authorization": "Bearer b"}, "d"},
		{"bearer wins over x-api-key", map[string]string{"Authorization": "Bearer b", "X-Api-Key": "x"}, "b"},
		{"unknown scheme falls through", map[string]string{"Authorization": "Digest abc", "X-Api-Key": "x"}, "x"},
		{"nothing", map[string]string{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			if got := APIKey(r); got != tt.want {
				t.Fatalf("APIKey = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMiddlewareGivesEachRequestAnIDAndLogsWhatTheHandlerNoted(t *testing.T) {
	var logs bytes.Buffer
	h := Middleware(slog.New(slog.NewJSONHandler(&logs, nil)), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := Note(r.Context())
		n.User, n.Endpoint, n.Outcome = "alice", "chat", "success"
		w.Header().Set("X-Seen-Id", RequestID(r.Context()))
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, "hello")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/x", nil))
	id := rec.Header().Get("X-Request-Id")
	if id == "" || rec.Header().Get("X-Seen-Id") != id {
		t.Fatalf("request id %q, handler saw %q", id, rec.Header().Get("X-Seen-Id"))
	}
	var line map[string]any
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
		t.Fatalf("log line %q: %v", logs.String(), err)
	}
	for k, want := range map[string]any{"requestId": id, "method": "POST", "path": "/x", "status": float64(201),
		"user": "alice", "endpoint": "chat", "outcome": "success", "bytes": float64(5)} {
		if line[k] != want {
			t.Errorf("log %s = %v, want %v", k, line[k], want)
		}
	}
	if _, ok := line["durationMs"].(float64); !ok {
		t.Errorf("log has no durationMs: %v", line)
	}
}

func TestMiddlewareAnswersAPanicWith500AndKeepsServing(t *testing.T) {
	var logs bytes.Buffer
	h := Middleware(slog.New(slog.NewJSONHandler(&logs, nil)), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/boom" {
			panic(errors.New("boom"))
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/boom", nil))
	var body struct {
		Error, RequestID string
	}
	if rec.Code != http.StatusInternalServerError || json.Unmarshal(rec.Body.Bytes(), &body) != nil ||
		body.Error != "internal error" || body.RequestID != rec.Header().Get("X-Request-Id") {
		t.Fatalf("panic answered %d %s", rec.Code, rec.Body)
	}
	if !strings.Contains(logs.String(), "panic serving request") {
		t.Fatalf("the panic was not logged: %s", logs.String())
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/fine", nil))
	if rec.Code != http.StatusNoContent {
		t.Fatalf("after a panic the next request got %d", rec.Code)
	}
}

func code(err error) gateway.Code { return gateway.AsError(err).Code }

func TestReadBodyEnforcesTheLimit(t *testing.T) {
	declared := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(strings.Repeat("x", 11)))
	if _, err := ReadBody(declared, 10); code(err) != gateway.CodeTooLarge {
		t.Fatalf("declared 11 bytes over a limit of 10: %v", err)
	}
	chunked := httptest.NewRequest(http.MethodPost, "/", io.MultiReader(strings.NewReader(strings.Repeat("x", 11))))
	chunked.ContentLength = -1
	if _, err := ReadBody(chunked, 10); code(err) != gateway.CodeTooLarge {
		t.Fatalf("chunked 11 bytes over a limit of 10: %v", err)
	}
	short := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("abc"))
	short.ContentLength = 5
	if _, err := ReadBody(short, 10); code(err) != gateway.CodeInvalid {
		t.Fatalf("a body shorter than declared: %v", err)
	}
	ok := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("0123456789"))
	if b, err := ReadBody(ok, 10); err != nil || string(b) != "0123456789" {
		t.Fatalf("a body at the limit: %q, %v", b, err)
	}
}

func TestUnmarshalObjectNamesTheProblem(t *testing.T) {
	var v struct {
		Name  string `json:"name"`
		Count int    `json:"count"`
	}
	tests := map[string]string{
		"":                       "request body is empty",
		"[1]":                    "must be a JSON object",
		`{"name":`:               "unexpected end",
		`{"name" "x"}`:           "malformed JSON",
		`{"count":"many"}`:       "field count must be of type number",
		`{"name":"a"} {"x":1}`:   "data after the JSON object",
		`{"name":["not","str"]}`: "field name must be of type string",
	}
	for body, want := range tests {
		err := UnmarshalObject([]byte(body), &v)
		if code(err) != gateway.CodeInvalid || !strings.Contains(gateway.ErrorMessage(err), want) {
			t.Errorf("%q: %v; want CodeInvalid saying %q", body, err, want)
		}
	}
	if err := UnmarshalObject([]byte(` {"name":"a","count":2} `), &v); err != nil || v.Name != "a" || v.Count != 2 {
		t.Fatalf("a valid object: %+v, %v", v, err)
	}
}

func TestDecodeJSONObjectRefusesANonJSONContentType(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{}`))
	r.Header.Set("Content-Type", "text/plain")
	var v map[string]any
	if err := DecodeJSONObject(r, 0, &v); code(err) != gateway.CodeInvalid || !strings.Contains(gateway.ErrorMessage(err), "Content-Type") {
		t.Fatalf("text/plain: %v", err)
	}
}

// TestMiddlewareLogsAnAbortedResponseThenAbortsIt: a handler that aborts its response on
// purpose (a stream that broke with no error frame) still gets its log line, with what it
// noted, and the abort goes on to net/http.
func TestMiddlewareLogsAnAbortedResponseThenAbortsIt(t *testing.T) {
	var logs bytes.Buffer
	h := Middleware(slog.New(slog.NewJSONHandler(&logs, nil)), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := Note(r.Context())
		n.User, n.Endpoint, n.Outcome = "alice", "chat", "upstream_error"
		_, _ = io.WriteString(w, "data: partial\n\n")
		panic(http.ErrAbortHandler)
	}))
	func() {
		defer func() {
			if v := recover(); v != http.ErrAbortHandler {
				t.Errorf("recovered %v, want http.ErrAbortHandler", v)
			}
		}()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/v1/chat/completions", nil))
	}()
	var line map[string]any
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
		t.Fatalf("log %q: %v", logs.String(), err)
	}
	if line["msg"] != "request" || line["status"] != float64(200) || line["outcome"] != "upstream_error" || line["user"] != "alice" {
		t.Fatalf("log line %v", line)
	}
}
