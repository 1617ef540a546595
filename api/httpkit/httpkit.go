// Package httpkit holds the HTTP plumbing every surface shares: request ids, credential
// extraction from the five accepted header forms, client IP, bounded JSON decoding and JSON
// writing, and ServeQuery, the one HTTP side of the query pipeline (its Body and Sink), so
// the core takes plain values and the surface alone writes its answer. Surfaces keep their own
// error envelopes; this package never renders errors.
package httpkit

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/pipeline"
)

// DefaultMaxBody is the request body limit when none is configured: the query path's
// (pipeline.DefaultMaxBodyBytes, 10 MiB), so the admin API and the queries agree.
const DefaultMaxBody = pipeline.DefaultMaxBodyBytes

type ctxKey int

const requestIDKey ctxKey = 1

// RequestID returns the id assigned to the request by Middleware ("" outside it).
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// WithRequestID returns ctx carrying id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// statusRecorder remembers the status for the access log without hiding Flusher.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
	// closeIfUnread says whether the request body is still unread; an error status then closes
	// the connection (see finishUnread).
	closeIfUnread func() bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
		if code >= 400 && r.closeIfUnread != nil && r.closeIfUnread() {
			r.Header().Set("Connection", "close")
		}
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(p)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach Flush and deadlines of the real writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Flush forwards to the underlying writer so streaming surfaces flush per event.
func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Middleware assigns every request an id (X-Request-Id response header), logs one line per
// request (with its duration and what the handler noted: user, endpoint, outcome), turns a
// panic into a 500 without crashing the process or logging the body, and ends errors answered
// before the body was read without waiting for it (finishUnread).
func Middleware(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, start, note := gateway.NewRequestID(), time.Now(), &RequestNote{}
		w.Header().Set("X-Request-Id", id)
		r = r.WithContext(withNote(WithRequestID(r.Context(), id), note))
		body := trackBody(r)
		rec := &statusRecorder{ResponseWriter: w, closeIfUnread: func() bool { return unread(r, body) }}
		// Every request gets its line, also one that panicked (a 500) or was aborted on purpose
		// (http.ErrAbortHandler: a broken stream, re-raised once logged).
		defer func() {
			v := recover()
			switch {
			case v == nil:
				finishUnread(rec, r, body, rec.status)
			case v != http.ErrAbortHandler:
				log.Error("panic serving request", "requestId", id, "path", r.URL.Path, "panic", safePanic(v))
				if rec.status == 0 {
					WriteJSON(rec, http.StatusInternalServerError, map[string]any{
						"error": "internal error", "errors": []string{"internal error"}, "requestId": id,
					})
				}
			}
			if r.URL.Path != "/health" && r.URL.Path != "/metrics" {
				// LogAttrs: typed attributes skip boxing each value on every request.
				log.LogAttrs(context.Background(), slog.LevelInfo, "request", slog.String("requestId", id),
					slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", rec.status),
					slog.Float64("durationMs", float64(time.Since(start).Microseconds())/1000),
					slog.String("user", note.User), slog.String("endpoint", note.Endpoint), slog.String("outcome", note.Outcome),
					slog.Int64("bytes", rec.bytes), slog.String("clientIp", ClientIP(r)))
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

// safePanic keeps only the panic's type-level text: values could carry request data.
func safePanic(v any) string {
	if err, ok := v.(error); ok {
		return err.Error()
	}
	if s, ok := v.(string); ok {
		return s
	}
	return "non-error panic value"
}

// Mux is where a surface registers its routes: an *http.ServeMux, or a wrapper that also
// records the patterns (the authorization-matrix test checks every route has a row).
type Mux interface {
	Handle(pattern string, handler http.Handler)
	HandleFunc(pattern string, handler func(http.ResponseWriter, *http.Request))
}

// APIKey extracts the caller's API key from any of the accepted forms, in this order:
// X-Domino-Api-Key, Authorization Bearer, Authorization Basic (password; the user name when the
// password is empty), x-api-key (Anthropic SDK), api-key (Azure OpenAI SDK).
func APIKey(r *http.Request) string {
	if k := strings.TrimSpace(r.Header.Get("X-Domino-Api-Key")); k != "" {
		return k
	}
	if auth := strings.TrimSpace(r.Header.Get("Authorization")); auth != "" {
		scheme, cred, _ := strings.Cut(auth, " ")
		cred = strings.TrimSpace(cred)
		switch strings.ToLower(scheme) {
		case "bearer":
			return cred
		case "basic":
			raw, err := base64.StdEncoding.DecodeString(cred)
			if err != nil {
				return ""
			}
			user, pass, _ := strings.Cut(string(raw), ":")
			if pass != "" {
				return pass
			}
			return user
		}
	}
	if k := strings.TrimSpace(r.Header.Get("X-Api-Key")); k != "" {
		return k
	}
	return strings.TrimSpace(r.Header.Get("Api-Key"))
}

// ClientIP is the client's address: the peer, or the address ForwardedFor found behind a
// trusted proxy. Forwarding headers from any other peer are ignored: anyone can send them.
func ClientIP(r *http.Request) string {
	if ip, ok := r.Context().Value(clientIPKey).(string); ok {
		return ip
	}
	return remoteHost(r)
}

// ReadBody reads the whole body up to max bytes. Over the limit is CodeTooLarge.
func ReadBody(r *http.Request, max int64) ([]byte, error) {
	if max <= 0 {
		max = DefaultMaxBody
	}
	if r.ContentLength > max {
		return nil, gateway.Errorf(gateway.CodeTooLarge, "request body exceeds %d bytes", max)
	}
	if r.ContentLength > 0 {
		// A declared length is enforced by net/http: read into one buffer of exactly that
		// size instead of growing one (which costs about twice the body in allocations).
		body := make([]byte, r.ContentLength)
		if _, err := io.ReadFull(r.Body, body); err != nil {
			return nil, gateway.Wrap(gateway.CodeInvalid, err, "could not read request body")
		}
		return body, nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, max))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, gateway.Errorf(gateway.CodeTooLarge, "request body exceeds %d bytes", max)
		}
		return nil, gateway.Wrap(gateway.CodeInvalid, err, "could not read request body")
	}
	return body, nil
}

// DecodeJSONObject reads a JSON object body into v. It rejects a non-JSON content type, an
// empty or non-object body, malformed JSON, wrong field types and trailing data, each as
// CodeInvalid with a message naming the problem (and the field, for type errors).
func DecodeJSONObject(r *http.Request, max int64, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.Contains(strings.ToLower(ct), "json") {
		return gateway.Errorf(gateway.CodeInvalid, "Content-Type must be application/json")
	}
	body, err := ReadBody(r, max)
	if err != nil {
		return err
	}
	return UnmarshalObject(body, v)
}

// UnmarshalObject is DecodeJSONObject's body check, usable on bytes already read.
func UnmarshalObject(body []byte, v any) error {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return gateway.Errorf(gateway.CodeInvalid, "request body is empty; a JSON object is required")
	}
	if trimmed[0] != '{' {
		return gateway.Errorf(gateway.CodeInvalid, "request body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return JSONError(err)
	}
	if dec.More() {
		return gateway.Errorf(gateway.CodeInvalid, "request body has data after the JSON object")
	}
	return nil
}

// JSONError converts an encoding/json error into a caller-safe CodeInvalid error.
func JSONError(err error) *gateway.Error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "body"
		}
		return &gateway.Error{Code: gateway.CodeInvalid, Field: field,
			Message: "field " + field + " must be of type " + jsonTypeName(typeErr.Type.Kind().String()), Err: err}
	case errors.As(err, &syntaxErr):
		return &gateway.Error{Code: gateway.CodeInvalid, Message: "malformed JSON in request body", Err: err}
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return &gateway.Error{Code: gateway.CodeInvalid, Message: "malformed JSON in request body: unexpected end", Err: err}
	}
	return &gateway.Error{Code: gateway.CodeInvalid, Message: "invalid JSON in request body", Err: err}
}

func jsonTypeName(kind string) string {
	switch kind {
	case "slice", "array":
		return "array"
	case "map", "struct":
		return "object"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "float32", "float64":
		return "number"
	case "bool":
		return "boolean"
	}
	return kind
}

// WriteJSON writes v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client may be gone; nothing useful to do
}
