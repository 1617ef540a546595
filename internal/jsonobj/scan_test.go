package jsonobj

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

var scanSeeds = []string{
	`{"messages":[{"content":"How far is the moon?","role":"user"}],"model":"chat","stream":false}`,
	`{"model":"m","messages":[{"role":"user","content":"line\nnext \"q\" \u00e9 \ud83d\ude00 \ud800 \udc00x \/"}],"temperature":0.5,"n":1e0}`,
	` {"a":1,"a":2} `, `{"a":[1,2,[3,{"b":null}]],"c":{"d":true,"e":false}}`, `{}`, `{"k\u0065y":"v"}`, "{\"\xff\":1}",
	"{\"a\":\"\xff\xfe\"}", `{"a":-0.0e+10}`, `{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":"\x"}`, `{"a":"\u12"}`, `{"a"}`,
	`{"a":1,}`, `{,"a":1}`, `{"a":1}x`, `{"a":1}}`, `[1,2]`, `"s"`, `nul`, `{"a":tru}`, "{\"a\":\"\t\"}", `{"a":1 , "b" : [ ] }`,
	`[]`, `[null]`, `[[],{}]`, `[1,]`, `null`,
}

// FuzzSplitMatchesEncodingJSON: whatever Split's fast path accepts, encoding/json accepts
// too and splits into the same members; what it declines goes to encoding/json anyway.
func FuzzSplitMatchesEncodingJSON(f *testing.F) {
	for _, s := range scanSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, ok := splitFast(data)
		var std map[string]RawRef
		err := json.Unmarshal(data, &std)
		if !ok {
			return
		}
		if err != nil {
			t.Fatalf("fast path took %q, encoding/json refuses it: %v", data, err)
		}
		want := make(map[string]json.RawMessage, len(std))
		for k, v := range std {
			want[k] = json.RawMessage(v)
		}
		if !reflect.DeepEqual(fast, want) {
			t.Fatalf("%q: fast path %q, encoding/json %q", data, fast, want)
		}
	})
}

// FuzzItemsMatchesEncodingJSON: Items splits an array as encoding/json does, and refuses
// what it refuses.
func FuzzItemsMatchesEncodingJSON(f *testing.F) {
	for _, s := range scanSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		items, ok := Items(data)
		var std []RawRef
		err := json.Unmarshal(data, &std)
		if ok != (err == nil) {
			t.Fatalf("%q: Items ok=%v, encoding/json err=%v", data, ok, err)
		}
		if len(items) != len(std) {
			t.Fatalf("%q: %d items, encoding/json %d", data, len(items), len(std))
		}
		for i := range items {
			if !bytes.Equal(items[i], std[i]) {
				t.Fatalf("%q: item %d is %q, encoding/json %q", data, i, items[i], std[i])
			}
		}
	})
}

// FuzzValidMatchesEncodingJSON: Valid is json.Valid, and the Scanner alone never calls valid
// what json.Valid does not.
func FuzzValidMatchesEncodingJSON(f *testing.F) {
	for _, s := range scanSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := NewScanner(data)
		fast := s.Skip() && s.AtEnd()
		std := json.Valid(data)
		if fast && !std {
			t.Fatalf("scanner takes %q, json.Valid refuses it", data)
		}
		if Valid(data) != std {
			t.Fatalf("Valid(%q) = %v, json.Valid %v", data, !std, std)
		}
	})
}

// FuzzStrMatchesEncodingJSON: a string read by the Scanner has the value encoding/json gives
// it (escapes, surrogates, invalid UTF-8).
func FuzzStrMatchesEncodingJSON(f *testing.F) {
	for _, s := range []string{`"plain"`, `"a\nb\"c\\d\/e\bf\fg\rh\ti"`, `"\u00e9\ud83d\ude00"`, `"\ud800"`, `"\ud800\u0041"`,
		`"\udc00\ud800"`, `"\ud83d\ude00\ud83d"`, "\"\xff\xc3\"", "\"\xed\xa0\x80\"", `null`, `"\u0000"`, `"x`, `"\u00"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := NewScanner(data)
		fast := "unset"
		if !s.Str(&fast) || !s.AtEnd() {
			return
		}
		std := "unset"
		if err := json.Unmarshal(data, &std); err != nil {
			t.Fatalf("scanner read %q, encoding/json refuses it: %v", data, err)
		}
		if fast != std {
			t.Fatalf("%q: scanner %q, encoding/json %q", data, fast, std)
		}
	})
}

// TestSplitTakesCommonBodiesFastPath: a typical query body, escapes included, is split
// without encoding/json.
func TestSplitTakesCommonBodiesFastPath(t *testing.T) {
	for _, s := range scanSeeds[:3] {
		if _, ok := splitFast([]byte(s)); !ok {
			t.Errorf("declined: %s", s)
		}
	}
}

// FuzzValueMatchesEncodingJSON: Value's scalar path decodes strings, booleans and numbers
// as encoding/json does; what it declines goes to encoding/json.
func FuzzValueMatchesEncodingJSON(f *testing.F) {
	for _, s := range []string{`"s"`, `"a\n\u00e9"`, `true`, `false`, `0.5`, `-1e400`, `1e-400`, `12345678901234567890`, ` 2 `, `"1"`, `[1]`, `nul`, `truex`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkScalar[string](t, data)
		checkScalar[bool](t, data)
		checkScalar[float64](t, data)
	})
}

func checkScalar[T comparable](t *testing.T, data []byte) {
	var fast T
	if !scalar(data, &fast) {
		return
	}
	var std T
	if err := json.Unmarshal(data, &std); err != nil {
		t.Fatalf("scalar took %q as %T, encoding/json refuses it: %v", data, fast, err)
	}
	if fast != std {
		t.Fatalf("%q as %T: scalar %v, encoding/json %v", data, fast, fast, std)
	}
}

// FuzzAppendStringMatchesEncoder: AppendString writes a string as json.Encoder does, with
// HTML escaping on (json.Marshal's default) and off.
func FuzzAppendStringMatchesEncoder(f *testing.F) {
	for _, s := range []string{"plain", "Hello <b>&</b>\n\"q\" \\ \t\x01\x7f é \u2028\u2029 \xff\xc3", "\x00\x1f\b\f\r", "😀\xed\xa0\x80", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, html := range []bool{true, false} {
			var want bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetEscapeHTML(html)
			if err := enc.Encode(s); err != nil {
				t.Fatal(err)
			}
			if got := AppendString([]byte("x"), s, html); string(got)+"\n" != "x"+want.String() {
				t.Fatalf("AppendString(%q, html=%v) = %s, encoding/json %s", s, html, got[1:], want.Bytes())
			}
		}
	})
}
