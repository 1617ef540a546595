package llm

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/internal/jsonobj"
)

// modelNameStd is ModelName as it was before its scanner: encoding/json decodes the body into
// a struct with one field. The fuzz test below holds the fast ModelName to it.
func modelNameStd(body []byte) (string, *gateway.Error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return "", unprocessable("", "Request body must be a JSON object")
	}
	var m struct {
		Model json.RawMessage `json:"model"`
	}
	if err := json.Unmarshal(trimmed, &m); err != nil {
		return "", &gateway.Error{Code: gateway.CodeUnprocessable, Message: jsonobj.ErrorText(err, jsonobj.Lead(body)), Err: err}
	}
	var name string
	if json.Unmarshal(m.Model, &name) != nil || name == "" {
		return "", unprocessable("model", "model is required and must be a string naming an endpoint")
	}
	return name, nil
}

var modelSeeds = []string{
	string(benchBody), `{"model":"a","MODEL":"b"}`, `{"Model":"x"}`, `{"mod\u0065l":"x"}`, `{"model":null}`, `{"model":""}`,
	`{"model":1}`, `{"model":"caf\u00e9\n"}`, "{\"model\":\"\xff\"}", ` {"model":"x"} `, `{"model":"x"`, `{"model":"x"}}`,
	`[]`, ``, `{"messages":[{"role":"user"}]}`, `{"model":["x"]}`, `{"a":{"model":"inner"}}`, "\u00a0{\"model\":\"x\"}\u0085",
}

// FuzzModelNameMatchesEncodingJSON: the scanning ModelName answers every body exactly as the
// encoding/json one did: the same name, the same error and message.
func FuzzModelNameMatchesEncodingJSON(f *testing.F) {
	for _, s := range modelSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		name, err := ModelName(body)
		wantName, wantErr := modelNameStd(body)
		if name != wantName || !reflect.DeepEqual(err, wantErr) {
			t.Fatalf("%q: ModelName = %q, %v; encoding/json gives %q, %v", body, name, err, wantName, wantErr)
		}
	})
}

// FuzzWireMessageFastPathMatchesEncodingJSON: whatever the message scanner accepts,
// encoding/json accepts too and decodes to the same wireMessage.
func FuzzWireMessageFastPathMatchesEncodingJSON(f *testing.F) {
	for _, s := range []string{
		`{"content":"How far is the moon?","role":"user"}`, `{"role":"assistant","content":null,"tool_calls":[{"id":"t","type":"function","function":{"name":"f","arguments":"{}"}}]}`,
		`{"role":"tool","tool_call_id":"t","content":"ok","name":"n\u00e9"}`, `{"role":null}`, `{"ROLE":"user"}`, `{"role":"a","role":"b"}`,
		`{"role":"user","content":[{"type":"text","text":"x"}],"extra":{"a":[1,2]}}`, `{"role":1}`, `[]`, `null`, `{"rôle":"x"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var fast wireMessage
		if !fast.decode(data) {
			return
		}
		var std wireMessage
		if err := json.Unmarshal(data, &std); err != nil {
			t.Fatalf("fast path took %q, encoding/json refuses it: %v", data, err)
		}
		if !reflect.DeepEqual(fast, std) {
			t.Fatalf("%q: fast path %+v, encoding/json %+v", data, fast, std)
		}
	})
}

// TestCommonQueriesTakeTheFastPaths: make bench's body and usual messages are read by the
// scanners, not left to encoding/json.
func TestCommonQueriesTakeTheFastPaths(t *testing.T) {
	if _, ok := modelMember(benchBody); !ok {
		t.Error("ModelName declined make bench's body")
	}
	for _, s := range []string{`{"content":"How far is the moon?\n","role":"user"}`, `{"role":"system","content":[{"type":"text","text":"x"}],"name":"n"}`} {
		var m wireMessage
		if !m.decode([]byte(s)) {
			t.Errorf("message declined: %s", s)
		}
	}
}
