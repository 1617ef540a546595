// Package jsonobj checks a JSON object member by member, so that a wrongly typed member is
// refused with an error naming it rather than a decoder's Go type names. Two decoders use it
// in their own words: llm.Decode answers in MLflow's (pydantic's) wording with 422, the
// Domino API in its own with 400. The mechanics they share live here: splitting an object
// into its members, null meaning absent, decoding one member into a Go type, strict decoding
// of a nested object that names the unknown or wrongly typed field, and saying where
// malformed JSON breaks. On the query path they read bodies with Scanner (scan.go), which
// takes the usual shapes without reflection and leaves the rest to encoding/json, so that
// results and errors stay encoding/json's.
package jsonobj

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
)

// ErrNotObject is Split's error for a body that is not a JSON object.
var ErrNotObject = errors.New("not a JSON object")

// Split reads body, a JSON object, into its members. Each value is a slice of body, not a
// copy, so a large body is not duplicated: body must not change afterwards. Duplicate keys
// keep the last value, as Python's json module (and so MLflow) does. A malformed body gives
// encoding/json's error (see ErrorText); anything but an object gives ErrNotObject.
func Split(body []byte) (map[string]json.RawMessage, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, ErrNotObject
	}
	if out, ok := splitFast(trimmed); ok {
		return out, nil
	}
	var members map[string]RawRef
	if err := json.Unmarshal(trimmed, &members); err != nil {
		return nil, err
	}
	out := make(map[string]json.RawMessage, len(members))
	for k, v := range members {
		out[k] = json.RawMessage(v)
	}
	return out, nil
}

// splitFast is Split's Scanner path; false leaves the body to encoding/json.
func splitFast(body []byte) (map[string]json.RawMessage, bool) {
	s := NewScanner(body)
	out := make(map[string]json.RawMessage, 8)
	ok := s.Object(func(key []byte) bool {
		raw, ok := s.Value()
		out[memberName(key)] = raw
		return ok
	})
	return out, ok && s.AtEnd()
}

// memberName is string(key), without a copy for the members queries usually have.
func memberName(key []byte) string {
	switch string(key) {
	case "model":
		return "model"
	case "messages":
		return "messages"
	case "stream":
		return "stream"
	case "temperature":
		return "temperature"
	case "max_tokens":
		return "max_tokens"
	case "input":
		return "input"
	case "prompt":
		return "prompt"
	}
	return string(key)
}

// Items reads raw, a JSON array, into its items, each a slice of raw, as encoding/json reads
// it into a []RawRef (null is no items); ok is false when encoding/json would refuse it.
func Items(raw []byte) (items [][]byte, ok bool) {
	s := NewScanner(raw)
	items = [][]byte{}
	if s.Peek() == '[' && s.Array(func() bool {
		item, ok := s.Value()
		items = append(items, item)
		return ok
	}) && s.AtEnd() {
		return items, true
	}
	var refs []RawRef
	if json.Unmarshal(raw, &refs) != nil {
		return nil, false
	}
	items = make([][]byte, len(refs))
	for i, r := range refs {
		items[i] = r
	}
	return items, true
}

// Valid reports whether b is one valid JSON value, as json.Valid does.
func Valid(b []byte) bool {
	s := NewScanner(b)
	if s.Skip() && s.AtEnd() {
		return true
	}
	return json.Valid(b)
}

// RawRef keeps a value as a slice of the body it was decoded from instead of a copy
// (json.RawMessage copies), so decoding a large body does not duplicate it. Only for bodies
// nobody modifies afterwards: what was decoded shares their bytes.
type RawRef []byte

// UnmarshalJSON keeps b itself.
func (r *RawRef) UnmarshalJSON(b []byte) error {
	*r = b
	return nil
}

// Null reports whether raw is JSON null.
func Null(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// Absent reports whether an optional raw value was omitted (empty) or sent as null.
func Absent(raw json.RawMessage) bool { return len(bytes.TrimSpace(raw)) == 0 || Null(raw) }

// Present reports whether member name is there and not null: null means absent.
func Present(members map[string]json.RawMessage, name string) bool {
	raw, ok := members[name]
	return ok && !Null(raw)
}

// Value decodes member name as a T. present is false when the member is absent or null;
// err is a *FieldError when it is there but not a T.
func Value[T any](members map[string]json.RawMessage, name string) (v T, present bool, err error) {
	if !Present(members, name) {
		return v, false, nil
	}
	if scalar(members[name], &v) {
		return v, true, nil
	}
	v, err = unmarshal[T](members[name])
	if err != nil {
		return v, true, &FieldError{Field: name, Want: Kind(v)}
	}
	return v, true, nil
}

// unmarshal is json.Unmarshal into a fresh T, apart so that Value's T stays on the stack.
//
//go:noinline
func unmarshal[T any](raw []byte) (v T, err error) {
	err = json.Unmarshal(raw, &v)
	return v, err
}

// scalar decodes raw into a string, bool or float64 as encoding/json would, without
// reflection; false (any other type, or a value it declines) leaves raw to encoding/json.
func scalar(raw []byte, dst any) bool {
	s := NewScanner(raw)
	switch v := dst.(type) {
	case *string:
		return s.Peek() == '"' && s.Str(v) && s.AtEnd()
	case *bool:
		switch {
		case s.literal("true"):
			*v = true
		case s.literal("false"):
			*v = false
		default:
			return false
		}
		return s.AtEnd()
	case *float64:
		if !s.Number() || !s.AtEnd() {
			return false
		}
		f, err := strconv.ParseFloat(string(bytes.TrimSpace(raw)), 64)
		*v = f
		return err == nil
	}
	return false
}

// FieldError says which member is wrong and why: Unknown when the member has no place in the
// object, else Want names the JSON kind expected ("a string", "a number", ...).
type FieldError struct {
	Field   string
	Unknown bool
	Want    string
}

func (e *FieldError) Error() string {
	if e.Unknown {
		return e.Field + " is not a known field"
	}
	return e.Field + " must be " + e.Want
}

// Strict decodes raw into dst refusing members dst does not name. A wrongly typed or unknown
// member gives a *FieldError naming it relative to raw; any other failure (raw is not an
// object at all) a *FieldError with an empty Field and Want "an object".
func Strict(raw json.RawMessage, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te) && te.Field != "":
		return &FieldError{Field: te.Field, Want: kindName(te.Type.Kind().String())}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return &FieldError{Field: strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), Unknown: true}
	}
	return &FieldError{Want: "an object"}
}

// Kind names the JSON kind a Go value decodes from, for error messages.
func Kind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case []string:
		return "an array of strings"
	case int, int64:
		return "an integer"
	case float64:
		return "a number"
	}
	return "an object"
}

func kindName(kind string) string {
	switch kind {
	case "float64", "int", "int64":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice":
		return "a list"
	}
	return kind
}

// ErrorText says what is wrong with a body encoding/json refused and where, e.g.
// "Invalid JSON at offset 12: invalid character '}' looking for beginning of value": the
// offset is the 0-based index of the offending byte (the body's length when it ends early).
// lead is the number of bytes trimmed before the part that was parsed.
func ErrorText(err error, lead int) string {
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) {
		at := syntax.Offset
		if at > 0 && !strings.HasPrefix(syntax.Error(), "unexpected end") {
			at-- // Offset counts the offending byte as read
		}
		return "Invalid JSON at offset " + strconv.FormatInt(at+int64(lead), 10) + ": " + syntax.Error()
	}
	return "Invalid JSON: " + err.Error()
}

// Lead is the number of white-space bytes before body's first value, for ErrorText.
func Lead(body []byte) int { return len(body) - len(bytes.TrimLeft(body, " \t\r\n")) }
