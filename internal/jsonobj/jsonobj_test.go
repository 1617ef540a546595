package jsonobj

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestSplitKeepsMembersAsSlicesOfTheBody(t *testing.T) {
	body := []byte(` {"a": [1, 2], "b": "x", "a": {"k": null}, "n": null} `)
	m, err := Split(body)
	if err != nil || len(m) != 3 || string(m["a"]) != `{"k": null}` || string(m["b"]) != `"x"` {
		t.Fatalf("members %v, %v (duplicate keys keep the last value)", m, err)
	}
	body[bytesIndex(body, 'x')] = 'y'
	if string(m["b"]) != `"y"` {
		t.Fatalf("member b = %s: values must share the body's bytes, not copy them", m["b"])
	}
	for _, bad := range []string{``, `  `, `[1]`, `"s"`, `null`} {
		if _, err := Split([]byte(bad)); !errors.Is(err, ErrNotObject) {
			t.Errorf("%q: err = %v, want ErrNotObject", bad, err)
		}
	}
	if _, err := Split([]byte(`{"a":`)); err == nil || errors.Is(err, ErrNotObject) {
		t.Errorf("truncated object: err = %v", err)
	}
}

func bytesIndex(b []byte, c byte) int {
	for i := range b {
		if b[i] == c {
			return i
		}
	}
	return -1
}

func TestValueTreatsNullAsAbsentAndNamesAWrongType(t *testing.T) {
	m := map[string]json.RawMessage{"s": json.RawMessage(`"x"`), "null": json.RawMessage(` null`), "n": json.RawMessage(`3`)}
	if v, present, err := Value[string](m, "s"); v != "x" || !present || err != nil {
		t.Errorf("s: %q %v %v", v, present, err)
	}
	for _, name := range []string{"null", "missing"} {
		if _, present, err := Value[string](m, name); present || err != nil {
			t.Errorf("%s: present %v err %v", name, present, err)
		}
	}
	_, present, err := Value[string](m, "n")
	var fe *FieldError
	if !present || !errors.As(err, &fe) || fe.Field != "n" || fe.Want != "a string" || err.Error() != "n must be a string" {
		t.Errorf("n as a string: present %v err %v", present, err)
	}
	if _, _, err := Value[[]string](m, "s"); err == nil || err.(*FieldError).Want != "an array of strings" {
		t.Errorf("s as a list: %v", err)
	}
}

func TestStrictNamesTheUnknownOrWronglyTypedMember(t *testing.T) {
	var dst struct {
		Rate  int    `json:"rate"`
		Label string `json:"label"`
	}
	cases := map[string]FieldError{
		`{"rate":1,"lable":"x"}`: {Field: "lable", Unknown: true},
		`{"rate":"1"}`:           {Field: "rate", Want: "a number"},
		`{"label":5}`:            {Field: "label", Want: "a string"},
		`[1]`:                    {Want: "an object"},
	}
	for raw, want := range cases {
		var fe *FieldError
		if err := Strict(json.RawMessage(raw), &dst); !errors.As(err, &fe) || *fe != want {
			t.Errorf("%s: %v, want %+v", raw, err, want)
		}
	}
	if err := Strict(json.RawMessage(`{"rate":2,"label":"ok"}`), &dst); err != nil || dst.Rate != 2 || dst.Label != "ok" {
		t.Errorf("valid: %+v %v", dst, err)
	}
}

func TestErrorTextSaysWhereTheJSONBreaks(t *testing.T) {
	cases := map[string]string{
		`  {"a": [}`: "Invalid JSON at offset 9: invalid character '}' looking for beginning of value",
		`{"a": [`:    "Invalid JSON at offset 7: unexpected end of JSON input",
	}
	for body, want := range cases {
		_, err := Split([]byte(body))
		if got := ErrorText(err, Lead([]byte(body))); got != want {
			t.Errorf("%s: %q, want %q", body, got, want)
		}
	}
	if got := ErrorText(errors.New("boom"), 0); got != "Invalid JSON: boom" {
		t.Errorf("other error: %q", got)
	}
}
